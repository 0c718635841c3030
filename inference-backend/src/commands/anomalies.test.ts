import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCsv } from '../adapters/files/csv';
import { parseMetricSeries } from '../adapters/files/metricSeries';
import { parseTimestampMs } from '../domain/timeseries/timestamps';
import { runAnomalies } from './anomalies';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'nocai-anomalies-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function anomalies(csv: string, kind: 'auto' | 'gauge' | 'counter' = 'auto') {
  const input = join(dir, `input-${Math.random().toString(36).slice(2)}.csv`);
  writeFileSync(input, csv);
  let stdout = '';
  let stderr = '';
  const code = await runAnomalies({ input, kind }, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, rows: parseCsv(stdout), stderr };
}

/** A NAB-shaped file: five-minute steps from 2014-02-14 14:30, one value per row. */
function nabCsv(values: ReadonlyArray<number | string>): string {
  const start = Date.UTC(2014, 1, 14, 14, 30);
  const stamp = (i: number) => new Date(start + i * 300_000).toISOString().replace('T', ' ').slice(0, 19);
  return `timestamp,value\n${values.map((v, i) => `${stamp(i)},${v}`).join('\n')}\n`;
}

const wave = (n: number) => Array.from({ length: n }, (_, i) => 50 + 5 * Math.sin(i / 7) + ((i * 37) % 11) / 5);

describe('nocai anomalies', () => {
  it('When given a NAB-shaped file, then it prints timestamp,value,anomaly_score for every row in the same order', async () => {
    const values = wave(800);
    values[700] = 120;
    const { code, rows, stderr } = await anomalies(nabCsv(values));
    expect(code).toBe(0);
    expect(stderr).toBe('');
    const [header, ...body] = rows;
    expect(header).toEqual(['timestamp', 'value', 'anomaly_score']);
    expect(body).toHaveLength(800);
    expect(body[0][0]).toBe('2014-02-14 14:30:00');
    expect(body.map((r) => Number(r[1]))).toEqual(values);
    const scores = body.map((r) => Number(r[2]));
    expect(scores.every((s) => s >= 0 && s < 1)).toBe(true);
    expect(scores[700]).toBe(Math.max(...scores));
    expect(scores[700]).toBeGreaterThan(0.4);
  });

  it('When the file is cut after a row, then the rows before keep their scores (causal)', async () => {
    const values = wave(600);
    values[450] = 10;
    const whole = (await anomalies(nabCsv(values))).rows.slice(1);
    const cut = (await anomalies(nabCsv(values.slice(0, 500)))).rows.slice(1);
    expect(cut).toEqual(whole.slice(0, 500));
  });

  it('When every value is equal, then every score is 0', async () => {
    const { code, rows } = await anomalies(nabCsv(new Array<number>(500).fill(3.25)));
    expect(code).toBe(0);
    expect(rows.slice(1).every((r) => r[2] === '0')).toBe(true);
  });

  it('When the file has a single row, then it prints that row with score 0', async () => {
    const { code, rows } = await anomalies('timestamp,value\n2014-02-14 14:30:00,1.5\n');
    expect(code).toBe(0);
    expect(rows).toEqual([
      ['timestamp', 'value', 'anomaly_score'],
      ['2014-02-14 14:30:00', '1.5', '0'],
    ]);
  });

  it('When a value is empty, then its row is kept with score 0 and nothing reads NaN', async () => {
    const values: Array<number | string> = wave(300);
    values[200] = '';
    const { code, rows } = await anomalies(nabCsv(values));
    expect(code).toBe(0);
    expect(rows[201]).toEqual([expect.any(String), '', '0']);
    expect(rows.flat().some((cell) => /nan/i.test(cell))).toBe(false);
  });

  it('When a value is NA, N/A, NaN, null or None, as R, pandas and databases write a gap, then it is an empty value', async () => {
    const values: Array<number | string> = wave(300);
    const gaps = ['NA', 'n/a', 'NaN', 'null', 'None'];
    gaps.forEach((gap, k) => (values[200 + k] = gap));
    const { code, rows } = await anomalies(nabCsv(values));
    expect(code).toBe(0);
    for (let k = 0; k < gaps.length; k++) expect(rows[201 + k]).toEqual([expect.any(String), '', '0']);
    expect(rows.flat().some((cell) => /nan/i.test(cell))).toBe(false);
  });

  it('When a timestamp repeats (clocks going back), then both rows are scored in file order', async () => {
    const csv =
      'timestamp,value\n2014-03-09 02:55:00,1\n2014-03-09 03:00:00,2\n2014-03-09 03:00:00,3\n2014-03-09 03:05:00,4\n';
    const { code, rows } = await anomalies(csv);
    expect(code).toBe(0);
    expect(rows.slice(1).map((r) => r[1])).toEqual(['1', '2', '3', '4']);
  });

  it.each([
    ['a value is not a number', nabCsv([1, 2, 'abc', 4]), /line 4: value "abc" is not a number/],
    ['a value is too large', nabCsv([1, '1e999']), /line 3: value "1e999" is too large/],
    [
      'rows go back in time',
      'timestamp,value\n2014-01-02 00:00:00,1\n2014-01-01 00:00:00,2\n',
      /line 3: .* is earlier than that of line 2; sort/,
    ],
    ['a timestamp is not a time', 'timestamp,value\nyesterday,1\n', /line 2: timestamp "yesterday" is not a date-time/],
    ['a date does not exist', 'timestamp,value\n2014-02-30 00:00:00,1\n', /line 2: timestamp "2014-02-30 00:00:00"/],
    [
      'a column is missing',
      'time,value\n2014-01-01,1\n',
      /needs the columns timestamp and value \(found: "time", "value"\)/,
    ],
    ['there is no row', 'timestamp,value\n', /has a header but no rows/],
    [
      'there are two value columns',
      'timestamp,value,host,Value\n2014-01-01 00:00:00,1,a,2\n',
      /has two columns named "value" in its header \(columns 2 and 4\); rename or remove one\.\n$/,
    ],
    [
      'a row has too many cells',
      'timestamp,value\n2014-01-01 00:00:00,1,2\n',
      /line 2 has 3 cells but the header has 2/,
    ],
  ])('When %s, then one sentence says what is wrong and where, and it exits with 2', async (_case, csv, message) => {
    const { code, rows, stderr } = await anomalies(csv);
    expect(code).toBe(2);
    expect(rows).toEqual([]);
    expect(stderr).toMatch(message);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^nocai anomalies: .*\.\n$/);
  });

  it('When the input file does not exist, then it exits with 2', async () => {
    let stderr = '';
    const code = await runAnomalies(
      { input: join(dir, 'missing.csv'), kind: 'auto' },
      { stdout: () => undefined, stderr: (t) => (stderr += t) }
    );
    expect(code).toBe(2);
    expect(stderr).toMatch(/no such file/);
  });

  it('When --kind counter is given, then a restart of the counter is no anomaly', async () => {
    let total = 0;
    const totals = wave(900).map((inc, i) => {
      if (i === 700) total = 0;
      total += inc;
      return total;
    });
    const { code, rows } = await anomalies(nabCsv(totals), 'counter');
    expect(code).toBe(0);
    expect(rows.slice(695, 720).every((r) => Number(r[2]) < 0.4)).toBe(true);
  });
});

describe('metric series parsing', () => {
  it('When timestamps are epochs, ISO 8601 with zones or NAB date-times, then they are read as the same instants', () => {
    const at = Date.UTC(2014, 1, 14, 14, 30);
    expect(parseTimestampMs('2014-02-14 14:30:00')).toBe(at);
    expect(parseTimestampMs('2014-02-14T15:30:00+01:00')).toBe(at);
    expect(parseTimestampMs('2014-02-14T14:30:00.000Z')).toBe(at);
    expect(parseTimestampMs(String(at / 1000))).toBe(at);
    expect(parseTimestampMs(String(at))).toBe(at);
    expect(parseTimestampMs(`${at}000000`)).toBe(at);
    expect(parseTimestampMs('2014-13-01')).toBeUndefined();
  });

  it('When the file starts with a byte-order mark and has extra columns, then they do not get in the way', () => {
    const series = parseMetricSeries('\ufefftimestamp,value,label\n2014-02-14 14:30:00, 2.5 ,0\n');
    expect(series.values).toEqual([2.5]);
    expect(series.valueTexts).toEqual(['2.5']);
  });
});
