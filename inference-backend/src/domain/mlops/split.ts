/**
 * Hold-out split that respects time: for each class, its most recent rows are held out, so
 * the test set is "the future" for every class and keeps the class mix of the data.
 */
export interface SplitOptions {
  /** Share of each class held out, in (0, 1). */
  testFraction: number;
  /** Sort key (e.g. ms since the epoch); row order when absent. */
  timeOf?: (index: number) => number;
}

export interface Split {
  /** Row indices, oldest first. */
  train: number[];
  test: number[];
}

export const DEFAULT_TEST_FRACTION = 0.2;

export function timeOrderedSplit(labels: readonly string[], options: Partial<SplitOptions> = {}): Split {
  const testFraction = options.testFraction ?? DEFAULT_TEST_FRACTION;
  if (!(testFraction > 0 && testFraction < 1))
    throw new RangeError(`testFraction must be in (0, 1), got ${testFraction}`);
  const timeOf = options.timeOf ?? ((i: number) => i);
  const times = labels.map((_, i) => timeOf(i));
  // Ties keep row order, so the split never depends on the sort's stability.
  const chronological = (a: number, b: number) => times[a] - times[b] || a - b;
  const byClass = new Map<string, number[]>();
  labels.forEach((label, i) => {
    const rows = byClass.get(label) ?? [];
    rows.push(i);
    byClass.set(label, rows);
  });
  const train: number[] = [];
  const test: number[] = [];
  for (const rows of byClass.values()) {
    rows.sort(chronological);
    // A class with a single row cannot be both learned and tested: it is learned.
    const held = rows.length < 2 ? 0 : Math.max(1, Math.round(rows.length * testFraction));
    // Loops, not push(...rows): a spread of a million arguments overflows the stack.
    for (let k = 0; k < rows.length; k++) (k < rows.length - held ? train : test).push(rows[k]);
  }
  return { train: train.sort(chronological), test: test.sort(chronological) };
}
