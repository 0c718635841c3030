import type { Logger } from '../adapters/logger';

export interface Stage {
  name: string;
  /** Processes at most one batch and returns how many items it processed. */
  tick(): Promise<number>;
  batchSize: number;
}

/** Whether a stage is committing: a failing one cannot move its watermark. */
export interface StageHealth {
  stage: string;
  ok: boolean;
  /** Wall-clock ms of the first failure of the current run of failures. */
  failingSinceMs?: number;
  error?: string;
}

export interface SchedulerOptions {
  pollIntervalMs: number;
  /** Upper bound of the backoff after failing ticks (InfluxDB down, say). */
  maxBackoffMs?: number;
  onError?(stage: string, error: unknown): void;
}

/**
 * Runs each stage in its own loop: back to back while a stage has a full batch of backlog,
 * every poll interval otherwise, with exponential backoff after errors (the stage's watermark
 * did not move, so the next tick retries the same data). `stop()` lets the batch in progress
 * finish and resolves once every loop has ended.
 */
export class Scheduler {
  private stopping = false;
  private readonly loops: Promise<void>[] = [];
  private wake: Array<() => void> = [];
  private readonly failing = new Map<string, { sinceMs: number; error: string }>();

  constructor(
    private readonly stages: Stage[],
    private readonly options: SchedulerOptions,
    private readonly logger: Logger
  ) {}

  start(): void {
    for (const stage of this.stages) this.loops.push(this.run(stage));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const wake of this.wake) wake();
    await Promise.all(this.loops);
  }

  /** One entry per stage; `ok` is false from a failed tick until the next one that succeeds. */
  health(): StageHealth[] {
    return this.stages.map((stage) => {
      const failure = this.failing.get(stage.name);
      return failure
        ? { stage: stage.name, ok: false, failingSinceMs: failure.sinceMs, error: failure.error }
        : { stage: stage.name, ok: true };
    });
  }

  private async run(stage: Stage): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      let wait = this.options.pollIntervalMs;
      try {
        const processed = await stage.tick();
        failures = 0;
        const recovered = this.failing.get(stage.name);
        if (recovered) {
          this.failing.delete(stage.name);
          this.logger.info(
            { stage: stage.name, failedForMs: Date.now() - recovered.sinceMs },
            'pipeline stage recovered'
          );
        }
        if (processed >= stage.batchSize) wait = 0;
      } catch (error) {
        failures++;
        const message = error instanceof Error ? error.message : String(error);
        const previous = this.failing.get(stage.name);
        this.failing.set(stage.name, { sinceMs: previous?.sinceMs ?? Date.now(), error: message });
        this.options.onError?.(stage.name, error);
        wait = Math.min(this.options.pollIntervalMs * 2 ** failures, this.options.maxBackoffMs ?? 30_000);
        // Once per cause: an outage of an hour is one line (and one when it ends), not hundreds.
        if (previous?.error !== message) {
          this.logger.error(
            { stage: stage.name, err: message, retryInMs: wait },
            'pipeline stage failed; retrying from its watermark'
          );
        }
      }
      if (wait > 0 && !this.stopping) await this.sleep(wait);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done() {
        clearTimeout(timer);
        self.wake = self.wake.filter((w) => w !== done);
        resolve();
      }
      this.wake.push(done);
    });
  }
}
