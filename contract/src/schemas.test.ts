import { seriesQuerySchema, toSeriesQuery } from './schemas';

describe('seriesQuerySchema', () => {
  it('When a query string filters silences by site and state, then those are its filters and the limit defaults', () => {
    const parsed = seriesQuerySchema('silences').parse({ site: 'hosp-01', state: 'silent', from: '1000' });
    expect(toSeriesQuery(parsed)).toEqual({
      from: 1000,
      to: undefined,
      limit: 1000,
      filters: { site: 'hosp-01', state: 'silent' },
    });
  });

  it('When a parameter is not a tag of the series, then it is refused rather than ignored', () => {
    const result = seriesQuerySchema('models').safeParse({ site: 'hosp-01' });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0].message).toMatch(/site/);
  });

  it('When the range is reversed or the limit too large, then it is refused', () => {
    expect(seriesQuerySchema('drift').safeParse({ from: 2000, to: 1000 }).success).toBe(false);
    expect(seriesQuerySchema('drift').safeParse({ limit: 10_001 }).success).toBe(false);
  });
});
