import { FIXTURE_FROM_MS, FIXTURE_TO_MS, fixtureInputs } from './reportFixture';
import { assembleReport, explanationSummary, FACTORS_SHOWN, splitModelVersion } from './reportModel';

const range = { fromMs: FIXTURE_FROM_MS, toMs: FIXTURE_TO_MS };
const report = () => assembleReport(fixtureInputs(), range, FIXTURE_TO_MS + 60_000, 'aiops');

describe('assembleReport', () => {
  it('When a challenger was promoted mid-week and a worse one kept out, then the promoted one is the champion', () => {
    const [department] = report().models;
    expect(department.champion).toBe('v2');
    expect(department.decisions.map((d) => [d.decision, d.version])).toEqual([
      ['promoted', 'v2'],
      ['kept', 'v3'],
    ]);
    const v2 = department.versions.find((v) => v.version === 'v2');
    expect(v2?.madeChampionAtUs).toBe(department.decisions[0].timeUs);
    expect(v2?.aliases).toEqual(['challenger', 'champion']);
    expect(department.versions.map((v) => v.version)).toEqual(['v1', 'v2', 'v3']);
  });

  it('When a later evaluation tags another version champion (a rollback), then that version is the champion', () => {
    const inputs = fixtureInputs();
    inputs.overall.push({
      timeUs: (FIXTURE_TO_MS - 3_600_000) * 1000,
      model: 'department',
      version: 'v1',
      alias: 'champion',
      source: 'production',
      segment: 'all',
      metrics: { accuracy: 0.83 },
    });
    expect(assembleReport(inputs, range, FIXTURE_TO_MS, 'aiops').models[0].champion).toBe('v1');
  });

  it('When evaluations are read, then every overall holdout and production figure is carried unchanged, oldest first', () => {
    const [department] = report().models;
    const expected = fixtureInputs()
      .overall.filter((p) => p.source !== 'decision')
      .sort((a, b) => a.timeUs - b.timeUs)
      .map((p) => [p.timeUs, p.source, p.version, p.metrics]);
    expect(department.evaluations.map((e) => [e.timeUs, e.source, e.version, e.metrics])).toEqual(expected);
    expect(department.chartMetric).toBe('accuracy');
  });

  it("When groups were evaluated with a version, then each table compares the groups' primary metric with the overall one", () => {
    const [department] = report().models;
    const holdoutV2 = department.segments.find((t) => t.source === 'holdout' && t.version === 'v2');
    expect(holdoutV2?.comparedMetric).toBe('f1');
    expect(holdoutV2?.overall).toBe(0.88);
    const factory = holdoutV2?.rows.find((r) => r.segment === 'site_kind=factory');
    expect(factory?.gap).toBeCloseTo(0.81 - 0.88, 12);
    expect(factory?.ratio).toBeCloseTo(0.81 / 0.88, 12);
    // Production figures have no F1: accuracy is compared.
    const production = department.segments.find((t) => t.source === 'production');
    expect(production?.comparedMetric).toBe('accuracy');
    expect(production?.rows[0].gap).toBeCloseTo(0.6 - 0.78, 12);
    // v1's newest holdout evaluation (day 2) wrote no groups; the hotel group of day 0 is not shown as if it were.
    expect(department.segments.some((t) => t.version === 'v1')).toBe(false);
  });

  it('When a ticket got two verdicts, then only the last counts, and avoided counts towards precision', () => {
    const { alerts } = report();
    const power = alerts.byClass.find((c) => c.eventClass === 'power');
    expect(power).toEqual({ eventClass: 'power', raised: 5, validated: 1, invalidated: 0, avoided: 1, precision: 1 });
    const network = alerts.byClass.find((c) => c.eventClass === 'network');
    expect(network?.precision).toBe(0.5);
    expect(alerts.total).toMatchObject({ raised: 8, validated: 2, invalidated: 1, avoided: 1 });
    expect(alerts.total.precision).toBeCloseTo(3 / 4, 12);
  });

  it('When alerts were explained by SHAP, then the summary ranks inputs by their share of all contributions, with counts and means', () => {
    const freezer = report().models.find((m) => m.model === 'problem-freezer');
    const summary = freezer?.explanations;
    expect(summary).toMatchObject({ kind: 'alert', predictions: 2, versions: ['2', '3'], distinctFactors: 3 });
    expect(summary?.firstUs).toBeLessThan(summary?.lastUs ?? 0);
    const total = 1.2 + 0.5 + 0.2 + 0.9 + 0.3;
    expect(summary?.factors.map((f) => f.feature)).toEqual([
      'freezer.temp_c:slope',
      'freezer.door_open:mean',
      'freezer.setpoint_c:last',
    ]);
    const [slope, door, setpoint] = summary?.factors ?? [];
    expect(slope).toMatchObject({ count: 2, firstCount: 1, raisedCount: 2 });
    expect(slope.share).toBeCloseTo(1.5 / total, 12);
    expect(slope.meanContribution).toBeCloseTo(0.75, 12);
    expect(door).toMatchObject({ count: 2, firstCount: 1, raisedCount: 2 });
    expect(door.share).toBeCloseTo(1.4 / total, 12);
    // It lowered the risk: counted, never as raising it, and its mean is negative.
    expect(setpoint).toMatchObject({ count: 1, firstCount: 0, raisedCount: 0 });
    expect(setpoint.meanContribution).toBeCloseTo(-0.2, 12);
    expect(setpoint.meanAbsContribution).toBeCloseTo(0.2, 12);
    // A model with no explained prediction has no summary.
    expect(report().models.find((m) => m.model === 'department')?.explanations).toBeUndefined();
  });

  it('When a model explained many inputs, then the summary lists the largest shares and counts the ones left out', () => {
    const explained = Array.from({ length: 3 }, (_, i) => ({
      timeUs: i,
      model: 'mttr',
      version: '4',
      kind: 'ticket' as const,
      factors: Array.from({ length: 6 }, (__, f) => ({ feature: `input-${i}-${f}`, weight: (f + 1) * (i + 1) })),
    }));
    const summary = explanationSummary(explained, ['ticket']);
    expect(summary?.factors).toHaveLength(FACTORS_SHOWN);
    expect(summary?.distinctFactors).toBe(18);
    expect(summary?.factors[0].feature).toBe('input-2-5');
    expect(summary?.truncated).toBe(true);
    const shares = summary?.factors.map((f) => f.share) ?? [];
    expect(shares).toEqual([...shares].sort((a, b) => b - a));
    expect(explanationSummary([])).toBeUndefined();
  });

  it('When a stored model version is read, then the model is what comes before the last @', () => {
    expect(splitModelVersion('problem-plc@overheat@3')).toEqual({ model: 'problem-plc@overheat', version: '3' });
    expect(splitModelVersion('mttr@12')).toEqual({ model: 'mttr', version: '12' });
    expect(splitModelVersion('median-baseline')).toEqual({ model: 'median-baseline', version: '' });
  });

  it('When nothing was written in the range, then the report has no models and no alerts', () => {
    const empty = assembleReport(
      { overall: [], segments: [], drift: [], openedByClass: {}, verdicts: [], explained: [] },
      range,
      0,
      'aiops'
    );
    expect(empty.models).toEqual([]);
    expect(empty.alerts.byClass).toEqual([]);
    expect(empty.alerts.total.precision).toBeUndefined();
  });
});
