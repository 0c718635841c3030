import { FIXTURE_FROM_MS, FIXTURE_TO_MS, fixtureInputs } from './reportFixture';
import { assembleReport } from './reportModel';

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

  it('When nothing was written in the range, then the report has no models and no alerts', () => {
    const empty = assembleReport(
      { overall: [], segments: [], drift: [], openedByClass: {}, verdicts: [] },
      range,
      0,
      'aiops'
    );
    expect(empty.models).toEqual([]);
    expect(empty.alerts.byClass).toEqual([]);
    expect(empty.alerts.total.precision).toBeUndefined();
  });
});
