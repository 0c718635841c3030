import type { Clock } from '../../domain/series';
import type { ReportSource } from './influxReportSource';
import { assembleReport, type PerformanceReport, type ReportRange } from './reportModel';
import { checkReportRange } from './reportRange';
import type { ReportStore, StoredReport } from './reportStore';
import { renderReportHtml } from './renderHtml';

/** The report of `range` as data, read from `source` now. */
export async function buildReport(source: ReportSource, range: ReportRange, clock: Clock): Promise<PerformanceReport> {
  checkReportRange(range);
  const inputs = await source.read(range);
  return assembleReport(inputs, range, clock.nowMs(), source.database);
}

/**
 * Builds, renders and stores reports, one at a time: the weekly stage and `POST /api/reports` share
 * one generator, so two requests never read and render at once (each is a few queries and a few
 * charts, but a burst of them should queue rather than pile up).
 */
export class ReportGenerator {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: { source: ReportSource; store: ReportStore; clock: Clock }) {}

  get store(): ReportStore {
    return this.deps.store;
  }

  generate(range: ReportRange): Promise<StoredReport> {
    const run = this.queue.then(async () => {
      const report = await buildReport(this.deps.source, range, this.deps.clock);
      return this.deps.store.save(range, report.generatedAtMs, renderReportHtml(report));
    });
    // A failed run must not block the ones queued after it.
    this.queue = run.catch(() => undefined);
    return run;
  }
}
