import { DEFAULT_METRIC_SPECS, MetricSpecError, parseMetricSpecs, specLabel } from './metricSpec';

describe('metric specs (NOCAI_METRICS)', () => {
  it('When a spec names a side, then only that side alarms, a counter may name one too, and the label reads back the same', () => {
    const specs = parseMetricSpecs('disk.used_percent:rise{path=/},net.err_in:counter:rise,cpu.usage_idle:fall,mem.used_percent');
    expect(specs.map((s) => [s.counter, s.alarmOn])).toEqual([
      [false, 'rise'],
      [true, 'rise'],
      [false, 'fall'],
      [false, 'both'],
    ]);
    expect(specs[0].where).toEqual({ path: '/' });
    expect(specs.map(specLabel)).toEqual(['disk.used_percent:rise{path=/}', 'net.err_in:counter:rise', 'cpu.usage_idle:fall', 'mem.used_percent']);
  });

  it('When the defaults are read, then a disk alarms only when it fills', () => {
    const disk = parseMetricSpecs(DEFAULT_METRIC_SPECS).find((s) => s.measurement === 'disk');
    expect(disk?.alarmOn).toBe('rise');
  });

  it('When a side is not rise or fall, or comes before :counter, then the error names the entry and the grammar', () => {
    expect(() => parseMetricSpecs('disk.used_percent:up')).toThrow(MetricSpecError);
    expect(() => parseMetricSpecs('disk.used_percent:up')).toThrow(/"disk\.used_percent:up" is not measurement\.field\[:counter\]\[:rise\|:fall\]/);
    expect(() => parseMetricSpecs('net.err_in:rise:counter')).toThrow(MetricSpecError);
  });
});
