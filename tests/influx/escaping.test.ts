import fc from 'fast-check';
import type { InfluxClient } from '../../inference-backend/src/adapters/influx';
import {
  equalsCondition,
  InexpressibleLiteralError,
  quoteIdentifier,
  quoteString,
  regexLiteralFor,
} from '../../inference-backend/src/adapters/influx/influxql';
import { toLineProtocol, UnrepresentableValueError } from '../../inference-backend/src/adapters/influx/lineProtocol';
import type { SeriesPoint } from '../../inference-backend/src/domain/series';
import { freshDatabase } from '../support/influx';

/**
 * Round trips through a real influxd: what toLineProtocol writes must read back identical, and
 * the filters built by the InfluxQL helpers must find exactly it. Values are drawn mostly from the
 * characters the escaping rules are about (separators, quotes and escapes of line protocol and
 * InfluxQL, control characters, odd Unicode), the rest from all of Unicode.
 */
const TRICKY = [...'\\, ="\'\n\r\t\0#/$^.*(|\x7f\x01\u0085\u2028\ufffd'];
/** Backslash sequences that put InfluxDB's line splitter and its tag parser out of step. */
const ESCAPES = ['\\ ', '\\,', '\\=', '\\"', '\\\\', '\\\n'];
const char = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...TRICKY) },
  { weight: 1, arbitrary: fc.constantFrom(...ESCAPES) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) }
);
const text = fc
  .tuple(fc.string({ unit: char, maxLength: 12 }), fc.constantFrom('', '', '', '\\', '\\\\', '\\ ', ' ', '\r', '\0'))
  .map(([body, ending]) => body + ending);

/** The rule the tests hold the encoder to, stated independently of it. */
function mustRefuseTag(value: string): boolean {
  return value.includes('\n') || value.endsWith('\\');
}
/** An odd run of backslashes before a space may put InfluxDB's line splitter out of step (then refused). */
function mayRefuseTag(value: string): boolean {
  return mustRefuseTag(value) || /(?:^|[^\\])(?:\\\\)*\\ /.test(value);
}

let client: InfluxClient;
let database: string;
let run = 0;

beforeAll(async () => {
  ({ client, database } = await freshDatabase('escaping'));
});

async function readAll(measurement: string): Promise<Map<string, Record<string, unknown>>> {
  const series = await client.query(database, `SELECT * FROM ${quoteIdentifier(measurement)}`);
  return new Map((series[0]?.rows ?? []).map((row) => [String(row.i), row]));
}

/** One request for many SELECTs; returns the `i` tags each statement found. */
async function found(measurement: string, conditions: string[]): Promise<string[][]> {
  const statements = conditions.map((c) => `SELECT "s", "i" FROM ${quoteIdentifier(measurement)} WHERE ${c}`);
  const results = await client.queryAll(database, statements.join('; '));
  return results.map((series) => (series[0]?.rows ?? []).map((row) => String(row.i)).sort());
}

describe('Escaping against a real influxd', () => {
  it('When arbitrary Unicode is written as tag values and string fields, then it reads back identical and its own filter finds it', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(text, text), { minLength: 10, maxLength: 30 }), async (records) => {
        const measurement = `m${run++}`;
        const written: Array<{ i: string; tag: string; field: string }> = [];
        const lines: string[] = [];
        records.forEach(([tag, field], n) => {
          const i = String(n);
          const point: SeriesPoint = { measurement, tags: { i, t: tag }, fields: { s: field }, timeUs: 1_000_000 + n };
          let line: string;
          try {
            line = toLineProtocol(point);
          } catch (error) {
            expect(error).toBeInstanceOf(UnrepresentableValueError);
            expect(error).toMatchObject({ part: 'tag value', key: 't' });
            expect(mayRefuseTag(tag)).toBe(true);
            return;
          }
          expect(mustRefuseTag(tag)).toBe(false);
          lines.push(line);
          written.push({ i, tag, field });
        });
        if (lines.length === 0) return;
        // One request: a line that InfluxDB splits or merges wrongly fails the others too.
        await client.writeLines(database, lines);

        const rows = await readAll(measurement);
        expect(rows.size).toBe(written.length);
        for (const w of written) {
          // An empty tag is written as no tag, which InfluxQL reads back as ''.
          expect({ i: w.i, t: rows.get(w.i)?.t ?? '', s: rows.get(w.i)?.s }).toEqual({ i: w.i, t: w.tag, s: w.field });
        }

        // Equal values may repeat in a run: each filter must find every point holding its value, no other.
        const holding = (key: 'tag' | 'field', value: string) =>
          written.filter((o) => o[key] === value).map((o) => o.i);
        const tagFilters = written.map((w) => equalsCondition('t', w.tag));
        const fieldFilters = written.map((w) => equalsCondition('s', w.field));
        const [byTag, byField] = [await found(measurement, tagFilters), await found(measurement, fieldFilters)];
        written.forEach((w, n) => {
          expect(byTag[n]).toEqual(holding('tag', w.tag).sort());
          expect(byField[n]).toEqual(holding('field', w.field).sort());
        });
        const tagged = written.filter((w) => w.tag !== '');
        if (tagged.length > 0) {
          const [all] = await found(measurement, [`"t" =~ ${regexLiteralFor(tagged.map((w) => w.tag))}`]);
          expect(all).toEqual(tagged.map((w) => w.i).sort());
        }
      }),
      { numRuns: 40 }
    );
  });

  it('When a name holds any character but a backslash or line feed, then measurement, tag key and field key read back identical', async () => {
    const nameChar = fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...TRICKY.filter((c) => c !== '\\' && c !== '\n')) },
      {
        weight: 1,
        arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }).filter((c) => c !== '\\' && c !== '\n'),
      }
    );
    // Names start with a letter: a leading '#', tab or NUL is refused (see the unit tests).
    const name = fc.string({ unit: nameChar, maxLength: 10 }).map((s) => `n${s}`);
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(name, { minLength: 3, maxLength: 3 }), async ([generated, tagKey, fieldKey]) => {
        // Shrinking repeats names: a measurement of its own per run keeps earlier runs out of the answer.
        const measurement = `${generated}${run++}`;
        const point: SeriesPoint = {
          measurement,
          tags: { [tagKey]: 'tv', i: '0' },
          fields: { [fieldKey]: 7 },
          timeUs: 5,
        };
        await client.writeLines(database, [toLineProtocol(point), toLineProtocol({ ...point, timeUs: 6 })]);
        // A regex source, because a name with CR or NUL cannot be quoted.
        const from = `FROM ${regexLiteralFor([measurement])}`;
        const series = await client.query(database, `SELECT * ${from} WHERE "i" = '0' AND time = 5u`);
        expect(series.map((s) => s.name)).toEqual([measurement]);
        expect(series[0].rows).toEqual([{ time: 5, i: '0', [tagKey]: 'tv', [fieldKey]: 7 }]);
        if (!/[\0\r]/.test(tagKey + fieldKey)) {
          const only = await client.query(
            database,
            `SELECT ${quoteIdentifier(fieldKey)} ${from} WHERE ${equalsCondition(tagKey, 'tv')}`
          );
          expect(only[0]?.rows).toEqual([
            { time: 5, [fieldKey]: 7 },
            { time: 6, [fieldKey]: 7 },
          ]);
        }
      }),
      { numRuns: 50 }
    );
  });

  it('When a tag value holds CR, tab or NUL, or is only spaces or a separator, then it is stored raw and found by its own filter', async () => {
    const values = ['a\rb', 'a\tb', 'a\0b', '\r', '\t', 'x\r', 'C:\\dir\\file', 'trailing space ', 'a\\ b'];
    values.push(' ', '   ', '=', ',', '"');
    const lines = values.map((v, n) =>
      toLineProtocol({ measurement: 'raw', tags: { i: String(n), t: v }, fields: { s: v }, timeUs: n + 1 })
    );
    await client.writeLines(database, lines);
    const conditions = values.map((v) => equalsCondition('t', v));
    expect(await found('raw', conditions)).toEqual(values.map((_, n) => [String(n)]));
  });

  it('When a tag value ends with a backslash or holds a line feed, then toLineProtocol refuses it naming the tag', () => {
    const point = (site: string): SeriesPoint => ({
      measurement: 'aiops_tickets',
      tags: { site },
      fields: { v: 1 },
      timeUs: 1,
    });
    expect(() => toLineProtocol(point('hosp-01\\'))).toThrow(
      new UnrepresentableValueError(
        'tag value',
        'site',
        'its value ends with a backslash, which line protocol cannot escape'
      )
    );
    expect(() => toLineProtocol(point('hosp\n01'))).toThrow(
      /tag "site" cannot be written to InfluxDB: its value holds a line feed/
    );
  });

  it('When a tag value is 66 KB, then toLineProtocol refuses it with the series key limit instead of InfluxDB refusing the batch', async () => {
    const site = 'x'.repeat(66_000);
    expect(() => toLineProtocol({ measurement: 'm', tags: { site }, fields: { v: 1 }, timeUs: 1 })).toThrow(
      /tag "site" cannot be written to InfluxDB: the series key would be 66012 bytes, over InfluxDB's limit of 65535/
    );
    // The limit is InfluxDB's own: the longest key it takes, it stores.
    const longest = 'y'.repeat(65_535 - 'big,site='.length - '#!~#v'.length);
    await client.writeLines(database, [
      toLineProtocol({ measurement: 'big', tags: { site: longest }, fields: { v: 1 }, timeUs: 1 }),
    ]);
    const rows = await client.query(database, `SELECT "v" FROM "big" WHERE ${equalsCondition('site', longest)}`);
    expect(rows[0]?.rows).toHaveLength(1);
  });

  it('When a filter value holds CR or NUL, then quoteString refuses it and equalsCondition matches it exactly', async () => {
    expect(() => quoteString('a\rb')).toThrow(InexpressibleLiteralError);
    expect(() => quoteIdentifier('a\0b')).toThrow(/NUL/);
    await client.writeLines(database, [
      toLineProtocol({ measurement: 'cr', tags: { t: 'a\rb', i: '0' }, fields: { s: 'x' }, timeUs: 1 }),
    ]);
    // InfluxQL reads a raw CR as LF: the filter for 'a\nb' must not find 'a\rb'.
    expect(await found('cr', [equalsCondition('t', 'a\rb'), equalsCondition('t', 'a\nb')])).toEqual([['0'], []]);
  });
});
