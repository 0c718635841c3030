import type { ModelPointRecord, ReportInputs } from './reportModel';

/**
 * A week of a department router as the lifecycle writes it, for the report's unit tests: v1 champion
 * evaluated on holdout and in production, v2 trained as challenger and promoted on Wednesday, a
 * shuffled-label v3 kept out; per-segment points with the overall ones; two inputs checked for
 * drift; tickets opened and verdicts given (one ticket judged twice); and three alerts of a
 * freezer problem explained by SHAP, by two versions of its model.
 */
export const FIXTURE_FROM_MS = Date.UTC(2024, 4, 6);
export const FIXTURE_TO_MS = Date.UTC(2024, 4, 13);

const day = (d: number, h = 0) => (FIXTURE_FROM_MS + d * 86_400_000 + h * 3_600_000) * 1000;

function point(
  timeUs: number,
  version: string,
  alias: string,
  source: string,
  segment: string,
  metrics: ModelPointRecord['metrics'],
  extra: Partial<ModelPointRecord> = {}
): ModelPointRecord {
  return { timeUs, model: 'department', version, alias, source, segment, metrics, ...extra };
}

export function fixtureInputs(): ReportInputs {
  return {
    overall: [
      point(
        day(0, 1),
        'v1',
        'champion',
        'holdout',
        'all',
        { accuracy: 0.86, f1: 0.81, holdoutSize: 400, primaryValue: 0.81 },
        { primaryMetric: 'f1' }
      ),
      point(day(1), 'v1', 'champion', 'production', 'all', {
        accuracy: 0.84,
        holdoutSize: 52,
        validCount: 40,
        invalidCount: 8,
        avoidedCount: 4,
      }),
      point(
        day(2, 3),
        'v2',
        'challenger',
        'holdout',
        'all',
        {
          accuracy: 0.91,
          f1: 0.88,
          holdoutSize: 380,
          primaryValue: 0.88,
          worstSegmentGap: 0.07,
          worstSegmentRatio: 0.92,
        },
        { primaryMetric: 'f1' }
      ),
      point(
        day(2, 3),
        'v1',
        'champion',
        'holdout',
        'all',
        { accuracy: 0.85, f1: 0.8, holdoutSize: 380, primaryValue: 0.8 },
        { primaryMetric: 'f1' }
      ),
      point(
        day(2, 3),
        'v2',
        'champion',
        'decision',
        'all',
        {},
        {
          primaryMetric: 'f1',
          decision: {
            decision: 'promoted',
            reason: 'f1 0.880 (v2) vs 0.800 (v1) on 380 fresh rows',
            championVersion: 'v1',
            challengerVersion: 'v2',
            championValue: 0.8,
            challengerValue: 0.88,
          },
        }
      ),
      point(day(4), 'v2', 'champion', 'production', 'all', {
        accuracy: 0.78,
        holdoutSize: 30,
        validCount: 20,
        invalidCount: 7,
        avoidedCount: 3,
      }),
      point(
        day(5, 2),
        'v3',
        'challenger',
        'holdout',
        'all',
        { accuracy: 0.41, f1: 0.3, holdoutSize: 390, primaryValue: 0.3 },
        { primaryMetric: 'f1' }
      ),
      point(
        day(5, 2),
        'v3',
        'challenger',
        'decision',
        'all',
        {},
        {
          primaryMetric: 'f1',
          decision: {
            decision: 'kept',
            reason: 'challenger <b>worse</b> & kept',
            championVersion: 'v2',
            challengerVersion: 'v3',
            championValue: 0.87,
            challengerValue: 0.3,
          },
        }
      ),
    ],
    segments: [
      point(day(2, 3), 'v2', 'challenger', 'holdout', 'site_kind=hospital', {
        accuracy: 0.95,
        f1: 0.9,
        holdoutSize: 200,
      }),
      point(day(2, 3), 'v2', 'challenger', 'holdout', 'site_kind=factory', {
        accuracy: 0.84,
        f1: 0.81,
        holdoutSize: 180,
      }),
      // An older evaluation's group: not part of v1's newest holdout evaluation (day 2), left out.
      point(day(0, 1), 'v1', 'champion', 'holdout', 'site_kind=hotel', { accuracy: 0.7, f1: 0.6, holdoutSize: 50 }),
      point(day(4), 'v2', 'champion', 'production', 'department=facilities', { accuracy: 0.6, holdoutSize: 10 }),
    ],
    drift: [
      {
        model: 'department',
        feature: 'site_kind',
        kind: 'categorical',
        timeUs: day(6),
        psi: 0.05,
        method: 'chi2',
        statistic: 3.2,
        pValue: 0.36,
        sampleSize: 300,
        driftDetected: false,
        modelVersion: 'v2',
        maxPsi: 0.08,
        evaluations: 6,
        detections: 0,
      },
      {
        model: 'department',
        feature: 'template_mix',
        kind: 'templates',
        timeUs: day(6),
        psi: 0.41,
        method: 'chi2',
        statistic: 88,
        pValue: 0.0001,
        sampleSize: 300,
        unseenShare: 0.3,
        driftDetected: true,
        modelVersion: 'v2',
        maxPsi: 0.41,
        evaluations: 6,
        detections: 2,
      },
    ],
    openedByClass: { power: 5, network: 3 },
    verdicts: [
      { timeUs: day(1), ticketId: 't1', verdict: 'invalid', eventClass: 'power' },
      { timeUs: day(3), ticketId: 't1', verdict: 'valid', eventClass: 'power' },
      { timeUs: day(2), ticketId: 't2', verdict: 'avoided', eventClass: 'power' },
      { timeUs: day(2), ticketId: 't3', verdict: 'invalid', eventClass: 'network' },
      { timeUs: day(2), ticketId: 't4', verdict: 'valid', eventClass: 'network' },
    ],
    explained: [
      {
        timeUs: day(3),
        model: 'problem-freezer',
        version: '3',
        kind: 'alert',
        factors: [
          { feature: 'freezer.door_open:mean', weight: 0.9, value: 0.6 },
          { feature: 'freezer.temp_c:slope', weight: 0.3, value: 0.1 },
        ],
      },
      {
        timeUs: day(1, 2),
        model: 'problem-freezer',
        version: '2',
        kind: 'alert',
        factors: [
          { feature: 'freezer.temp_c:slope', weight: 1.2, value: 0.4 },
          { feature: 'freezer.door_open:mean', weight: 0.5, value: 0.3 },
          { feature: 'freezer.setpoint_c:last', weight: -0.2, value: -21 },
        ],
      },
    ],
  };
}
