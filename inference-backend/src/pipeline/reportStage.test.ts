import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReportSource } from '../adapters/report/influxReportSource';
import { fixtureInputs } from '../adapters/report/reportFixture';
import type { ReportRange } from '../adapters/report/reportModel';
import { ReportGenerator } from '../adapters/report/reportGenerator';
import { ReportStore } from '../adapters/report/reportStore';
import { DEFAULT_REPORT_STAGE_OPTIONS, ReportStage } from './reportStage';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Monday 2024-05-06 00:00 UTC. */
const MONDAY = Date.UTC(2024, 4, 6);

class RecordingSource implements ReportSource {
  readonly database = 'aiops';
  readonly reads: ReportRange[] = [];
  failing = false;
  async read(range: ReportRange) {
    if (this.failing) throw new Error('InfluxDB is down');
    this.reads.push(range);
    return fixtureInputs();
  }
}

describe('ReportStage', () => {
  let dir: string;
  let nowMs: number;
  let source: RecordingSource;
  const clock = { nowMs: () => nowMs };
  const stage = () =>
    new ReportStage({
      generator: new ReportGenerator({ source, store: new ReportStore(dir), clock }),
      clock,
      options: DEFAULT_REPORT_STAGE_OPTIONS,
    });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nocai-report-stage-'));
    source = new RecordingSource();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('When a week has ended and settled, then its report (Monday to Monday UTC) is made once', async () => {
    nowMs = MONDAY + 30 * 60_000; // the week ended half an hour ago: not settled yet
    const weekly = stage();
    await expect(weekly.tick()).resolves.toBe(1);
    expect(source.reads).toEqual([{ fromMs: MONDAY - 14 * DAY, toMs: MONDAY - 7 * DAY }]);

    nowMs = MONDAY + 2 * HOUR;
    await expect(weekly.tick()).resolves.toBe(1);
    await expect(weekly.tick()).resolves.toBe(0);
    nowMs = MONDAY + 6 * DAY;
    await expect(weekly.tick()).resolves.toBe(0);
    expect(source.reads.at(-1)).toEqual({ fromMs: MONDAY - 7 * DAY, toMs: MONDAY });
    expect(source.reads).toHaveLength(2);
    const latest = await new ReportStore(dir).latest();
    expect(latest?.range).toEqual({ fromMs: MONDAY - 7 * DAY, toMs: MONDAY });
  });

  it('When the service restarts after the week was reported, then the report is not made twice', async () => {
    nowMs = MONDAY + 2 * HOUR;
    await stage().tick();
    await expect(stage().tick()).resolves.toBe(0);
    expect(source.reads).toHaveLength(1);
  });

  it('When InfluxDB is down, then the tick fails (the scheduler retries) and the next one makes the report', async () => {
    nowMs = MONDAY + 2 * HOUR;
    const weekly = stage();
    source.failing = true;
    await expect(weekly.tick()).rejects.toThrow('InfluxDB is down');
    await expect(new ReportStore(dir).list()).resolves.toEqual([]);
    source.failing = false;
    await expect(weekly.tick()).resolves.toBe(1);
  });
});
