import { evidenceOfScore, raisesAlarm } from './alarmEpisodes';
import { createState, DEFAULT_ANOMALY_SETTINGS, SCORE_HALF_DECADES, update } from './anomalyDetector';

const scoreOf = (evidence: number) => evidence / (evidence + SCORE_HALF_DECADES);

describe('one alarm per episode', () => {
  it('When nothing before was evidence, then any evidence raises an alarm', () => {
    expect(raisesAlarm(scoreOf(0.5), 0, 1.1, SCORE_HALF_DECADES)).toBe(true);
    expect(raisesAlarm(0, 0, 1.1, SCORE_HALF_DECADES)).toBe(false);
  });

  it('When a sample beats the episode best by less than the ratio, then it does not page again', () => {
    expect(raisesAlarm(scoreOf(10.5), scoreOf(10), 1.1, SCORE_HALF_DECADES)).toBe(false);
    expect(raisesAlarm(scoreOf(11.5), scoreOf(10), 1.1, SCORE_HALF_DECADES)).toBe(true);
  });

  it('When the ratio is 1, then any increase escalates, and nothing lower or equal does', () => {
    expect(raisesAlarm(scoreOf(10.01), scoreOf(10), 1, SCORE_HALF_DECADES)).toBe(true);
    expect(raisesAlarm(scoreOf(10), scoreOf(10), 1, SCORE_HALF_DECADES)).toBe(false);
    expect(raisesAlarm(scoreOf(9), scoreOf(10), 1, SCORE_HALF_DECADES)).toBe(false);
  });

  it('When a score is converted back, then it gives the evidence it came from', () => {
    expect(evidenceOfScore(scoreOf(7.25), SCORE_HALF_DECADES)).toBeCloseTo(7.25, 9);
    expect(evidenceOfScore(1, SCORE_HALF_DECADES)).toBe(Number.POSITIVE_INFINITY);
  });

  it('When an episode creeps up sample by sample, then the detector pages once with the default ratio, more often without it', () => {
    const stepMs = 300_000;
    // Two days of deterministic noise around 50, then a slow ramp (half a unit a sample) from sample 580.
    const values = Array.from(
      { length: 640 },
      (_, i) => 50 + 2 * Math.sin(i * 1.7) + Math.cos(i * 0.37) + (i >= 580 ? (i - 580) * 0.5 : 0)
    );
    const alarmsWith = (escalationRatio: number) => {
      const state = createState();
      const settings = { ...DEFAULT_ANOMALY_SETTINGS, escalationRatio };
      return values
        .map((v, i) => update(state, i * stepMs, v, settings))
        .map((p, i) => (p.score > 0 && i >= 560 ? i : -1))
        .filter((i) => i >= 0);
    };
    const paged = alarmsWith(DEFAULT_ANOMALY_SETTINGS.escalationRatio);
    expect(paged).toHaveLength(1);
    expect(paged[0]).toBeGreaterThanOrEqual(580);
    expect(alarmsWith(1).length).toBeGreaterThan(1);
  });
});
