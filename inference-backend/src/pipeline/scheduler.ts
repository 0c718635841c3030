import type { Logger } from '../adapters/logger';

export interface Stage {
  name: string;
  /** Processes at most one batch and returns how many items it processed. */
  tick(): Promise<number>;
  batchSize: number;
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

  private async run(stage: Stage): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      let wait = this.options.pollIntervalMs;
      try {
        const processed = await stage.tick();
        failures = 0;
        if (processed >= stage.batchSize) wait = 0;
      } catch (error) {
        failures++;
        this.options.onError?.(stage.name, error);
        wait = Math.min(this.options.pollIntervalMs * 2 ** failures, this.options.maxBackoffMs ?? 30_000);
        this.logger.error(
          { stage: stage.name, err: error instanceof Error ? error.message : String(error), retryInMs: wait },
          'pipeline stage failed; retrying from its watermark'
        );
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
