/** Plain-line output of `npm run bench`: one figure per line, to stdout; progress goes to stderr. */
export const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
export const ratio = (value: number, target: number): string =>
  `${(value / target).toFixed(2)}× target (${fmt(target)})`;
export const percent = (fraction: number, digits = 1): string => `${(fraction * 100).toFixed(digits)}%`;
export const say = (line: string): void => void process.stdout.write(`${line}\n`);
export const progress = (line: string): void => void process.stderr.write(`  ${line}\n`);

/** Nearest-rank quantile (q in [0, 1]) of a non-empty sample. */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1];
}
