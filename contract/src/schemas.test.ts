import { checkInput, type InputWording } from './refusals';
import { eventsQuerySchema, seriesQuerySchema, toSeriesQuery } from './schemas';

const NOW = Date.UTC(2024, 2, 5, 12);
const QUERY: InputWording = { subject: 'the query string', member: 'parameter' };

describe('seriesQuerySchema', () => {
  it('When a query string filters silences by site and state, then those are its filters and the limit defaults', () => {
    const parsed = seriesQuerySchema('silences', NOW).parse({ site: 'hosp-01', state: 'silent', from: '1000' });
    expect(toSeriesQuery(parsed)).toEqual({
      from: 1000,
      to: undefined,
      limit: 1000,
      filters: { site: ['hosp-01'], state: ['silent'] },
    });
  });

  it('When a tag filter is a comma-separated list, then any of its values is a filter value', () => {
    const parsed = seriesQuerySchema('anomalies', NOW).parse({ host: 'srv-1, srv-2' });
    expect(toSeriesQuery(parsed).filters).toEqual({ host: ['srv-1', 'srv-2'] });
  });

  it('When a parameter is not a tag of the series, then it is refused rather than ignored', () => {
    const result = checkInput(seriesQuerySchema('models', NOW), { site: 'hosp-01' }, QUERY);
    expect(result).toMatchObject({
      success: false,
      message:
        'the query string has no parameter site (it takes from, to, limit, model, version, alias, source, segment)',
    });
  });

  it('When the range is reversed or the limit too large, then it is refused', () => {
    expect(seriesQuerySchema('drift', NOW).safeParse({ from: 2000, to: 1000 }).success).toBe(false);
    expect(checkInput(seriesQuerySchema('drift', NOW), { limit: '10001' }, QUERY)).toMatchObject({
      success: false,
      message: 'limit must be a whole number from 1 to 10000 (got "10001")',
    });
  });
});

describe('eventsQuerySchema', () => {
  it('When a parameter is not one the events route knows, then it is refused naming it', () => {
    const result = eventsQuerySchema(NOW).safeParse({ hots: 'hosp-01-ps-01' });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0].message).toMatch(/hots/);
  });

  it('When events are asked for by department, then the departments are read as a list and an unknown one is refused naming the departments', () => {
    expect(eventsQuerySchema(NOW).parse({ department: 'maintenance, field_technicians' }).department).toEqual([
      'maintenance',
      'field_technicians',
    ]);
    const refused = checkInput(eventsQuerySchema(NOW), { department: 'maintenance,plumbing' }, QUERY);
    expect(refused.success ? undefined : refused.message).toBe(
      'department must be one of field_technicians, network_ops, it_ops, security, facilities, maintenance (got "plumbing")'
    );
  });

  it('When the range is given as now-1h to now, then it is resolved against the given time', () => {
    expect(eventsQuerySchema(NOW).parse({ from: 'now-1h', to: 'now' })).toMatchObject({
      from: NOW - 3_600_000,
      to: NOW,
    });
  });
});

describe('seriesQuerySchema times', () => {
  it('When from is now-7d, then it is seven days before now; a bad expression names the accepted forms', () => {
    expect(seriesQuerySchema('silences', NOW).parse({ from: 'now-7d' }).from).toBe(NOW - 7 * 86_400_000);
    const bad = seriesQuerySchema('silences', NOW).safeParse({ from: 'yesterday' });
    expect(bad.error?.issues[0].message).toBe(
      'from must be epoch milliseconds or a relative time such as now, now-7d or now-1d/d (units s, m, h, d, w, M, y)'
    );
  });
});
