import { rowFeatures, ROLLING_STATS } from './dataset';
import type { ProblemFeatureSpec } from './dataset';
import type { ProblemScorer } from './explanation';

/**
 * "How it could have been avoided" (issue 12 point 5): the smallest change of the controllable
 * variables that would have brought an alert's probability under the threshold, found by running
 * the served model on modified rows.
 *
 * A change of a variable by δ is applied to its whole longest window (the last L buckets before the
 * prediction): every window feature of that variable is recomputed from the shifted series with
 * the training code (`rowFeatures`), so its last value, means, minima and maxima move by δ while
 * its spread and slope stay, as if the set-point had been moved L earlier. The new level must lie
 * within the variable's allowed range: what training observed, narrowed by the definition's bounds.
 *
 * Search: one variable at a time first (every controllable, a grid of levels towards each end of
 * its range, then two rounds of refinement between the last level that failed and the first that
 * worked); the change with the smallest |δ| relative to the variable's range wins. When no single
 * variable suffices, pairs of the three variables that contributed most, on a coarse 2-D grid,
 * cheapest by the sum of the relative changes, then shrunk towards the current values as far as it
 * still works. Every candidate level is a row of one batched model run.
 */

export interface ControllableRange {
  variable: string;
  min: number;
  max: number;
}

export interface VariableChange {
  variable: string;
  from: number;
  to: number;
}

export type Recommendation =
  | {
      kind: 'change';
      changes: VariableChange[];
      /** How long before the prediction the change must be in place (the longest window). */
      leadMs: number;
      probabilityBefore: number;
      probabilityAfter: number;
      threshold: number;
    }
  | {
      kind: 'none';
      searched: ControllableRange[];
      probabilityBefore: number;
      /** The lowest probability any searched change reached. */
      lowestProbability: number;
      threshold: number;
    }
  | { kind: 'no_controllable'; probabilityBefore: number; threshold: number };

export interface RecommendationInput {
  spec: ProblemFeatureSpec;
  /** Forward-filled series of every input variable (spec order), up to at least bucket k. */
  filled: readonly Float64Array[];
  /** The bucket of the alert's row. */
  k: number;
  /** The alert's feature row (as scored). */
  row: Float32Array;
  probability: number;
  threshold: number;
  /** The controllable variables with their allowed ranges, the most contributing first. */
  controllables: readonly ControllableRange[];
  score: ProblemScorer;
}

export interface RecommendationOptions {
  /** Levels per direction in the single-variable grid. */
  levels: number;
  /** Levels per direction and variable in the pair grid. */
  pairLevels: number;
  /** Variables (the most contributing) combined in pairs. */
  pairCandidates: number;
}

export const DEFAULT_RECOMMENDATION_OPTIONS: RecommendationOptions = { levels: 16, pairLevels: 5, pairCandidates: 3 };

/** Builds rows with some variables shifted over their longest window, in the tensor's layout. */
class RowShifter {
  private readonly width: number;
  private readonly perVariable: number;
  private readonly lengthSteps: number;

  constructor(private readonly input: RecommendationInput) {
    this.width = input.row.length;
    this.perVariable = 1 + input.spec.windowSteps.length * ROLLING_STATS.length;
    this.lengthSteps = Math.max(1, ...input.spec.windowSteps);
  }

  get leadMs(): number {
    return this.lengthSteps * this.input.spec.stepMs;
  }

  current(variable: string): number {
    return this.input.filled[this.index(variable)][this.input.k];
  }

  private index(variable: string): number {
    const v = this.input.spec.variables.indexOf(variable);
    if (v < 0) throw new Error(`${variable} is not an input of the model`);
    return v;
  }

  /** Writes the row with each (variable, δ) applied into `out` at row `at`. */
  write(out: Float32Array, at: number, shifts: ReadonlyArray<readonly [string, number]>): void {
    const { k, spec, filled, row } = this.input;
    out.set(row, at * this.width);
    for (const [variable, delta] of shifts) {
      const v = this.index(variable);
      const shifted = filled[v].slice(0, k + 1);
      for (let j = Math.max(0, k - this.lengthSteps + 1); j <= k; j++) shifted[j] += delta;
      rowFeatures([shifted], k, spec.windowSteps, out, at * this.width + v * this.perVariable);
    }
  }

  async score(candidates: ReadonlyArray<ReadonlyArray<readonly [string, number]>>): Promise<Float32Array> {
    if (candidates.length === 0) return new Float32Array(0);
    const rows = new Float32Array(candidates.length * this.width);
    candidates.forEach((shifts, i) => this.write(rows, i, shifts));
    return this.input.score(rows);
  }
}

const linspace = (from: number, to: number, n: number) =>
  Array.from({ length: n }, (_, i) => from + ((to - from) * (i + 1)) / n);

/** Levels towards each end of the range, nearest first, as deltas from `current`. */
function deltas(range: ControllableRange, current: number, n: number): number[] {
  const down = current > range.min ? linspace(current, range.min, n) : [];
  const up = current < range.max ? linspace(current, range.max, n) : [];
  return [...down, ...up].map((level) => level - current);
}

const span = (r: ControllableRange) => Math.max(r.max - r.min, Number.EPSILON);

export async function recommend(
  input: RecommendationInput,
  options: RecommendationOptions = DEFAULT_RECOMMENDATION_OPTIONS
): Promise<Recommendation> {
  const { threshold, probability } = input;
  const usable = input.controllables.filter((c) => c.max >= c.min && Number.isFinite(c.min) && Number.isFinite(c.max));
  if (usable.length === 0) return { kind: 'no_controllable', probabilityBefore: probability, threshold };
  const shifter = new RowShifter(input);
  const currentOf = new Map(usable.map((c) => [c.variable, shifter.current(c.variable)]));
  let lowest = probability;

  // One variable at a time: a grid towards each end, refined around the first level that works.
  type Found = { changes: Array<[string, number]>; cost: number; probability: number };
  let best: Found | undefined;
  const grid = usable.flatMap((c) =>
    deltas(c, currentOf.get(c.variable) ?? 0, options.levels).map((d) => [[c.variable, d] as [string, number]])
  );
  const gridScores = await shifter.score(grid);
  for (const c of usable) {
    for (const sign of [-1, 1]) {
      const indices = grid
        .map((shifts, i) => ({ delta: shifts[0][1], i, variable: shifts[0][0] }))
        .filter((g) => g.variable === c.variable && Math.sign(g.delta) === sign);
      indices.forEach((g) => (lowest = Math.min(lowest, gridScores[g.i])));
      const first = indices.findIndex((g) => gridScores[g.i] < threshold);
      if (first < 0) continue;
      let failing = first === 0 ? 0 : indices[first - 1].delta;
      let working = indices[first].delta;
      let workingP = gridScores[indices[first].i];
      for (let round = 0; round < 2; round++) {
        const between = linspace(failing, working, 8).slice(0, -1);
        const scores = await shifter.score(between.map((d) => [[c.variable, d] as [string, number]]));
        const at = between.findIndex((_, i) => scores[i] < threshold);
        if (at >= 0) {
          working = between[at];
          workingP = scores[at];
          if (at > 0) failing = between[at - 1];
        } else failing = between[between.length - 1];
      }
      const cost = Math.abs(working) / span(c);
      if (!best || cost < best.cost) best = { changes: [[c.variable, working]], cost, probability: workingP };
    }
  }

  // Two variables together, when none alone is enough.
  if (!best && usable.length >= 2) {
    const top = usable.slice(0, options.pairCandidates);
    for (let a = 0; a < top.length; a++) {
      for (let b = a + 1; b < top.length; b++) {
        const [ca, cb] = [top[a], top[b]];
        const da = [0, ...deltas(ca, currentOf.get(ca.variable) ?? 0, options.pairLevels)];
        const db = [0, ...deltas(cb, currentOf.get(cb.variable) ?? 0, options.pairLevels)];
        const pairs = da.flatMap((x) => db.filter((y) => x !== 0 && y !== 0).map((y) => [x, y] as const));
        const scores = await shifter.score(
          pairs.map(([x, y]) => [
            [ca.variable, x],
            [cb.variable, y],
          ])
        );
        pairs.forEach(([x, y], i) => {
          lowest = Math.min(lowest, scores[i]);
          if (scores[i] >= threshold) return;
          const cost = Math.abs(x) / span(ca) + Math.abs(y) / span(cb);
          if (!best || cost < best.cost) {
            best = {
              changes: [
                [ca.variable, x],
                [cb.variable, y],
              ],
              cost,
              probability: scores[i],
            };
          }
        });
      }
    }
    if (best) {
      // Shrunk towards the current values along the same direction, as far as it still works.
      const found: Found = best;
      const factors = linspace(0, 1, 8).slice(0, -1);
      const scores = await shifter.score(
        factors.map((t) => found.changes.map(([v, d]) => [v, d * t] as [string, number]))
      );
      const at = factors.findIndex((_, i) => scores[i] < threshold);
      if (at >= 0) {
        best = {
          changes: found.changes.map(([v, d]) => [v, d * factors[at]]),
          cost: found.cost * factors[at],
          probability: scores[at],
        };
      }
    }
  }

  if (!best)
    return { kind: 'none', searched: usable, probabilityBefore: probability, lowestProbability: lowest, threshold };
  // Levels a person would set: rounded away from the current value (a larger change), kept when the
  // rounded row still works.
  const found: Found = best;
  const rounded = found.changes.map(([variable, delta]) => {
    const range = usable.find((c) => c.variable === variable) as ControllableRange;
    const from = currentOf.get(variable) ?? 0;
    const step = 10 ** Math.floor(Math.log10(span(range) / 50));
    const away = delta < 0 ? Math.floor((from + delta) / step) * step : Math.ceil((from + delta) / step) * step;
    const to = Math.min(range.max, Math.max(range.min, Number(away.toPrecision(12))));
    return [variable, to - from] as [string, number];
  });
  const [roundedP] = await shifter.score([rounded]);
  const chosen = roundedP < threshold ? { changes: rounded, probability: roundedP } : found;
  return {
    kind: 'change',
    changes: chosen.changes.map(([variable, delta]) => {
      const from = currentOf.get(variable) ?? 0;
      return { variable, from, to: from + delta };
    }),
    leadMs: shifter.leadMs,
    probabilityBefore: probability,
    probabilityAfter: chosen.probability,
    threshold,
  };
}

const level = (x: number) => String(Number(x.toPrecision(4)));

/** "2 h", "30 min", "1 d". */
export function durationWords(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000} d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  return `${Math.round(ms / 60_000)} min`;
}

/**
 * The recommendation as one sentence for a ticket: "lower freezer.setpoint_c from -22 to -24.5
 * 2 h earlier: probability 0.81 → 0.22, under the alert threshold 0.5", or a plain statement that no change within bounds would
 * have avoided it.
 */
export function recommendationText(r: Recommendation): string {
  // Two decimals, more (up to four) when two would show the change, or the gap to the threshold, as none.
  const digits = (...pairs: Array<[number, number]>) => {
    for (let d = 2; d < 4; d++) if (pairs.every(([a, b]) => a.toFixed(d) !== b.toFixed(d))) return d;
    return 4;
  };
  switch (r.kind) {
    case 'change': {
      const moves = r.changes
        .map((c) => `${c.to < c.from ? 'lower' : 'raise'} ${c.variable} from ${level(c.from)} to ${level(c.to)}`)
        .join(' and ');
      const d = digits([r.probabilityBefore, r.probabilityAfter], [r.probabilityAfter, r.threshold]);
      return (
        `${moves} ${durationWords(r.leadMs)} earlier: probability ${r.probabilityBefore.toFixed(d)} → ` +
        `${r.probabilityAfter.toFixed(d)}, under the alert threshold ${r.threshold.toFixed(d)}`
      );
    }
    case 'none': {
      const d = digits([r.lowestProbability, r.threshold]);
      const p = (x: number) => x.toFixed(d);
      const ranges = r.searched.map((c) => `${c.variable} within ${level(c.min)} to ${level(c.max)}`).join(', ');
      return (
        `no controllable change would have avoided it: changing ${ranges} (observed in training and allowed ` +
        `by the bounds) brings the probability ${p(r.probabilityBefore)} down to ${p(r.lowestProbability)} at best, ` +
        `not under the threshold ${p(r.threshold)}`
      );
    }
    case 'no_controllable':
      return 'no recommendation: the problem lists no controllable variable (variables.controllable)';
  }
}
