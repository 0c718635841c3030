import { Point } from '@influxdata/influxdb-client';
import type { SeriesPoint } from '../../domain/series';
import { MAX_SERIES_KEY_BYTES, scansAsOneLine, toLineProtocol, UnrepresentableValueError } from './lineProtocol';

const point = (over: Partial<SeriesPoint>): SeriesPoint => ({
  measurement: 'm',
  tags: {},
  fields: { v: 1 },
  timeUs: 7,
  ...over,
});

function refusal(p: SeriesPoint): UnrepresentableValueError {
  try {
    toLineProtocol(p);
  } catch (error) {
    if (error instanceof UnrepresentableValueError) return error;
    throw error;
  }
  throw new Error('toLineProtocol accepted the point');
}

describe('toLineProtocol', () => {
  it('When a point holds only ordinary text, then the line is the one the client library wrote before', () => {
    const p: SeriesPoint = {
      measurement: 'syslog',
      tags: { hostname: 'hosp 01,ps=1', appname: 'pdud', severity: 'crit', empty: '' },
      fields: { message: 'PDU "A": input lost, path C:\\pdu = 0 V', ok: true, load: 0.25 },
      intFields: { severity_code: 2 },
      timeUs: 1_709_640_000_123_456,
    };
    const old = new Point('syslog').tag('hostname', 'hosp 01,ps=1').tag('appname', 'pdud').tag('severity', 'crit');
    old
      .stringField('message', p.fields.message)
      .booleanField('ok', true)
      .floatField('load', 0.25)
      .intField('severity_code', 2);
    expect(toLineProtocol(p)).toBe(old.timestamp('1709640000123456').toLineProtocol());
  });

  it('When a tag holds CR, tab or NUL, then it is written raw, not as the two characters the client library wrote', () => {
    expect(toLineProtocol(point({ tags: { t: 'a\rb\tc\0d' } }))).toBe('m,t=a\rb\tc\0d v=1 7');
  });

  it('When a string field holds LF, CR, NUL, quotes and backslashes, then only the quotes and backslashes are escaped', () => {
    expect(toLineProtocol(point({ fields: { s: 'a\n\r\0"\\' } }))).toBe('m s="a\n\r\0\\"\\\\" 7');
  });

  it('When a tag value ends with a backslash, then the error names the tag and says why, without the value', () => {
    const error = refusal(point({ tags: { site: 'secret\\' } }));
    expect(error).toMatchObject({ part: 'tag value', key: 'site' });
    expect(error.message).toBe(
      'tag "site" cannot be written to InfluxDB: its value ends with a backslash, which line protocol cannot escape'
    );
  });

  it('When a tag key or value holds a line feed, then it is refused', () => {
    expect(refusal(point({ tags: { site: 'a\nb' } })).message).toMatch(/tag "site" .* holds a line feed/);
    expect(refusal(point({ tags: { 'a\nb': 'x' } }))).toMatchObject({ part: 'tag key' });
  });

  it('When a backslash before a space meets another escape, then the point is refused; alone it is written', () => {
    expect(toLineProtocol(point({ tags: { t: 'a\\ b' } }))).toBe('m,t=a\\\\ b v=1 7');
    expect(refusal(point({ tags: { t: 'a\\ b\\,c' }, fields: { s: 'x\ny' } }))).toMatchObject({
      part: 'tag value',
      key: 't',
    });
    expect(refusal(point({ tags: { t: 'a\\ b\\=c"d' } }))).toMatchObject({ part: 'tag value', key: 't' });
  });

  it("When the series key reaches InfluxDB's limit, then one byte more is refused with the sizes", () => {
    const fits = 'x'.repeat(MAX_SERIES_KEY_BYTES - 'm,t='.length - '#!~#v'.length);
    expect(() => toLineProtocol(point({ tags: { t: fits } }))).not.toThrow();
    expect(refusal(point({ tags: { t: `${fits}x` } })).message).toBe(
      'tag "t" cannot be written to InfluxDB: the series key would be 65536 bytes, over InfluxDB\'s limit of 65535'
    );
  });

  it('When a name cannot be written exactly, then it is refused: backslash, leading #, tab or NUL, empty', () => {
    expect(refusal(point({ measurement: '#m' })).message).toMatch(/measurement "#m" .* makes the line a comment/);
    expect(refusal(point({ measurement: '\tm' }))).toMatchObject({ part: 'measurement' });
    expect(refusal(point({ fields: { 'a\\b': 1 } }))).toMatchObject({ part: 'field key', key: 'a\\b' });
    expect(refusal(point({ fields: { '\0a': 1 } }))).toMatchObject({ part: 'field key' });
    expect(refusal(point({ tags: { '': 'x' } }))).toMatchObject({ part: 'tag key' });
    expect(refusal(point({ fields: {} })).message).toMatch(/has no fields/);
  });

  it('When a number field is not finite or out of int64, then it is refused naming the field', () => {
    expect(refusal(point({ fields: { v: NaN } })).message).toBe(
      'field "v" cannot be written to InfluxDB: NaN is not a number InfluxDB stores'
    );
    expect(refusal(point({ intFields: { n: 2 ** 64 } }))).toMatchObject({ part: 'field value', key: 'n' });
    expect(refusal(point({ timeUs: NaN })).message).toBe(
      'the time of a "m" point cannot be written to InfluxDB: NaN is not a time in µs'
    );
  });

  it('When a string field holds a lone surrogate, then it is written as U+FFFD; in a tag it is refused', () => {
    expect(toLineProtocol(point({ fields: { s: 'a\ud800b' } }))).toBe('m s="a\ufffdb" 7');
    expect(refusal(point({ tags: { t: 'a\udc00' } })).message).toMatch(/tag "t" .* lone UTF-16 surrogate/);
  });

  it('When tags are given in any order, then they are written sorted by their escaped bytes', () => {
    expect(toLineProtocol(point({ tags: { 'a!': '1', 'a b': '2', '\u{1f600}': '3', '\uffff': '4' } }))).toBe(
      'm,a!=1,a\\ b=2,\uffff=4,\u{1f600}=3 v=1 7'
    );
  });
  it('When empty tags stand between tags given out of order, then they are left out and the rest written sorted', () => {
    expect(toLineProtocol(point({ tags: { b: '1', e: '', c: '2', d: '', a: '3' } }))).toBe('m,a=3,b=1,c=2 v=1 7');
    expect(toLineProtocol(point({ tags: { e: '', b: '1', c: '2' } }))).toBe('m,b=1,c=2 v=1 7');
  });
  it('When a refused value is written again, then it is refused again, and a value accepted under one tag is written the same under another', () => {
    const bad = point({ tags: { site: 'north\\' } });
    expect(refusal(bad).key).toBe('site');
    expect(refusal(point({ tags: { room: 'north\\' } })).key).toBe('room');
    expect(toLineProtocol(point({ tags: { site: 'a b,c=d' } }))).toBe('m,site=a\\ b\\,c\\=d v=1 7');
    expect(toLineProtocol(point({ tags: { room: 'a b,c=d' } }))).toBe('m,room=a\\ b\\,c\\=d v=1 7');
  });

  it('When many points share their names and tags, then each line is the one written for the point alone', () => {
    const points = Array.from({ length: 50 }, (_, i) =>
      point({ tags: { host: `h${i % 3}`, site: 's 1' }, fields: { message: `m"${i}`, z: i, a: true }, timeUs: i })
    );
    const lines = points.map(toLineProtocol);
    expect(lines[49]).toBe('m,host=h1,site=s\\ 1 a=T,message="m\\"49",z=49 49');
    expect(points.map(toLineProtocol)).toEqual(lines);
  });
});

describe('scansAsOneLine', () => {
  it('When quotes and escapes are balanced, then the line scans to its end', () => {
    expect(scansAsOneLine('m,t=a\\ b s="x\ny" 1')).toBe(true);
    expect(scansAsOneLine('m s="a\\"\n" 1')).toBe(true);
  });

  it('When an early space unbalances the counts, then an LF inside a string ends the line too soon', () => {
    expect(scansAsOneLine('m,t=a\\\\ b\\\\,c s="x\ny" 1')).toBe(false);
    expect(scansAsOneLine('m,t=a\\\\ b\\\\=c"d s="x" 1')).toBe(false);
  });
});
