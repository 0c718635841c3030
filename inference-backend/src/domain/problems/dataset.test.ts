import { seededRandom } from '../mlops/gbt';
import { buildRows, eventOnsets, featureNames } from './dataset';
import type { EntitySeries, ProblemFeatureSpec, ProblemGrid } from './dataset';

const grid: ProblemGrid = { startMs: 0, stepMs: 60_000, steps: 400 };
const spec: ProblemFeatureSpec = {
  stepMs: 60_000,
  variables: ['m.a', 'm.b'],
  windowSteps: [3, 10],
  forSteps: 2,
  horizonSteps: 4,
};
const period = { fromMs: 0, toMs: grid.steps * grid.stepMs };

function randomSeries(seed: number): EntitySeries[] {
  const random = seededRandom(seed);
  return ['e1', 'e2'].map((entity) => ({
    entity,
    values: new Map(
      spec.variables.map((v) => [
        v,
        // Gaps on purpose: forward filling must not pull values back from later buckets.
        Float64Array.from({ length: grid.steps }, () => (random() < 0.1 ? NaN : random() * 10)),
      ])
    ),
    condition: Uint8Array.from({ length: grid.steps }, () => (random() < 0.08 ? 1 : 0)),
  }));
}

/** The same series with every bucket after `k` replaced by other values and another event history. */
function perturbedAfter(series: EntitySeries[], k: number, seed: number): EntitySeries[] {
  const random = seededRandom(seed);
  return series.map((s) => ({
    entity: s.entity,
    values: new Map([...s.values].map(([v, values]) => [v, values.map((x, j) => (j > k ? random() * 1000 - 500 : x))])),
    condition: s.condition.map((c, j) => (j > k ? (random() < 0.5 ? 1 : 0) : c)),
  }));
}

describe('buildRows', () => {
  it('When every value after time t changes, then no feature of a row made at or before t changes (no look-ahead)', () => {
    const original = randomSeries(1);
    const width = featureNames(spec).length;
    for (const k of [15, 80, 200, 390]) {
      const before = buildRows(grid, original, spec, period);
      const after = buildRows(grid, perturbedAfter(original, k, k), spec, period);
      const rowsUpTo = (rows: typeof before) => {
        const out = new Map<string, number[]>();
        for (let i = 0; i < rows.matrix.rowCount; i++) {
          if (rows.bucketOf[i] > k) continue;
          const key = `${rows.entityOf[i]}:${rows.bucketOf[i]}`;
          out.set(key, Array.from(rows.matrix.values.subarray(i * width, (i + 1) * width)));
        }
        return out;
      };
      const a = rowsUpTo(before);
      const b = rowsUpTo(after);
      // Rows can only vanish near t (a firing event after t is not the row's business, but a row
      // whose bucket fires is dropped); every row present in both has identical features.
      let compared = 0;
      for (const [key, features] of a) {
        const other = b.get(key);
        if (!other) continue;
        expect(other).toEqual(features);
        compared++;
      }
      expect(compared).toBeGreaterThan(Math.min(k, 100) * 0.8);
    }
  });

  it('When an event fires, then the rows of the horizon before it are positive, earlier ones negative, and rows during it are not rows', () => {
    const condition = new Uint8Array(grid.steps);
    // Holds at buckets 49 and 50: fires (for 2 buckets) at 50 until 52.
    condition.set([1, 1, 1, 1], 49);
    const series: EntitySeries[] = [
      { entity: 'e', values: new Map(spec.variables.map((v) => [v, new Float64Array(grid.steps).fill(1)])), condition },
    ];
    expect(eventOnsets(condition, 2).onsets).toEqual([50]);
    const rows = buildRows(grid, series, spec, period);
    const labelOf = new Map<number, number>();
    for (let i = 0; i < rows.matrix.rowCount; i++) labelOf.set(rows.bucketOf[i], rows.labels[i]);
    expect([45, 46, 47, 48, 49].map((k) => labelOf.get(k))).toEqual([0, 1, 1, 1, 1]);
    expect([50, 51, 52].map((k) => labelOf.has(k))).toEqual([false, false, false]);
    expect(labelOf.get(53)).toBe(0);
    // Rows whose horizon reaches past the period are left out: their label is not known yet.
    expect(Math.max(...labelOf.keys())).toBe(grid.steps - 1 - spec.horizonSteps);
  });

  it('When a period ends, then its rows stop a horizon earlier, so its labels never read the next period', () => {
    const series = randomSeries(2);
    const toMs = 200 * grid.stepMs;
    const rows = buildRows(grid, series, spec, { fromMs: 0, toMs });
    expect(Math.max(...rows.timesMs) + spec.horizonSteps * grid.stepMs).toBeLessThanOrEqual(toMs);
  });
});
