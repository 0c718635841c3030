import { plural } from '@nocai/contract';

/**
 * Figures of a binary alert model over rows with a probability and a 0/1 label (issue 12). Ties in
 * the score are handled as one step of the curves, as scikit-learn does, so a constant score gets
 * the no-skill figures (PR-AUC = prevalence, ROC-AUC = 0.5) whatever the row order.
 */

/** Distinct scores, descending, with the positives and rows at each. */
function steps(scores: ArrayLike<number>, labels: ArrayLike<number>) {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  const out: Array<{ score: number; positives: number; rows: number }> = [];
  for (const i of order) {
    const last = out[out.length - 1];
    if (last && last.score === scores[i]) {
      last.rows++;
      last.positives += labels[i] ? 1 : 0;
    } else out.push({ score: scores[i], rows: 1, positives: labels[i] ? 1 : 0 });
  }
  return out;
}

const positivesOf = (labels: ArrayLike<number>) => {
  let n = 0;
  for (let i = 0; i < labels.length; i++) n += labels[i] ? 1 : 0;
  return n;
};

/** Average precision (scikit-learn's `average_precision_score`): Σ (Rₙ − Rₙ₋₁) · Pₙ. 0 without positives. */
export function averagePrecision(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const total = positivesOf(labels);
  if (total === 0) return 0;
  let tp = 0;
  let seen = 0;
  let ap = 0;
  for (const s of steps(scores, labels)) {
    tp += s.positives;
    seen += s.rows;
    ap += (s.positives / total) * (tp / seen);
  }
  return ap;
}

/** Area under the ROC curve (trapezoids over tied steps); 0.5 when a class is missing. */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const positives = positivesOf(labels);
  const negatives = labels.length - positives;
  if (positives === 0 || negatives === 0) return 0.5;
  let tp = 0;
  let fp = 0;
  let area = 0;
  for (const s of steps(scores, labels)) {
    const fpBefore = fp;
    const tpBefore = tp;
    tp += s.positives;
    fp += s.rows - s.positives;
    area += ((fp - fpBefore) / negatives) * ((tp + tpBefore) / 2 / positives);
  }
  return area;
}

export interface CurvePoint {
  threshold: number;
  precision: number;
  recall: number;
  /** False-positive rate, for the ROC curve. */
  fpr: number;
}

/** The curves' points (at most `maxPoints`, evenly spread over the distinct scores), highest threshold first. */
export function curvePoints(scores: ArrayLike<number>, labels: ArrayLike<number>, maxPoints = 101): CurvePoint[] {
  const positives = positivesOf(labels);
  const negatives = labels.length - positives;
  const all: CurvePoint[] = [];
  let tp = 0;
  let seen = 0;
  for (const s of steps(scores, labels)) {
    tp += s.positives;
    seen += s.rows;
    all.push({
      threshold: s.score,
      precision: tp / seen,
      recall: positives > 0 ? tp / positives : 0,
      fpr: negatives > 0 ? (seen - tp) / negatives : 0,
    });
  }
  if (all.length <= maxPoints) return all;
  const picked: CurvePoint[] = [];
  for (let i = 0; i < maxPoints; i++) picked.push(all[Math.round((i * (all.length - 1)) / (maxPoints - 1))]);
  return picked;
}

export interface AtThreshold {
  threshold: number;
  precision: number;
  recall: number;
  alerts: number;
  truePositives: number;
}

/** Precision and recall of alerting when probability ≥ threshold. */
export function atThreshold(scores: ArrayLike<number>, labels: ArrayLike<number>, threshold: number): AtThreshold {
  let alerts = 0;
  let tp = 0;
  for (let i = 0; i < scores.length; i++) {
    if (scores[i] >= threshold) {
      alerts++;
      tp += labels[i] ? 1 : 0;
    }
  }
  const positives = positivesOf(labels);
  return {
    threshold,
    precision: alerts > 0 ? tp / alerts : 0,
    recall: positives > 0 ? tp / positives : 0,
    alerts,
    truePositives: tp,
  };
}

/** While an entity's probability stays over the threshold, the problem stage alerts again this often. */
export const ALERT_REPEAT_MS = 3_600_000;

/**
 * How often alerts repeat while the probability stays high, in the rows' time unit. An alert says
 * "the event within the horizon": when the horizon has passed without it, a new alert is a new
 * claim, so alerts repeat once per horizon (at least a step), and for times in ms at most hourly
 * (`ALERT_REPEAT_MS`), as the problem stage does. A table timed in its own numbers (cycles) or in
 * row order has no hours: once per horizon.
 */
export function alertRepeat(timeUnit: { size: number }, horizon: number, step: number): number {
  const perHorizon = Math.max(horizon, step);
  return timeUnit.size === 60_000 ? Math.min(ALERT_REPEAT_MS, perHorizon) : perHorizon;
}

/** Validation rows as the problem stage meets them: per entity, in time order. */
export interface AlertRows {
  /** Time of each row (the end of its step), ms. */
  timesMs: ArrayLike<number>;
  /** Index of each row's entity. */
  entityOf: ArrayLike<number>;
  /** 1 when the event starts within the horizon after the row. */
  labels: ArrayLike<number>;
  /** Onsets of the event per entity (ms), in the period. */
  onsetTimesMs: ReadonlyArray<readonly number[]>;
  stepMs: number;
  horizonMs: number;
  /** While the probability stays high, an alert again after this long (`alertRepeat`), in the times' unit. */
  repeat: number;
}

/** What the alerts of a threshold would have been: each alert judged like an operator judges its ticket. */
export interface AlertFigures {
  threshold: number;
  /** Alerts raised (a crossing, and a repeat every `rows.repeat` while the probability stays high). */
  alerts: number;
  /** Alerts followed by the event within the horizon. */
  truePositives: number;
  /** truePositives / alerts; 0 without alerts. */
  precision: number;
  events: number;
  /** Events with at least one alert within the horizon before them. */
  warned: number;
  /** warned / events. */
  recall: number;
  /**
   * Over warned events, the median time from the first alert within the horizon to the onset, in
   * the rows' time unit (ms, or a table's own numbers); null when none is warned.
   */
  medianLead: number | null;
}

/**
 * The alerts the problem stage would raise at `threshold` over `rows`: an alert when an entity's
 * probability reaches the threshold, again every `rows.repeat` while it stays at or above half
 * of it, a new episode after a gap in the rows (the event under way, for which there are no rows).
 */
export function alertFigures(scores: ArrayLike<number>, rows: AlertRows, threshold: number): AlertFigures {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort(
    (a, b) => rows.entityOf[a] - rows.entityOf[b] || rows.timesMs[a] - rows.timesMs[b]
  );
  let alerts = 0;
  let truePositives = 0;
  let lastAlert = -Infinity;
  let previous = -1;
  const alertTimes = new Map<number, number[]>();
  for (const i of order) {
    const entity = rows.entityOf[i];
    const t = rows.timesMs[i];
    const continues = previous >= 0 && rows.entityOf[previous] === entity && t - rows.timesMs[previous] <= rows.stepMs;
    if (!continues) lastAlert = -Infinity;
    previous = i;
    const p = scores[i];
    if (p >= threshold && t - lastAlert >= rows.repeat) {
      lastAlert = t;
      alerts++;
      truePositives += rows.labels[i] ? 1 : 0;
      const list = alertTimes.get(entity) ?? [];
      list.push(t);
      alertTimes.set(entity, list);
    } else if (lastAlert !== -Infinity && p < threshold / 2) {
      lastAlert = -Infinity;
    }
  }
  let events = 0;
  const leads: number[] = [];
  rows.onsetTimesMs.forEach((onsets, entity) => {
    const times = alertTimes.get(entity) ?? [];
    for (const onset of onsets) {
      events++;
      // Alert times are ascending: the first one within the horizon is the warning's lead.
      const first = times.find((t) => t >= onset - rows.horizonMs && t < onset);
      if (first !== undefined) leads.push(onset - first);
    }
  });
  leads.sort((a, b) => a - b);
  const warned = leads.length;
  return {
    threshold,
    alerts,
    truePositives,
    precision: alerts > 0 ? truePositives / alerts : 0,
    events,
    warned,
    recall: events > 0 ? warned / events : 0,
    medianLead: warned > 0 ? leads[Math.floor((warned - 1) / 2)] : null,
  };
}

export interface ThresholdChoice {
  threshold: number;
  /** Whether the alerts' precision reaches the target at the chosen threshold. */
  met: boolean;
  figures: AlertFigures;
  /** When not met: what was reachable and what was chosen instead, in a sentence. */
  reason?: string;
}

/** At most this many candidate thresholds are tried (spread over the distinct probabilities). */
const MAX_CANDIDATES = 400;

/**
 * The alert threshold for a target precision, judged on alerts (what an operator sees: one ticket
 * per crossing, not one per row above the threshold, which counts the rows just before an event
 * many times over and rewards a tiny threshold). Among the thresholds whose alerts reach
 * `target`, the one warning of the most events; among those, the one warning earliest (the
 * longest median lead: an operator given more time can act, and a threshold that fires only once
 * the event is nearly there is of little use); the highest of those (fewest alerts). When none
 * reaches it, the threshold with the most precise alerts that still warns of an event, flagged
 * `met: false` with the reason; when no threshold warns of any event, 0.5 with the reason.
 */
export function thresholdForPrecision(scores: ArrayLike<number>, rows: AlertRows, target: number): ThresholdChoice {
  const distinct = [...new Set(Array.from(scores))].sort((a, b) => b - a);
  const candidates =
    distinct.length <= MAX_CANDIDATES
      ? distinct
      : Array.from(
          { length: MAX_CANDIDATES },
          (_, i) => distinct[Math.round((i * (distinct.length - 1)) / (MAX_CANDIDATES - 1))]
        );
  const figures = candidates.map((t) => alertFigures(scores, rows, t));
  let chosen: AlertFigures | undefined;
  for (const f of figures) {
    if (f.warned === 0 || f.precision < target) continue;
    if (
      !chosen ||
      f.warned > chosen.warned ||
      (f.warned === chosen.warned && (f.medianLead ?? 0) > (chosen.medianLead ?? 0))
    )
      chosen = f;
  }
  if (chosen) return { threshold: chosen.threshold, met: true, figures: chosen };
  let best: AlertFigures | undefined;
  for (const f of figures) {
    if (
      f.warned > 0 &&
      (!best || f.precision > best.precision || (f.precision === best.precision && f.warned > best.warned))
    )
      best = f;
  }
  const pct = (x: number) => `${Math.round(x * 100)}%`;
  if (!best) {
    const fallback = alertFigures(scores, rows, 0.5);
    return {
      threshold: 0.5,
      met: false,
      figures: fallback,
      reason: `no threshold warns of any of the ${fallback.events} validation events; the threshold falls back to 0.5`,
    };
  }
  return {
    threshold: best.threshold,
    met: false,
    figures: best,
    reason:
      `no threshold reaches a precision of ${pct(target)} on the validation alerts; the threshold falls back to ` +
      `the most precise one, ${best.threshold.toFixed(3)}: ${best.truePositives} of ${plural(best.alerts, 'alert')} right ` +
      `(${pct(best.precision)}), ${best.warned} of ${plural(best.events, 'event')} warned`,
  };
}

export interface LeadTimes {
  /** Onsets in the period. */
  events: number;
  /** Onsets with at least one alert within the horizon before them. */
  warned: number;
  /**
   * The unit of the leads: `minutes` for series and tables with ISO 8601 times; for a table whose
   * time column holds numbers (cycles, steps), that column's unit (`cycle units`); `rows` for a
   * table in file order.
   */
  unit: string;
  /** From the first alert in the horizon to the onset, over warned events, in `unit`. */
  median: number | null;
  min: number | null;
  max: number | null;
}

/** The median lead in minutes, or null (none warned, or leads counted in cycles or rows). Reads reports from before `unit` too. */
export function medianLeadMinutes(lead: LeadTimes | { medianMinutes: number | null }): number | null {
  if ('medianMinutes' in lead) return lead.medianMinutes;
  return lead.unit === 'minutes' ? lead.median : null;
}

/** How a lead reads to a person: "45 min", "12 cycle units", "n/a". */
export function formatLead(lead: LeadTimes): string {
  if (lead.median === null) return 'n/a';
  return lead.unit === 'minutes' ? `${Math.round(lead.median)} min` : `${+lead.median.toFixed(2)} ${lead.unit}`;
}

/** Lead times, each in `unit`, of the warned onsets among `events`, summarised. */
export function summariseLeads(leads: readonly number[], events: number, unit: string): LeadTimes {
  const sorted = [...leads].sort((a, b) => a - b);
  return {
    events,
    warned: sorted.length,
    unit,
    median: sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)] : null,
    min: sorted.length ? sorted[0] : null,
    max: sorted.length ? sorted[sorted.length - 1] : null,
  };
}

/**
 * How early the alerts came, for one entity: for each onset at time T, the first row at
 * t ∈ [T − horizon, T) with probability ≥ threshold; its lead is (T − t) / unitSize (60,000 for
 * minutes of epoch-ms times, 1 for a table's own numbers). Onsets without such a row are missed
 * and have no lead.
 */
export function alertLeads(
  onsetTimes: readonly number[],
  rowTimes: ArrayLike<number>,
  scores: ArrayLike<number>,
  threshold: number,
  horizon: number,
  unitSize: number
): number[] {
  const leads: number[] = [];
  for (const onset of onsetTimes) {
    let first = Infinity;
    for (let i = 0; i < rowTimes.length; i++) {
      const t = rowTimes[i];
      if (t >= onset - horizon && t < onset && scores[i] >= threshold && t < first) first = t;
    }
    if (first !== Infinity) leads.push((onset - first) / unitSize);
  }
  return leads;
}

/** Expected calibration error over `bins` equal-width probability bins: Σ (rows in bin / rows) · |mean p − event rate|. */
export function expectedCalibrationError(
  probabilities: ArrayLike<number>,
  labels: ArrayLike<number>,
  bins = 10
): number {
  const count = new Float64Array(bins);
  const sumP = new Float64Array(bins);
  const sumY = new Float64Array(bins);
  for (let i = 0; i < probabilities.length; i++) {
    const b = Math.min(bins - 1, Math.floor(probabilities[i] * bins));
    count[b]++;
    sumP[b] += probabilities[i];
    sumY[b] += labels[i] ? 1 : 0;
  }
  let ece = 0;
  for (let b = 0; b < bins; b++)
    if (count[b] > 0) ece += (count[b] / probabilities.length) * Math.abs(sumP[b] / count[b] - sumY[b] / count[b]);
  return ece;
}
