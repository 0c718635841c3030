import { labelAliasesOf, numericProfile, TemplateMatcher, templateProfile, textClassifierProfile } from './profile';

describe('reference profiles', () => {
  it('When a numeric column has more rows than the sample holds, then the sample is an even, repeatable stride over all of them', () => {
    const values = Array.from({ length: 20_000 }, (_, i) => i);
    const profile = numericProfile(values, 5000);
    if (profile.kind !== 'numeric') throw new Error('expected a numeric profile');
    expect(profile.count).toBe(20_000);
    expect(profile.mean).toBeCloseTo(9999.5, 6);
    expect(profile.sample).toHaveLength(5000);
    expect(profile.sample.slice(0, 3)).toEqual([0, 4, 8]);
    expect(profile.sample[4999]).toBe(19_996);
    expect(numericProfile(values, 5000)).toEqual(profile);
  });

  it('When current messages are matched to the training templates, then lines of a known family match and a new family does not', () => {
    const training = Array.from({ length: 50 }, (_, i) => [
      `link eth${i % 4} down on switch sw-${i}`,
      `user admin${i} logged in from 10.0.0.${i}`,
    ]).flat();
    const profile = templateProfile(training);
    expect(Object.values(profile.counts).reduce((s, n) => s + n, 0)).toBe(100);
    const matcher = new TemplateMatcher(JSON.parse(JSON.stringify(profile)));
    expect(matcher.match('link eth9 down on switch sw-777')).toBeDefined();
    expect(Object.keys(profile.counts)).toContain(matcher.match('user admin99 logged in from 10.0.0.99'));
    expect(matcher.match('watchdog expired on module 3 after 250 ms')).toBeUndefined();
  });

  it('When a trainer rewrote labels, then the profile keeps the mix it learnt and the rewrites to apply to current values', () => {
    const rows = [
      { text: 'a', context: { severity: 'err' }, label: 'alert' },
      { text: 'b', context: { severity: 'info' }, label: 'noise' },
      { text: 'c', context: { severity: 'err' }, label: 'alert' },
    ];
    const aliases = labelAliasesOf(['alert', 'false_alarm', 'noise'], (l) => (l === 'false_alarm' ? 'alert' : l));
    const profile = textClassifierProfile(
      { name: 'event-decision', version: 'v1', createdAt: '2026-01-01T00:00:00Z' },
      rows,
      {
        target: 'decision',
        contextColumns: ['severity'],
        labelAliases: aliases,
      }
    );
    expect(profile.labels).toEqual({ alert: 2, noise: 1 });
    expect(profile.labelAliases).toEqual({ false_alarm: 'alert' });
    expect(profile.features.severity).toEqual({ kind: 'categorical', counts: { err: 2, info: 1 } });
  });
});
