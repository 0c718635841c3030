import { classificationBySegment } from '../../domain/mlops/fairness';
import type { ProductionAccuracy } from '../../domain/mlops/productionAccuracy';
import { toLineProtocol } from './lineProtocol';
import { decisionPoint, holdoutPoints, productionPoints } from './modelMetricsWriter';

const T_US = 1_716_206_400_000_000;

const production: ProductionAccuracy = {
  model: 'department',
  version: 'v4',
  primaryMetric: 'accuracy',
  primaryValue: 0.7,
  overall: { rows: 30, accuracy: 0.7, f1: 0.65 },
  segments: [
    { dimension: 'site_kind', group: 'hospital', tooSmall: false, figures: { rows: 25, accuracy: 0.76, f1: 0.7 } },
    { dimension: 'site_kind', group: 'lab', tooSmall: true, figures: { rows: 5, accuracy: 0.4, f1: 0.3 } },
  ],
  worstSegmentGap: 0.06,
  worstSegmentRatio: 0.92,
  counts: { valid: 20, invalid: 2, avoided: 3, corrected: 9 },
  enough: true,
};

describe('productionPoints', () => {
  it('When production accuracy is written, then one segment=all point carries the figures, counts and worst gap, and each group its own point', () => {
    const points = productionPoints(production, 'champion', T_US);
    expect(points).toHaveLength(3);
    expect(points[0]).toEqual({
      measurement: 'aiops_models',
      tags: { model: 'department', version: 'v4', alias: 'champion', source: 'production', segment: 'all' },
      fields: {
        holdout_size: 30,
        accuracy: 0.7,
        f1: 0.65,
        primary_metric: 'accuracy',
        primary_value: 0.7,
        worst_segment_gap: 0.06,
        worst_segment_ratio: 0.92,
        valid_count: 20,
        invalid_count: 2,
        avoided_count: 3,
        corrected_count: 9,
      },
      timeUs: T_US,
    });
    expect(points.slice(1).map((p) => [p.tags.segment, p.fields.holdout_size, p.fields.accuracy])).toEqual([
      ['site_kind=hospital', 25, 0.76],
      ['site_kind=lab', 5, 0.4],
    ]);
  });

  it('When the points become line protocol, then the segment tag keeps its = escaped and nothing is refused', () => {
    const lines = productionPoints(production, 'none', T_US).map(toLineProtocol);
    expect(lines[1]).toMatch(
      /^aiops_models,alias=none,model=department,segment=site_kind\\=hospital,source=production,version=v4 /
    );
  });
});

describe('holdoutPoints', () => {
  it('When a holdout evaluation is written, then it is source=holdout with the figures of classificationBySegment and no NaN', () => {
    const evaluation = classificationBySegment(
      [
        { yTrue: 'a', yPred: 'a', segments: { device_kind: 'plc' } },
        { yTrue: 'b', yPred: 'a', segments: { device_kind: 'ups' } },
      ],
      { dimensions: ['device_kind'], minGroupRows: 5, primary: 'accuracy' }
    );
    if (!evaluation) throw new Error('no evaluation');
    const points = holdoutPoints(
      { model: 'ticket-class', version: 'v5', alias: 'challenger', primaryMetric: 'f1', primaryValue: Number.NaN },
      evaluation,
      T_US
    );
    expect(points[0].tags).toMatchObject({ source: 'holdout', alias: 'challenger', segment: 'all' });
    expect(points[0].fields).toEqual({ holdout_size: 2, accuracy: 0.5, f1: expect.any(Number), primary_metric: 'f1' });
    // Both groups are too small: no worst gap is written, rather than a made-up one.
    expect(points[0].fields).not.toHaveProperty('worst_segment_gap');
    expect(points.map((p) => p.tags.segment)).toEqual(['all', 'device_kind=plc', 'device_kind=ups']);
  });
});

describe('decisionPoint', () => {
  it('When the retraining job decides, then one source=decision point holds the decision, the reason and the two figures', () => {
    const point = decisionPoint(
      {
        model: 'department',
        version: 'v5',
        alias: 'champion',
        decision: 'promoted',
        reason: 'f1 0.861 > 0.820 + margin 0.01; no segment lost more than 0.05',
        primaryMetric: 'f1',
        championVersion: 'v4',
        challengerVersion: 'v5',
        championValue: 0.82,
        challengerValue: 0.861,
      },
      T_US
    );
    expect(point.tags).toEqual({
      model: 'department',
      version: 'v5',
      alias: 'champion',
      source: 'decision',
      segment: 'all',
    });
    expect(point.fields).toEqual({
      decision: 'promoted',
      reason: 'f1 0.861 > 0.820 + margin 0.01; no segment lost more than 0.05',
      primary_metric: 'f1',
      champion_version: 'v4',
      challenger_version: 'v5',
      champion_value: 0.82,
      challenger_value: 0.861,
    });
    expect(() => toLineProtocol(point)).not.toThrow();
  });
});
