import {
  ALERT_REPEAT_MS,
  alertFigures,
  alertLeads,
  alertRepeat,
  atThreshold,
  averagePrecision,
  formatLead,
  medianLeadMinutes,
  rocAuc,
  summariseLeads,
  thresholdForPrecision,
} from './evaluation';
import type { AlertRows } from './evaluation';

const STEP_MS = 5 * 60_000;

/**
 * One entity's validation rows, 5-minute steps, horizon 1 h: 4 events, each preceded by 12 rows
 * scored `eventLevel` (labelled 1) and followed by 2 steps without rows (the event under way);
 * 6 lone decoy rows scored `decoyLevel` in between; every other row 0.01.
 */
function history(levels: {
  eventLevel: number;
  decoyLevel: number;
}): AlertRows & { scores: number[]; labels: number[] } {
  const scores: number[] = [];
  const labels: number[] = [];
  const timesMs: number[] = [];
  const onsets: number[] = [];
  let t = 0;
  const row = (score: number, label: number) => {
    t += STEP_MS;
    scores.push(score);
    labels.push(label);
    timesMs.push(t);
  };
  for (let e = 0; e < 4; e++) {
    for (let k = 0; k < 30; k++) row(k === 10 || (e < 2 && k === 20) ? levels.decoyLevel : 0.01, 0);
    for (let k = 0; k < 12; k++) row(levels.eventLevel, 1);
    onsets.push(t + STEP_MS);
    t += 2 * STEP_MS;
  }
  return {
    scores,
    labels,
    timesMs,
    entityOf: scores.map(() => 0),
    onsetTimesMs: [onsets],
    stepMs: STEP_MS,
    horizonMs: 12 * STEP_MS,
    repeat: ALERT_REPEAT_MS,
  };
}

describe('alert figures', () => {
  it("When scored like scikit-learn's documented example, then PR-AUC and ROC-AUC match its figures", () => {
    // sklearn.metrics.average_precision_score / roc_auc_score docstring example.
    const labels = [0, 0, 1, 1];
    const scores = [0.1, 0.4, 0.35, 0.8];
    expect(averagePrecision(scores, labels)).toBeCloseTo(0.8333333, 6);
    expect(rocAuc(scores, labels)).toBeCloseTo(0.75, 10);
  });

  it('When every row gets the same score, then the figures are those of no skill whatever the row order', () => {
    const labels = [1, 0, 0, 0, 1, 0, 0, 0, 0, 0];
    const scores = labels.map(() => 0.3);
    expect(averagePrecision(scores, labels)).toBeCloseTo(0.2, 10);
    expect(rocAuc(scores, labels)).toBeCloseTo(0.5, 10);
  });

  it('When the rows before events outnumber the false alarms, then the threshold is chosen on alerts, not rows, and is not a tiny one', () => {
    // Per row, a threshold of 0.05 looks 89% precise (48 rows before events, 6 decoy rows); as alerts
    // it is 4 right out of 10 (every decoy is a ticket of its own). 0.6 alerts once per event, and only then.
    const rows = history({ eventLevel: 0.6, decoyLevel: 0.05 });
    const rowLevel = atThreshold(rows.scores, rows.labels, 0.05);
    expect(rowLevel.precision).toBeGreaterThan(0.85);
    expect(alertFigures(rows.scores, rows, 0.05)).toMatchObject({ alerts: 10, truePositives: 4, warned: 4 });
    const chosen = thresholdForPrecision(rows.scores, rows, 0.7);
    expect(chosen).toMatchObject({ threshold: 0.6, met: true });
    expect(chosen.figures).toMatchObject({
      alerts: 4,
      truePositives: 4,
      precision: 1,
      events: 4,
      warned: 4,
      recall: 1,
    });
    expect(chosen.reason).toBeUndefined();
  });

  it('When several thresholds warn of every event with precise alerts, then the one warning earliest is chosen', () => {
    // Before each event the probability climbs: 0.5 from an hour before, 0.9 from half an hour before.
    // Both thresholds alert once per event, always right; 0.5 gives the operator twice the time.
    const rows = history({ eventLevel: 0.9, decoyLevel: 0.01 });
    rows.scores.forEach((_, i) => {
      if (rows.labels[i] && !rows.labels[i - 6]) rows.scores[i] = 0.5;
    });
    const hour = 12 * STEP_MS;
    expect(alertFigures(rows.scores, rows, 0.9)).toMatchObject({ alerts: 4, warned: 4, medianLead: hour / 2 });
    expect(alertFigures(rows.scores, rows, 0.5)).toMatchObject({ alerts: 4, warned: 4, medianLead: hour });
    const chosen = thresholdForPrecision(rows.scores, rows, 0.7);
    expect(chosen).toMatchObject({ threshold: 0.5, met: true });
    expect(chosen.figures).toMatchObject({ precision: 1, warned: 4, medianLead: hour });
  });

  it('When a table is timed in cycles and the probability rises before the horizon, then the alert repeats once the horizon has passed and warns of the failure', () => {
    // One engine, cycles 1-100, fails after cycle 100 (onset 101), horizon 30: high from cycle 61 on.
    const cycles = Array.from({ length: 100 }, (_, i) => i + 1);
    const scores = cycles.map((c) => (c >= 61 ? 0.9 : 0.1));
    const rows: AlertRows = {
      timesMs: cycles,
      entityOf: cycles.map(() => 0),
      labels: cycles.map((c) => (c >= 71 ? 1 : 0)),
      onsetTimesMs: [[101]],
      stepMs: 1,
      horizonMs: 30,
      repeat: alertRepeat({ size: 1 }, 30, 1),
    };
    expect(rows.repeat).toBe(30);
    // Cycle 61 is ten cycles too early; the repeat at 91 is within the horizon, ten cycles ahead.
    expect(alertFigures(scores, rows, 0.5)).toMatchObject({ alerts: 2, truePositives: 1, warned: 1, medianLead: 10 });
    // An hour of milliseconds would never pass in cycles: one alert, too early, and the failure unwarned.
    expect(alertFigures(scores, { ...rows, repeat: ALERT_REPEAT_MS }, 0.5)).toMatchObject({ alerts: 1, warned: 0 });
    // Times in ms: at most hourly, and once per horizon when the horizon is shorter.
    expect(alertRepeat({ size: 60_000 }, 2 * 3_600_000, STEP_MS)).toBe(ALERT_REPEAT_MS);
    expect(alertRepeat({ size: 60_000 }, 15 * 60_000, STEP_MS)).toBe(15 * 60_000);
  });

  it('When no threshold reaches the target precision, then the fallback is the most precise threshold that warns, said in the reason', () => {
    // Decoys score above every row before an event: alone they warn of nothing; with the event rows 4 of 10 alerts are right.
    const rows = history({ eventLevel: 0.6, decoyLevel: 0.9 });
    const chosen = thresholdForPrecision(rows.scores, rows, 0.7);
    expect(chosen.met).toBe(false);
    expect(chosen.threshold).toBe(0.6);
    expect(chosen.figures).toMatchObject({ alerts: 10, truePositives: 4, warned: 4 });
    expect(chosen.reason).toMatch(
      /^no threshold reaches a precision of 70% on the validation alerts; .* 0\.600: 4 of 10 alerts right \(40%\), 4 of 4 events warned$/
    );
  });

  it('When alerts precede an event within the horizon, then its lead is the time from the first of them', () => {
    const minute = 60_000;
    const times = [0, 10, 20, 30, 40, 50].map((m) => m * minute);
    const scores = [0.9, 0.1, 0.8, 0.9, 0.2, 0.9];
    // Horizon 35 min before the event at 50 min: rows at 20, 30, 40 qualify; the first alert is at 20.
    expect(alertLeads([50 * minute], times, scores, 0.5, 35 * minute, minute)).toEqual([30]);
    expect(alertLeads([50 * minute], times, scores, 0.95, 35 * minute, minute)).toEqual([]);
  });

  it('When the times are cycles, then the leads are cycles and no minute figure is claimed', () => {
    const cycles = [100, 101, 102, 103, 104, 105];
    const scores = [0.1, 0.1, 0.9, 0.9, 0.2, 0.9];
    const leads = alertLeads([106], cycles, scores, 0.5, 5, 1);
    expect(leads).toEqual([4]);
    const lead = summariseLeads(leads, 1, 'cycle units');
    expect(lead).toMatchObject({ unit: 'cycle units', median: 4, warned: 1, events: 1 });
    expect(formatLead(lead)).toBe('4 cycle units');
    expect(medianLeadMinutes(lead)).toBeNull();
    expect(formatLead(summariseLeads([44.6], 1, 'minutes'))).toBe('45 min');
    expect(medianLeadMinutes(summariseLeads([44.6], 1, 'minutes'))).toBe(44.6);
  });

  it('When a report predates lead units, then its median lead in minutes is still read', () => {
    expect(medianLeadMinutes({ medianMinutes: 45 })).toBe(45);
    expect(medianLeadMinutes({ medianMinutes: null })).toBeNull();
  });
});
