import { DRIFT_SERIES } from '@nocai/contract';
import pino from 'pino';
import { numericProfile, tabularProfile } from '../domain/mlops/profile';
import type { SeriesPoint } from '../domain/series';
import { DEFAULT_DRIFT_STAGE_OPTIONS, DriftStage } from './driftStage';
import type { DriftInputKind, DriftWindow, FeatureDrift } from './driftStage';

const HOUR_MS = 3_600_000;

/** Tickets' openings: a department mix and a numeric column, the newest `rows` of a fixed pattern. */
function ticketRows(rows: number, shift = 0) {
  return Array.from({ length: rows }, (_, i) => ({
    department: i % 3 === 0 ? 'facilities' : 'it_ops',
    load: String(((i * 37) % 100) / 10 + shift),
    priority: '',
  }));
}

function harness(current: () => DriftWindow['rows']) {
  let nowMs = Date.UTC(2026, 1, 1);
  const written: SeriesPoint[] = [];
  const drifted: Array<[string, string[]]> = [];
  const reads: DriftInputKind[] = [];
  const profile = tabularProfile({ name: 'department', version: 'v2', createdAt: '' }, ticketRows(3000), {
    numeric: ['load'],
    categorical: ['department'],
  });
  const stage = new DriftStage({
    models: {
      champions: async () => [
        { name: 'department', version: 'v2', profile },
        { name: 'not-monitored', version: 'v1', profile },
      ],
    },
    source: {
      read: async (kind) => (reads.push(kind), { columns: ['department', 'load'], rows: current() }),
    },
    sink: { write: async (p) => void written.push(...p), flush: async () => undefined, close: async () => undefined },
    clock: { nowMs: () => nowMs },
    logger: pino({ level: 'silent' }),
    options: { ...DEFAULT_DRIFT_STAGE_OPTIONS, intervalMs: HOUR_MS },
    hooks: {
      onDrift: (model, features: FeatureDrift[]) => void drifted.push([model.name, features.map((f) => f.feature)]),
    },
  });
  return { stage, written, drifted, reads, advance: (ms: number) => (nowMs += ms) };
}

const byFeature = (points: SeriesPoint[]) =>
  Object.fromEntries(points.map((p) => [p.tags[DRIFT_SERIES.tags.feature], p.fields]));

describe('DriftStage', () => {
  it('When the window matches the training rows, then one point per feature says no drift and onDrift is not called', async () => {
    const h = harness(() => ticketRows(500));
    expect(await h.stage.tick()).toBe(2);
    const fields = byFeature(h.written);
    expect(fields.department).toMatchObject({
      method: 'jensenshannon',
      drift_detected: false,
      sample_size: 500,
      model_version: 'v2',
    });
    expect(fields.load).toMatchObject({ method: 'wasserstein', drift_detected: false });
    expect(h.drifted).toEqual([]);
    expect(h.reads).toEqual(['tickets']);
  });

  it('When a numeric input shifts by a standard deviation, then that feature alone drifts and onDrift names it', async () => {
    const h = harness(() => ticketRows(500, numericStd()));
    await h.stage.tick();
    const fields = byFeature(h.written);
    expect(fields.load.drift_detected).toBe(true);
    expect(fields.department.drift_detected).toBe(false);
    expect(h.drifted).toEqual([['department', ['load']]]);
  });

  it('When fewer than 30 rows are in the window, then no point is written for the features', async () => {
    const h = harness(() => ticketRows(29));
    expect(await h.stage.tick()).toBe(0);
    expect(h.written).toEqual([]);
  });

  it('When ticks come within the interval, then it evaluates once per interval, and runNow evaluates at once', async () => {
    const h = harness(() => ticketRows(500));
    await h.stage.tick();
    h.advance(HOUR_MS - 1);
    expect(await h.stage.tick()).toBe(0);
    h.advance(1);
    expect(await h.stage.tick()).toBe(2);
    expect((await h.stage.runNow()).points).toBe(2);
    expect(h.reads).toHaveLength(3);
  });
});

function numericStd(): number {
  const p = numericProfile(ticketRows(3000).map((r) => Number(r.load)));
  return p.kind === 'numeric' ? p.std : NaN;
}
