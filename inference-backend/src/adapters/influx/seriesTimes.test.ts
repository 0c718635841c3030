import fc from 'fast-check';
import { parseSeriesTimes } from './seriesTimes';

/** What the reader must agree with: JSON.parse, then Number() of each row's time column. */
function expected(text: string) {
  const answer = JSON.parse(text) as {
    error?: string;
    results?: Array<{
      error?: string;
      series?: Array<{ name: string; tags?: Record<string, string>; columns: string[]; values: unknown[][] }>;
    }>;
  };
  return {
    error: answer.error,
    results: (answer.results ?? []).map((r) => ({
      error: r.error,
      series: (r.series ?? []).map((s) => {
        const at = s.columns.indexOf('time');
        return { name: s.name, tags: s.tags ?? {}, times: at < 0 ? [] : s.values.map((row) => Number(row[at])) };
      }),
    })),
  };
}

describe('parseSeriesTimes', () => {
  it('When InfluxDB answers with heartbeat series, then each series has its tags and the times of its rows', () => {
    const text =
      '{"results":[{"statement_id":0,"series":[' +
      '{"name":"system","tags":{"host":"a,b \\"q\\" \\u00e9"},"columns":["time","load1"],"values":[[1795910400000000,0.5],[1795910460000000,null]]},' +
      '{"name":"system","tags":{"host":"c"},"columns":["time","load1"],"values":[[-5,1e3],[0,"x]\\"y"]]}]},' +
      '{"statement_id":1}]}';
    expect(parseSeriesTimes(text)).toEqual(expected(text));
    expect(parseSeriesTimes(text).results[0].series[0]).toEqual({
      name: 'system',
      tags: { host: 'a,b "q" é' },
      times: [1795910400000000, 1795910460000000],
    });
  });

  it('When a tag is named __proto__, then it is a tag like any other', () => {
    const text = '{"results":[{"series":[{"name":"m","tags":{"__proto__":"x"},"columns":["time"],"values":[[1]]}]}]}';
    expect(parseSeriesTimes(text)).toEqual(expected(text));
    expect(Object.getPrototypeOf(parseSeriesTimes(text).results[0].series[0].tags)).toBe(Object.prototype);
  });

  it('When the answer or a statement is an error, then the error is returned', () => {
    expect(parseSeriesTimes('{"error":"bad"}')).toEqual({ error: 'bad', results: [] });
    expect(parseSeriesTimes('{"results":[{"statement_id":0,"error":"no such db"}]}').results[0]).toEqual({
      error: 'no such db',
      series: [],
    });
  });

  it('When times are not plain integers, or values come before columns, then they read as Number() reads them', () => {
    const text =
      '{"results":[{"series":[{"name":"m","columns":["v","time"],"values":[[1,12345678901234567890],[2,1.5e2],[3,-0],[4,"2024"]]},' +
      '{"name":"n","values":[[7]],"columns":["time"]},' +
      '{"name":"o","columns":["time","v"],"values":[[9007199254740993,1],[9007199254740991,true]]}]}]}';
    expect(parseSeriesTimes(text)).toEqual(expected(text));
  });

  it('When the body is not JSON, then it throws a SyntaxError', () => {
    for (const text of [
      '',
      '<html>',
      '{"results":[',
      '{"results":[{"series":[{"columns":["time"],"values":[[01]]}]}]}',
      '{"results":[{"series":[{"columns":["time","v"],"values":[[00,1]]}]}]}',
      '{"results":[{"series":[{"columns":["time","v"],"values":[[1,tru]]}]}]}',
      '{"a":1} x',
    ]) {
      expect(() => parseSeriesTimes(text)).toThrow(SyntaxError);
    }
  });

  it('When any answer is generated, then it reads as JSON.parse does', () => {
    const cell = fc.oneof(
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.string(),
      fc.constant(null),
      fc.boolean()
    );
    const series = fc.record({
      name: fc.string(),
      tags: fc.dictionary(fc.string(), fc.string()),
      columns: fc.constant(['time', 'value']),
      values: fc.array(fc.tuple(fc.oneof(fc.maxSafeNat(), fc.integer()), cell)),
    });
    const answer = fc.record({ results: fc.array(fc.record({ statement_id: fc.nat(), series: fc.array(series) })) });
    fc.assert(
      fc.property(answer, fc.boolean(), (a, pretty) => {
        const text = JSON.stringify(a, undefined, pretty ? 1 : undefined);
        expect(parseSeriesTimes(text)).toEqual(expected(text));
      }),
      { numRuns: 1000 }
    );
  });
});
