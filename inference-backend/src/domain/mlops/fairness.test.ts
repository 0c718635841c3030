import {
  classificationBySegment,
  metricFrame,
  regressionBySegment,
  worstToOverall,
  type EvaluationRow,
  type MetricFrame,
} from './fairness';

/*
 * Reference figures computed once with Fairlearn 0.15.0 and scikit-learn 1.9.1 in the repository's
 * .venv-bench (`.venv-bench/bin/pip install fairlearn`), for the rows below:
 *
 *   import pandas as pd
 *   from fairlearn.metrics import MetricFrame
 *   from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, mean_absolute_error
 *   sf = pd.DataFrame({'site_kind': SITE, 'device_kind': DEV})
 *   def show(fn, **kw):
 *       for col in sf:
 *           mf = MetricFrame(metrics=fn, y_true=Y_TRUE, y_pred=Y_PRED, sensitive_features=sf[col], **kw)
 *           print(col, mf.overall, dict(mf.by_group), mf.difference(), mf.ratio(),
 *                 mf.difference(method='to_overall'), mf.ratio(method='to_overall'))
 *   show(accuracy_score)
 *   show(lambda a, b: f1_score(a, b, average='macro', zero_division=0))
 *   show(lambda a, b: precision_score(a, b, labels=['net'], average='micro', zero_division=0))
 *   show(lambda a, b: recall_score(a, b, labels=['net'], average='micro', zero_division=0))
 *   show(accuracy_score, sample_params={'sample_weight': W})
 *   show(lambda a, b, sample_weight: f1_score(a, b, average='macro', sample_weight=sample_weight, zero_division=0),
 *        sample_params={'sample_weight': W})
 *   mf = MetricFrame(metrics=mean_absolute_error, y_true=T, y_pred=P, sensitive_features=pd.Series(G, name='department'))
 */
const Y_TRUE = ['net', 'net', 'power', 'power', 'sec', 'net', 'power', 'sec', 'sec', 'net', 'power', 'net'];
const Y_PRED = ['net', 'power', 'power', 'power', 'sec', 'net', 'net', 'sec', 'net', 'net', 'power', 'sec'];
const SITE = [
  'hospital',
  'hospital',
  'hospital',
  'hospital',
  'school',
  'school',
  'school',
  'school',
  'plant',
  'plant',
  'plant',
  'plant',
];
const DEV = ['plc', 'plc', 'switch', 'switch', 'switch', 'plc', 'plc', 'switch', 'plc', 'switch', 'switch', 'ups'];
const W = [1, 2, 1, 1, 3, 1, 1, 1, 2, 1, 1, 1];
const T = [3600, 7200, 1800, 600, 5400, 900, 12000, 2400];
const P = [3000, 9000, 1800, 1200, 4000, 900, 8000, 3000];
const G = ['facilities', 'facilities', 'network', 'network', 'network', 'security', 'security', 'security'];

const rows = (weighted = false): EvaluationRow<string>[] =>
  Y_TRUE.map((yTrue, i) => ({
    yTrue,
    yPred: Y_PRED[i],
    ...(weighted ? { weight: W[i] } : {}),
    segments: { site_kind: SITE[i], device_kind: DEV[i] },
  }));
const OPTIONS = { dimensions: ['site_kind', 'device_kind'], minGroupRows: 1, positiveLabel: 'net' };
const CLOSE = 12;

function expectFrame(
  frame: MetricFrame | undefined,
  dimension: string,
  expected: {
    overall: number;
    groups: Record<string, number>;
    diff: number;
    ratio: number;
    diffO: number;
    ratioO: number;
  }
) {
  expect(frame?.overall).toBeCloseTo(expected.overall, CLOSE);
  const d = frame?.dimensions.find((x) => x.dimension === dimension);
  expect(Object.fromEntries((d?.groups ?? []).map((g) => [g.group, g.value]))).toEqual(
    Object.fromEntries(Object.entries(expected.groups).map(([k, v]) => [k, expect.closeTo(v, CLOSE)]))
  );
  expect(d?.differenceBetweenGroups).toBeCloseTo(expected.diff, CLOSE);
  expect(d?.ratioBetweenGroups).toBeCloseTo(expected.ratio, CLOSE);
  expect(d?.differenceToOverall).toBeCloseTo(expected.diffO, CLOSE);
  expect(d?.ratioToOverall).toBeCloseTo(expected.ratioO, CLOSE);
}

describe('metricFrame, against Fairlearn', () => {
  it('When accuracy is grouped by site kind and by device kind, then overall, by group, difference and ratio are Fairlearn figures', () => {
    const frame = metricFrame(rows(), 'accuracy', OPTIONS);
    expectFrame(frame, 'site_kind', {
      overall: 0.6666666666666666,
      groups: { hospital: 0.75, plant: 0.5, school: 0.75 },
      diff: 0.25,
      ratio: 0.6666666666666666,
      diffO: 0.16666666666666663,
      ratioO: 0.75,
    });
    expectFrame(frame, 'device_kind', {
      overall: 0.6666666666666666,
      groups: { plc: 0.4, switch: 1.0, ups: 0.0 },
      diff: 1.0,
      ratio: 0.0,
      diffO: 0.6666666666666666,
      ratioO: 0.0,
    });
  });

  it('When the metric is macro-F1, then each group averages F1 over the classes present in that group', () => {
    const frame = metricFrame(rows(), 'macro_f1', OPTIONS);
    expectFrame(frame, 'site_kind', {
      overall: 0.6722222222222222,
      groups: { hospital: 0.7333333333333334, plant: 0.5, school: 0.5555555555555555 },
      diff: 0.2333333333333334,
      ratio: 0.6818181818181818,
      diffO: 0.17222222222222217,
      ratioO: 0.7438016528925621,
    });
    expect(frame?.dimensions[1].groups.find((g) => g.group === 'plc')?.value).toBeCloseTo(0.19047619047619047, CLOSE);
  });

  it('When precision and recall of one class are asked, then they are those of that positive class', () => {
    expectFrame(metricFrame(rows(), 'precision', OPTIONS), 'site_kind', {
      overall: 0.6,
      groups: { hospital: 1.0, plant: 0.5, school: 0.5 },
      diff: 0.5,
      ratio: 0.5,
      diffO: 0.4,
      ratioO: 0.6,
    });
    expectFrame(metricFrame(rows(), 'recall', OPTIONS), 'device_kind', {
      overall: 0.6,
      groups: { plc: 0.6666666666666666, switch: 1.0, ups: 0.0 },
      diff: 1.0,
      ratio: 0.0,
      diffO: 0.6,
      ratioO: 0.0,
    });
  });

  it('When rows carry sample weights, then accuracy and macro-F1 weigh them as scikit-learn does', () => {
    expectFrame(metricFrame(rows(true), 'accuracy', OPTIONS), 'site_kind', {
      overall: 0.625,
      groups: { hospital: 0.6, plant: 0.4, school: 0.8333333333333334 },
      diff: 0.43333333333333335,
      ratio: 0.48,
      diffO: 0.22499999999999998,
      ratioO: 0.64,
    });
    expectFrame(metricFrame(rows(true), 'macro_f1', OPTIONS), 'site_kind', {
      overall: 0.6313131313131313,
      groups: { hospital: 0.5833333333333333, plant: 0.4666666666666666, school: 0.5555555555555555 },
      diff: 0.11666666666666664,
      ratio: 0.8,
      diffO: 0.16464646464646465,
      ratioO: 0.7392,
    });
  });

  it('When the model is a regression (MTTR), then MAE per department matches Fairlearn', () => {
    const mae = metricFrame(
      T.map((yTrue, i) => ({ yTrue, yPred: P[i], segments: { department: G[i] } })),
      'mae',
      { dimensions: ['department'], minGroupRows: 1 }
    );
    expectFrame(mae, 'department', {
      overall: 1125.0,
      groups: { facilities: 1200.0, network: 666.6666666666666, security: 1533.3333333333333 },
      diff: 866.6666666666666,
      ratio: 0.43478260869565216,
      diffO: 458.33333333333337,
      ratioO: 0.5925925925925926,
    });
  });
});

describe('metricFrame, small groups', () => {
  it('When a group has fewer rows than the minimum, then it is reported as tooSmall and left out of difference and ratio', () => {
    const frame = metricFrame(rows(), 'accuracy', { ...OPTIONS, minGroupRows: 2 });
    const devices = frame?.dimensions.find((d) => d.dimension === 'device_kind');
    expect(devices?.groups.find((g) => g.group === 'ups')).toEqual({ group: 'ups', value: 0, rows: 1, tooSmall: true });
    // Fairlearn's by_group without ups (plc 0.4, switch 1.0) against the overall 2/3 of all rows.
    expect(devices?.differenceBetweenGroups).toBeCloseTo(0.6, CLOSE);
    expect(devices?.ratioBetweenGroups).toBeCloseTo(0.4, CLOSE);
    expect(devices?.differenceToOverall).toBeCloseTo(1 / 3, CLOSE);
    expect(devices?.ratioToOverall).toBeCloseTo(0.6, CLOSE);
    expect(frame?.overall).toBeCloseTo(2 / 3, CLOSE);
  });

  it('When every group is too small, then the dimension has no difference or ratio rather than a made-up 0', () => {
    const frame = metricFrame(rows(), 'accuracy', { ...OPTIONS, minGroupRows: 100 });
    expect(frame?.dimensions[0].differenceBetweenGroups).toBeUndefined();
    expect(frame?.dimensions[0].ratioToOverall).toBeUndefined();
    expect(worstToOverall(frame as MetricFrame)).toEqual({ gap: undefined, ratio: undefined });
  });

  it('When a row has no value for a dimension, then it counts overall but in no group of that dimension', () => {
    const frame = metricFrame(
      [
        { yTrue: 'a', yPred: 'a', segments: { site_kind: 'hospital' } },
        { yTrue: 'a', yPred: 'b', segments: { site_kind: '' } },
      ],
      'accuracy',
      { dimensions: ['site_kind'], minGroupRows: 1 }
    );
    expect(frame?.overall).toBe(0.5);
    expect(frame?.dimensions[0].groups).toEqual([{ group: 'hospital', value: 1, rows: 1, tooSmall: false }]);
  });

  it('When there are no rows, then there is no frame', () => {
    expect(metricFrame([], 'accuracy', OPTIONS)).toBeUndefined();
  });
});

describe('classificationBySegment and regressionBySegment', () => {
  it('When a classifier is evaluated, then each group carries accuracy, F1, precision and recall and the worst gap is of the primary metric', () => {
    const evaluation = classificationBySegment(rows(), { ...OPTIONS, primary: 'accuracy' });
    expect(evaluation?.overall).toEqual({
      rows: 12,
      accuracy: expect.closeTo(0.6666666666666666, CLOSE),
      f1: expect.closeTo(0.6722222222222222, CLOSE),
      precision: expect.closeTo(0.6, CLOSE),
      recall: expect.closeTo(0.6, CLOSE),
    });
    expect(evaluation?.segments.find((s) => s.dimension === 'site_kind' && s.group === 'hospital')).toEqual({
      dimension: 'site_kind',
      group: 'hospital',
      tooSmall: false,
      figures: { rows: 4, accuracy: 0.75, f1: expect.closeTo(0.7333333333333334, CLOSE), precision: 1, recall: 0.5 },
    });
    // Accuracy: site kinds 1/6 from overall, device kinds 2/3 (ups at 0); ratio 0 (ups).
    expect(evaluation?.worstSegmentGap).toBeCloseTo(0.6666666666666666, CLOSE);
    expect(evaluation?.worstSegmentRatio).toBe(0);
  });

  it('When a duration model is evaluated, then the figures are MAE in seconds', () => {
    const evaluation = regressionBySegment(
      T.map((yTrue, i) => ({ yTrue, yPred: P[i], segments: { department: G[i] } })),
      { dimensions: ['department'], minGroupRows: 3 }
    );
    expect(evaluation?.overall).toEqual({ rows: 8, maeSeconds: 1125 });
    expect(evaluation?.segments.map((s) => [s.group, s.tooSmall])).toEqual([
      ['facilities', true],
      ['network', false],
      ['security', false],
    ]);
    // Network is 458.33 s under the overall MAE, security 408.33 s over; facilities (2 rows) is left out.
    expect(evaluation?.worstSegmentGap).toBeCloseTo(458.33333333333337, 9);
    expect(evaluation?.worstSegmentRatio).toBeCloseTo(0.5925925925925926, CLOSE);
  });
});
