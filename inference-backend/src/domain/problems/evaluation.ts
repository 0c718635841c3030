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

/**
 * The lowest threshold whose precision reaches `target` (the most recall at that precision), or,
 * when no threshold reaches it, the one with the best F1, with `met` false.
 */
export function thresholdForPrecision(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  target: number
): { threshold: number; met: boolean } {
  const points = curvePoints(scores, labels, Number.POSITIVE_INFINITY);
  let chosen: CurvePoint | undefined;
  for (const p of points) if (p.precision >= target && p.recall > 0) chosen = p;
  if (chosen) return { threshold: chosen.threshold, met: true };
  let best = points[0];
  let bestF1 = -1;
  for (const p of points) {
    const f1 = p.precision + p.recall > 0 ? (2 * p.precision * p.recall) / (p.precision + p.recall) : 0;
    if (f1 > bestF1) {
      bestF1 = f1;
      best = p;
    }
  }
  return { threshold: best?.threshold ?? 0.5, met: false };
}

export interface LeadTimes {
  /** Onsets in the period. */
  events: number;
  /** Onsets with at least one alert within the horizon before them. */
  warned: number;
  /** Minutes from the first alert in the horizon to the onset, over warned events. */
  medianMinutes: number | null;
  minMinutes: number | null;
  maxMinutes: number | null;
}

/** Lead times, in minutes, of the warned onsets among `events`, summarised. */
export function summariseLeads(minutes: readonly number[], events: number): LeadTimes {
  const leads = [...minutes].sort((a, b) => a - b);
  return {
    events,
    warned: leads.length,
    medianMinutes: leads.length ? leads[Math.floor((leads.length - 1) / 2)] : null,
    minMinutes: leads.length ? leads[0] : null,
    maxMinutes: leads.length ? leads[leads.length - 1] : null,
  };
}

/**
 * How early the alerts came, for one entity: for each onset at time T, the first row at
 * t ∈ [T − horizon, T) with probability ≥ threshold; its lead is T − t, in minutes. Onsets without
 * such a row are missed and have no lead.
 */
export function leadMinutes(
  onsetTimesMs: readonly number[],
  rowTimesMs: ArrayLike<number>,
  scores: ArrayLike<number>,
  threshold: number,
  horizonMs: number
): number[] {
  const leads: number[] = [];
  for (const onset of onsetTimesMs) {
    let first = Infinity;
    for (let i = 0; i < rowTimesMs.length; i++) {
      const t = rowTimesMs[i];
      if (t >= onset - horizonMs && t < onset && scores[i] >= threshold && t < first) first = t;
    }
    if (first !== Infinity) leads.push((onset - first) / 60_000);
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
