import { leaveOneSeriesOut, standardErrorOfSum } from './nabCv';
import { NAB_PROFILES, optimiseThreshold, sweepLabels } from './nabScorer';

const MINUTE = 60_000;
const ROWS = 1000;
/** Each synthetic series has one window, rows 500–599 (after the 150 probation rows). */
const WINDOW: [number, number] = [500, 599];

function labelled(name: string) {
  const timesMs = Array.from({ length: ROWS }, (_, i) => i * 5 * MINUTE);
  return sweepLabels({ name, timesMs, windowsMs: [[timesMs[WINDOW[0]], timesMs[WINDOW[1]]]] });
}

/** Scores of 0 except 1 at the given rows. */
function detectionsAt(rows: number[]): number[] {
  const scores = new Array<number>(ROWS).fill(0);
  for (const r of rows) scores[r] = 1;
  return scores;
}

const SERIES = 6;
const labels = Array.from({ length: SERIES }, (_, i) => labelled(`series-${i}`));

describe('leave-one-series-out choice of the detector settings', () => {
  it('When another candidate is better on every series, then every fold and the in-sample choice take it', () => {
    // Candidate 0 (the defaults) finds each window late, candidate 1 at its start.
    const late = labels.map(() => detectionsAt([590]));
    const early = labels.map(() => detectionsAt([500]));
    const report = leaveOneSeriesOut(labels, [late, early], 'standard');
    expect(report.chosenOnAll).toBe(1);
    expect(report.folds.map((f) => f.candidate)).toEqual(new Array(SERIES).fill(1));
  });

  it('When another candidate is better on one series only, then the defaults are kept (one standard error)', () => {
    // Candidate 1 also finds the window of series 0 early; elsewhere both find it late.
    const late = labels.map(() => detectionsAt([590]));
    const oneBetter = labels.map((_, i) => detectionsAt([i === 0 ? 500 : 590]));
    const report = leaveOneSeriesOut(labels, [late, oneBetter], 'standard');
    expect(report.chosenOnAll).toBe(0);
    expect(report.folds.map((f) => f.candidate)).toEqual(new Array(SERIES).fill(0));
    // Without that rule candidate 1 would have been taken: its total is higher, by the one series.
    const total = (scores: number[][]) =>
      optimiseThreshold(labels.map((l, i) => ({ labels: l, scores: scores[i] })), NAB_PROFILES.standard).raw;
    expect(total(oneBetter)).toBeGreaterThan(total(late) + 0.5);
  });

  it('When candidates are better on most series by similar amounts, then the better one is taken', () => {
    // Candidate 1 is earlier on five of six series and equal on the last.
    const late = labels.map(() => detectionsAt([590]));
    const mostlyEarly = labels.map((_, i) => detectionsAt([i === SERIES - 1 ? 590 : 520]));
    const report = leaveOneSeriesOut(labels, [late, mostlyEarly], 'standard');
    expect(report.chosenOnAll).toBe(1);
  });
});

describe('standard error of a sum', () => {
  it('When one of n draws carries the whole sum, then the standard error equals the sum', () => {
    expect(standardErrorOfSum([3, 0, 0, 0, 0, 0])).toBeCloseTo(3, 12);
  });
  it('When all draws are equal, then it is 0; with one draw, 0', () => {
    expect(standardErrorOfSum([2, 2, 2])).toBe(0);
    expect(standardErrorOfSum([5])).toBe(0);
  });
});
