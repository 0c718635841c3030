import { featureNames, rowFeatures } from './dataset';
import type { ProblemFeatureSpec } from './dataset';
import type { ProblemScorer } from './explanation';
import { logOdds, probabilityOf } from './learners';
import type { FittedProblemLearner } from './learners';
import { recommend, recommendationText } from './recommendation';
import type { ControllableRange } from './recommendation';

/**
 * A known model: logistic on three variables with a 3-bucket window, log-odds =
 * door:last + ½·setpoint:last + ½·setpoint:mean_3 − ½·fan:last − ½·fan:mean_3 + bias. Shifting a
 * variable over its window moves its last value and mean alike, so lowering the set-point by δ
 * lowers the log-odds by δ and raising the fan by δ lowers it by δ: the answers are known exactly.
 */
const spec: ProblemFeatureSpec = {
  stepMs: 5 * 60_000,
  variables: ['m.door', 'm.fan', 'm.setpoint'],
  windowSteps: [3],
  forSteps: 1,
  horizonSteps: 12,
};
const names = featureNames(spec);
const width = names.length;

function model(bias: number): { learner: FittedProblemLearner; score: ProblemScorer } {
  const weights = names.map((n) =>
    n === 'm.door:last'
      ? 1
      : n === 'm.setpoint:last' || n === 'm.setpoint:mean_3'
        ? 0.5
        : n === 'm.fan:last' || n === 'm.fan:mean_3'
          ? -0.5
          : 0
  );
  const learner: FittedProblemLearner = {
    kind: 'logistic',
    mean: names.map(() => 0),
    scale: names.map(() => 1),
    weights,
    bias,
  };
  const score: ProblemScorer = async (rows) => {
    const z = logOdds(learner, { rowCount: rows.length / width, featureCount: width, values: rows });
    return Float32Array.from(z, (v) => probabilityOf(v, { slope: 1, offset: 0 }));
  };
  return { learner, score };
}

/** Ten buckets of constant values: door 2, fan 0, set-point −22; log-odds 1.5 with bias 21.5. */
function situation() {
  const filled = [2, 0, -22].map((v) => new Float64Array(10).fill(v));
  const k = 9;
  const row = new Float32Array(width);
  rowFeatures(filled, k, spec.windowSteps, row, 0);
  return { filled, k, row };
}

async function advise(controllables: ControllableRange[], threshold = 0.5) {
  const { score } = model(21.5);
  const { filled, k, row } = situation();
  const [probability] = await score(row);
  return recommend({ spec, filled, k, row, probability, threshold, controllables, score });
}

describe('recommend', () => {
  it('When lowering one set-point within its range avoids the alert, then the smallest such change is proposed', async () => {
    const r = await advise([{ variable: 'm.setpoint', min: -26, max: -20 }]);
    expect(r.kind).toBe('change');
    if (r.kind !== 'change') return;
    expect(r.changes).toHaveLength(1);
    expect(r.changes[0].variable).toBe('m.setpoint');
    expect(r.changes[0].from).toBe(-22);
    // The exact boundary is −23.5 (log-odds 0); rounded away from the current value to 0.1.
    expect(r.changes[0].to).toBeLessThan(-23.5);
    expect(r.changes[0].to).toBeGreaterThanOrEqual(-23.6);
    expect(r.probabilityBefore).toBeCloseTo(1 / (1 + Math.exp(-1.5)), 5);
    expect(r.probabilityAfter).toBeLessThan(0.5);
    expect(r.leadMs).toBe(15 * 60_000);
    expect(recommendationText(r)).toBe('lower m.setpoint from -22 to -23.6 15 min earlier: probability 0.82 → 0.48, under the alert threshold 0.50');
  });

  it('When the range does not reach far enough, then it says plainly that no change would have avoided it', async () => {
    const r = await advise([{ variable: 'm.setpoint', min: -23, max: -20 }]);
    expect(r.kind).toBe('none');
    if (r.kind !== 'none') return;
    // The best it can do is −23: log-odds 0.5.
    expect(r.lowestProbability).toBeCloseTo(1 / (1 + Math.exp(-0.5)), 5);
    expect(recommendationText(r)).toBe(
      'no controllable change would have avoided it: changing m.setpoint within -23 to -20 (observed in training ' +
        'and allowed by the bounds) brings the probability 0.82 down to 0.62 at best, not under the threshold 0.50'
    );
  });

  it('When no variable alone suffices but two together do, then both changes are proposed and stay within their ranges', async () => {
    const r = await advise([
      { variable: 'm.setpoint', min: -23, max: -20 },
      { variable: 'm.fan', min: 0, max: 1 },
    ]);
    expect(r.kind).toBe('change');
    if (r.kind !== 'change') return;
    const byName = new Map(r.changes.map((c) => [c.variable, c]));
    expect([...byName.keys()].sort()).toEqual(['m.fan', 'm.setpoint']);
    const setpoint = byName.get('m.setpoint');
    const fan = byName.get('m.fan');
    expect(setpoint?.to).toBeGreaterThanOrEqual(-23);
    expect(setpoint?.to).toBeLessThan(-22);
    expect(fan?.to).toBeGreaterThan(0);
    expect(fan?.to).toBeLessThanOrEqual(1);
    // Together they must take away more than 1.5 of log-odds.
    expect(-22 - (setpoint?.to ?? 0) + (fan?.to ?? 0)).toBeGreaterThan(1.5);
    expect(r.probabilityAfter).toBeLessThan(0.5);
    expect(recommendationText(r)).toMatch(
      /^lower m\.setpoint from -22 to -2[23](\.\d+)? and raise m\.fan from 0 to [01](\.\d+)? 15 min earlier/
    );
  });

  it('When the model has no controllable variable, then the reason names the definition field', async () => {
    const r = await advise([]);
    expect(recommendationText(r)).toBe(
      'no recommendation: the problem lists no controllable variable (variables.controllable)'
    );
  });

  it('When the change is searched, then the variables that are not controllable keep their values', async () => {
    const seen: Float32Array[] = [];
    const { score } = model(21.5);
    const { filled, k, row } = situation();
    const spy: ProblemScorer = async (rows) => {
      seen.push(rows.slice());
      return score(rows);
    };
    await recommend({
      spec,
      filled,
      k,
      row,
      probability: 0.82,
      threshold: 0.5,
      controllables: [{ variable: 'm.setpoint', min: -26, max: -20 }],
      score: spy,
    });
    const door = names
      .map((n, f) => (n.startsWith('m.door:') || n.startsWith('m.fan:') ? f : -1))
      .filter((f) => f >= 0);
    for (const rows of seen) {
      for (let r = 0; r < rows.length / width; r++) {
        for (const f of door) expect(rows[r * width + f]).toBe(row[f]);
      }
    }
  });
});
