import type { ReportRange } from '../adapters/report/reportModel';
import type { ReportGenerator } from '../adapters/report/reportGenerator';
import type { StoredReport } from '../adapters/report/reportStore';
import type { Clock } from '../domain/series';

export interface ReportStageOptions {
  /** Length of the range a scheduled report covers, and how often one is made. */
  periodMs: number;
  /** An instant where a period starts; the default, Monday 1970-01-05 00:00 UTC, makes weekly periods ISO weeks. */
  anchorMs: number;
  /** A period is reported this long after it ends, once the hourly production figures of its last hour are written. */
  settleMs: number;
}

export const DEFAULT_REPORT_STAGE_OPTIONS: ReportStageOptions = {
  periodMs: 7 * 86_400_000,
  anchorMs: Date.UTC(1970, 0, 5),
  settleMs: 3_600_000,
};

export interface ReportRunInfo {
  report: StoredReport;
  seconds: number;
}

/**
 * The periodic performance report: once a period (a week by default, Monday to Monday UTC) has ended
 * and settled, the report of that period is generated into the report store, where
 * `GET /api/reports/latest` serves it. Which periods are done is read from the store itself (a report
 * whose range is exactly the period), so a restart neither skips a week nor makes it twice. A failed
 * run (InfluxDB down) throws; the scheduler retries it with backoff.
 */
export class ReportStage {
  /** End of the latest period known to have its report. */
  private doneUntilMs: number | undefined;

  constructor(
    private readonly deps: {
      generator: ReportGenerator;
      clock: Clock;
      options: ReportStageOptions;
      hooks?: { onReport?(info: ReportRunInfo): void };
    }
  ) {
    const { periodMs, settleMs } = deps.options;
    if (!(periodMs > 0)) throw new RangeError(`the report period must be positive, got ${periodMs} ms`);
    if (!(settleMs >= 0)) throw new RangeError(`the report settle time must be ≥ 0, got ${settleMs} ms`);
  }

  /** The latest period that has ended and settled at `nowMs`. */
  duePeriod(nowMs: number): ReportRange {
    const { periodMs, anchorMs, settleMs } = this.deps.options;
    const k = Math.floor((nowMs - settleMs - anchorMs) / periodMs);
    const toMs = anchorMs + k * periodMs;
    return { fromMs: toMs - periodMs, toMs };
  }

  /** Generates the due period's report when it has none yet; returns 1 when it made one, else 0. */
  async tick(): Promise<number> {
    const due = this.duePeriod(this.deps.clock.nowMs());
    if (this.doneUntilMs !== undefined && this.doneUntilMs >= due.toMs) return 0;
    if (this.doneUntilMs === undefined) {
      const stored = await this.deps.generator.store.list();
      if (stored.some((r) => r.range.fromMs === due.fromMs && r.range.toMs === due.toMs)) {
        this.doneUntilMs = due.toMs;
        return 0;
      }
    }
    await this.run(due);
    this.doneUntilMs = due.toMs;
    return 1;
  }

  /** A report now, of `range` or of the last period (`nocai report` and `POST /api/reports` make their own). */
  runNow(range: ReportRange = this.duePeriod(this.deps.clock.nowMs())): Promise<StoredReport> {
    return this.run(range);
  }

  private async run(range: ReportRange): Promise<StoredReport> {
    const started = performance.now();
    const report = await this.deps.generator.generate(range);
    this.deps.hooks?.onReport?.({ report, seconds: (performance.now() - started) / 1000 });
    return report;
  }
}
