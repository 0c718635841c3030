import { ALERT_THRESHOLDS } from '@nocai/contract';
import {
  createState,
  decodeState,
  DEFAULT_ANOMALY_SETTINGS,
  encodeState,
  stateBytes,
  update,
  type AnomalyDetectorSettings,
  type AnomalyDetectorState,
} from './anomalyDetector';

/** What a detector says of one value: how anomalous, and the band it expected. */
export interface AnomalyScore {
  /** In [0, 1]; 1 is certainly anomalous. */
  score: number;
  expected: number;
  lower: number;
  upper: number;
}

/**
 * A causal, online model of one series (domain/timeseries): its state is bounded whatever the
 * series' length, persists as a JSON value, and a value's score uses only the values before it.
 */
export interface SeriesDetector<S> {
  /** The `detector` tag of the points it scores. */
  readonly name: string;
  /** The `model_version` field. */
  readonly version: string;
  create(): S;
  /** Scores `value` at `timeMs` and learns it; undefined while the model is still warming up. */
  update(state: S, timeMs: number, value: number): AnomalyScore | undefined;
  /** The state as a JSON value, and back (absent: the state is plain JSON already). */
  encode?(state: S): unknown;
  decode?(saved: unknown): S;
  /** Bytes the state holds in memory. */
  bytes?(state: S): number;
  /**
   * The score left of `score` once what `routine` (another series' score at the same time) shows
   * is taken out, for the stage's peer consensus (MetricStage): absent, the stage subtracts the
   * scores themselves.
   */
  discount?(score: number, routine: number): number;
}

/**
 * The detector's settings in the live stage, which scores one-minute buckets
 * (MetricStageOptions.resolutionMs): a 6-hour baseline, a day of value history and of each
 * statistic's history (so the daily pattern is known), 3 days of evidence for the time-of-day
 * discount and the largest evidence of each half hour of the last week for the time-of-week one:
 * about 10,900 numbers, 56 KB in memory per series (rollingWindow.ts). Counters arrive
 * as rates: the stage converts them.
 */
export const LIVE_DETECTOR_SETTINGS: AnomalyDetectorSettings = {
  ...DEFAULT_ANOMALY_SETTINGS,
  baselineSamples: 360,
  historySamples: 1440,
  calibrationSamples: 1440,
  suppressionSamples: 60,
  // Off: the live score is the unsuppressed evidence, so a flat line would hold the alert for as
  // long as the metric stays flat (an idle disk's counters, a quiet night), not page once as on NAB.
  flatlineMinRun: 0,
  kind: 'gauge',
};

/**
 * Decades of evidence at which a live score reaches the alert threshold (0.9): the evidence at
 * the threshold NAB's optimisation chose for this detector on the 17 dev series (score 0.387 =
 * 6.3 decades), rounded.
 */
export const LIVE_ALARM_DECADES = 6;

/**
 * The live score of a sample: its evidence (not suppressed: an ongoing anomaly keeps scoring, so
 * "score above 0.9 for 5 minutes" means what it says), mapped to [0, 1) so that 0.9 is
 * LIVE_ALARM_DECADES, 0.5 about half of it, and ordinary samples (one or two decades) stay under 0.3.
 */
export function liveScore(evidence: number): number {
  const cube = Math.max(0, evidence) ** 3;
  const c = LIVE_ALARM_DECADES ** 3 * (1 / ALERT_THRESHOLDS.anomalyScore - 1);
  return cube / (cube + c);
}

/** The evidence (decades) whose live score is `score`: liveScore's inverse. */
export function liveEvidence(score: number): number {
  if (!(score > 0)) return 0;
  const s = Math.min(score, 1 - 1e-12);
  const c = LIVE_ALARM_DECADES ** 3 * (1 / ALERT_THRESHOLDS.anomalyScore - 1);
  return Math.cbrt((c * s) / (1 - s));
}

/**
 * The live metric stage's detector: the code `nocai anomalies` runs and the NAB bench measures
 * (anomalyDetector.ts), behind the stage's port.
 */
export function createSeriesDetector(): SeriesDetector<AnomalyDetectorState> {
  return {
    name: 'nocai-robust',
    version: 'v1',
    create: createState,
    encode: encodeState,
    decode: (saved) => decodeState(saved as Parameters<typeof decodeState>[0]),
    bytes: stateBytes,
    // Evidence is −log10 of a probability: subtracting the routine's divides the sample's chance by
    // the routine's, as the detector's own time-of-day discount does with yesterday's evidence.
    discount: (score, routine) => liveScore(Math.max(0, liveEvidence(score) - liveEvidence(routine))),
    update: (state, timeMs, value) => {
      const { evidence, expected, lower, upper } = update(state, timeMs, value, LIVE_DETECTOR_SETTINGS);
      if (
        expected === null ||
        lower === null ||
        upper === null ||
        state.samples <= LIVE_DETECTOR_SETTINGS.warmupSamples
      ) {
        return undefined;
      }
      return { score: liveScore(evidence), expected, lower, upper };
    },
  };
}
