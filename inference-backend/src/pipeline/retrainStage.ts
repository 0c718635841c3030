import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Clock } from '../domain/series';
import type { Logger } from '../adapters/logger';
import type { RetrainingJob, RetrainingRun, RetrainingTrigger } from '../services/retraining';

export interface RetrainStageOptions {
  /** Between scheduled runs (default a week). */
  intervalMs: number;
  /** Where the time of the last run is kept, so a restart does not retrain at once. */
  stateFile: string;
}

export const DEFAULT_RETRAIN_INTERVAL_MS = 7 * 86_400_000;

/**
 * Runs the retraining job on its schedule (the first run one interval after the service first
 * started, then every interval) and when asked (`request`: a person through the API, or drift).
 * One run at a time; the time of the last run survives restarts.
 */
export class RetrainStage {
  private lastRunMs: number | undefined;
  private loaded = false;
  private pending: { trigger: RetrainingTrigger; challengers: Record<string, string> } | undefined;
  private lastRun: RetrainingRun | undefined;
  private failure: string | undefined;

  constructor(
    private readonly deps: { job: Pick<RetrainingJob, 'run' | 'busy'>; clock: Clock; logger: Logger; options: RetrainStageOptions }
  ) {}

  /** The newest finished run, for the API. */
  get latest(): RetrainingRun | undefined {
    return this.lastRun;
  }

  /** Why the newest run failed, if it did. */
  get lastFailure(): string | undefined {
    return this.failure;
  }

  get running(): boolean {
    return this.deps.job.busy;
  }

  /** Asks for a run on the next tick. */
  request(trigger: RetrainingTrigger, challengers: Record<string, string> = {}): void {
    this.pending ??= { trigger, challengers };
  }

  async tick(): Promise<number> {
    const nowMs = this.deps.clock.nowMs();
    if (!this.loaded) {
      this.lastRunMs = await this.readLastRun();
      if (this.lastRunMs === undefined) {
        // A new installation: its first models were just trained; the schedule starts now.
        this.lastRunMs = nowMs;
        await this.writeLastRun(nowMs);
      }
      this.loaded = true;
    }
    const due = nowMs - (this.lastRunMs ?? nowMs) >= this.deps.options.intervalMs;
    const next = this.pending ?? (due ? { trigger: { kind: 'schedule' as const, actor: 'nocai' }, challengers: {} } : undefined);
    if (!next) return 0;
    const { trigger, challengers } = next;
    this.pending = undefined;
    // A failed run is logged and waits for the next interval (or request): retrying at once would
    // retrain in a loop, and a retraining problem must not make the service look unready.
    let decisions = 0;
    try {
      this.lastRun = await this.deps.job.run(trigger, challengers);
      this.failure = undefined;
      decisions = this.lastRun.decisions.length;
    } catch (error) {
      this.failure = (error as Error).message;
      this.deps.logger.error({ err: this.failure, trigger: trigger.kind }, 'retraining failed; the champions keep serving');
    }
    this.lastRunMs = nowMs;
    await this.writeLastRun(nowMs);
    return decisions;
  }

  private async readLastRun(): Promise<number | undefined> {
    try {
      const parsed = JSON.parse(await readFile(this.deps.options.stateFile, 'utf8')) as { lastRunMs?: unknown };
      return typeof parsed.lastRunMs === 'number' ? parsed.lastRunMs : undefined;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.deps.logger.warn({ file: this.deps.options.stateFile, err: (error as Error).message }, 'retraining: schedule state unreadable, starting the schedule now');
      }
      return undefined;
    }
  }

  private async writeLastRun(ms: number): Promise<void> {
    const file = this.deps.options.stateFile;
    await mkdir(dirname(file), { recursive: true });
    const temp = `${file}.${process.pid}.tmp`;
    try {
      await writeFile(temp, `${JSON.stringify({ lastRunMs: ms })}\n`);
      await rename(temp, file);
    } catch (error) {
      // A full or read-only disk: leave no temporary file behind (the old time stays).
      await rm(temp, { force: true }).catch(() => undefined);
      throw error;
    }
  }
}
