import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { parseCsv } from '../adapters/files/csv';
import { registerForecast, runForecast } from './forecast';
import type { ForecastFlags } from './forecast';

let dir: string;
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'nocai-forecast-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function csvFile(name: string, lines: readonly string[]): string {
  const file = join(dir, name);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/** `series,t,value` lines of hourly-like series with a daily cycle; t from 0. */
function cycleLines(names: readonly string[], length: number, t = (i: number) => String(i)): string[] {
  const lines = ['series,t,value'];
  names.forEach((name, s) => {
    for (let i = 0; i < length; i++) {
      lines.push(
        `${name},${t(i)},${(50 + 10 * s + 8 * Math.sin((2 * Math.PI * i) / 24) + ((i * 7919) % 13) / 13).toFixed(3)}`
      );
    }
  });
  return lines;
}

async function run(flags: Partial<ForecastFlags> & { input: string }) {
  let stdout = '';
  let stderr = '';
  const code = await runForecast(
    { horizon: 6, level: 95, ...flags },
    { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) }
  );
  return { code, stdout, stderr };
}

describe('nocai forecast', () => {
  it('When two series are given, then it prints series,t,forecast,lower,upper for the steps after each, in input order', async () => {
    const input = csvFile('two.csv', cycleLines(['web-1', 'db-1'], 24 * 20));
    const { code, stdout, stderr } = await run({ input, horizon: 6, season: [24, 168] });
    expect(code).toBe(0);
    const [header, ...rows] = parseCsv(stdout.trimEnd());
    expect(header).toEqual(['series', 't', 'forecast', 'lower', 'upper']);
    expect(rows).toHaveLength(12);
    expect(rows.map((r) => `${r[0]}@${r[1]}`)).toEqual([
      ...[480, 481, 482, 483, 484, 485].map((t) => `web-1@${t}`),
      ...[480, 481, 482, 483, 484, 485].map((t) => `db-1@${t}`),
    ]);
    for (const [, , forecast, lower, upper] of rows) {
      const [f, l, u] = [forecast, lower, upper].map(Number);
      expect([f, l, u].every(Number.isFinite)).toBe(true);
      expect(l).toBeLessThanOrEqual(f);
      expect(u).toBeGreaterThanOrEqual(f);
    }
    // The cycle continues: step 480 is the cycle's zero crossing (≈ the series' level).
    expect(Number(rows[0][2])).toBeCloseTo(50.5, 0);
    expect(stderr).toMatch(
      /^nocai forecast: 2 series; seasons 24,168: 2 series by the mean of their best \d candidates? at rolling origins\n$/
    );
  });

  it('When t holds hourly timestamps, then the seasons come from the calendar and t is printed in ISO 8601', async () => {
    const start = Date.UTC(2024, 0, 1);
    const input = csvFile(
      'stamps.csv',
      cycleLines(['cpu'], 24 * 20, (i) => new Date(start + i * 3_600_000).toISOString())
    );
    const { code, stdout, stderr } = await run({ input, horizon: 2 });
    expect(code).toBe(0);
    const rows = parseCsv(stdout.trimEnd()).slice(1);
    expect(rows.map((r) => r[1])).toEqual(['2024-01-21T00:00:00.000Z', '2024-01-21T01:00:00.000Z']);
    expect(stderr).toMatch(/seasons 24,168/);
  });

  it('When rows are unsorted, repeated or missing, then they are sorted, merged and interpolated, and the summary says so', async () => {
    const lines = cycleLines(['a'], 24 * 15);
    const body = lines.slice(1).reverse();
    body.splice(body.indexOf(body.find((l) => l.startsWith('a,100,')) ?? ''), 1);
    const input = csvFile('messy.csv', [lines[0], ...body, 'a,5,51', 'a,6,']);
    const { code, stdout, stderr } = await run({ input, season: [24] });
    expect(code).toBe(0);
    expect(
      parseCsv(stdout.trimEnd())
        .slice(1)
        .map((r) => r[1])
    ).toEqual(['360', '361', '362', '363', '364', '365']);
    expect(stderr).toMatch(/1 missing value interpolated, 2 duplicate rows merged/);
  });

  it('When values read NA or NaN, as R and pandas write a gap, then they are missing values, interpolated and counted', async () => {
    const lines = cycleLines(['a'], 24 * 15);
    const gapped = lines.map((line) =>
      line.replace(/^a,(100|101),.*$/, (_, t) => `a,${t},${t === '100' ? 'NA' : 'NaN'}`)
    );
    const { code, stdout, stderr } = await run({ input: csvFile('gaps.csv', gapped), season: [24] });
    expect(code).toBe(0);
    expect(stdout).not.toMatch(/NaN/);
    expect(stderr).toMatch(/2 missing values interpolated/);
  });

  it('When every value of a series is the same, then its forecast is that value with no NaN', async () => {
    const lines = ['series,t,value', ...Array.from({ length: 400 }, (_, i) => `flat,${i},3.25`)];
    const { code, stdout } = await run({ input: csvFile('flat.csv', lines), season: [24] });
    expect(code).toBe(0);
    expect(stdout).not.toMatch(/NaN|Infinity/);
    for (const row of parseCsv(stdout.trimEnd()).slice(1)) expect(row.slice(2)).toEqual(['3.25', '3.25', '3.25']);
  });

  it.each([
    [
      'a value that is not a number',
      ['series,t,value', 'a,0,1', 'a,1,n.a.', 'a,2,3'],
      /line 3 has the value "n\.a\.", which is not a number\.$/,
    ],
    ['a single row', ['series,t,value', 'a,0,1'], /series "a" has 1 value; forecasting needs at least 3\.$/],
    [
      'no t column',
      ['series,time,value', 'a,0,1'],
      /needs the columns series, t and value \(found: "series", "time", "value"\)\.$/,
    ],
    ['a short row', ['series,t,value', 'a,0'], /line 2 has 2 cells but the header has 3\.$/],
    [
      'two t columns',
      ['series,t,value,t', 'a,0,1,5', 'a,1,2,6', 'a,2,3,7'],
      /has two columns named "t" in its header \(columns 2 and 4\); rename or remove one\.$/,
    ],
    ['times off the grid', ['series,t,value', 'a,0,1', 'a,2,2', 'a,4,3', 'a,7,3'], /not on a regular grid/],
  ])(
    'When the CSV has %s, then it says so in one sentence naming the file and exits with 2',
    async (_case, lines, message) => {
      const input = csvFile('bad.csv', lines);
      const { code, stdout, stderr } = await run({ input, season: [24] });
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(stderr.split('\n')).toHaveLength(2);
      expect(stderr).toMatch(new RegExp(`^nocai forecast: ${input.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} `));
      expect(stderr.trimEnd()).toMatch(message);
    }
  );

  it('When t is an integer index and --season is not given, then it asks for the seasons and exits with 2', async () => {
    const { code, stderr } = await run({ input: csvFile('index.csv', cycleLines(['a'], 100)) });
    expect(code).toBe(2);
    expect(stderr).toMatch(/give them with --season \(for hourly data --season 24,168\), or --season none\.\n$/);
  });

  it('When the input file does not exist, then it exits with 2', async () => {
    const { code, stderr } = await run({ input: join(dir, 'missing.csv') });
    expect(code).toBe(2);
    expect(stderr).toMatch(/no such file/);
  });
});

describe('nocai forecast flags', () => {
  async function parse(args: string[]): Promise<{ error?: CommanderError; stderr: string }> {
    let stderr = '';
    const program = new Command()
      .exitOverride()
      .configureOutput({ writeErr: (t) => (stderr += t), writeOut: () => undefined });
    registerForecast(program);
    const command = program.commands[0];
    // Only the flags are under test: the action would read the file.
    command.action(() => undefined);
    try {
      await program.parseAsync(['forecast', '--input', 'x.csv', ...args], { from: 'user' });
      return { stderr };
    } catch (error) {
      if (error instanceof CommanderError) return { error, stderr };
      throw error;
    }
  }

  it.each([
    [['--horizon', '0'], '--horizon must be a positive integer.'],
    [['--horizon', '10001'], '--horizon must be at most 10000 steps.'],
    [['--horizon', '48', '--level', '100'], '--level is a coverage in percent, above 0 and below 100 (e.g. 95).'],
    [
      ['--horizon', '48', '--season', '24,1'],
      '--season takes whole numbers of steps of at least 2, comma-separated (or none).',
    ],
    [
      ['--horizon', '48', '--season', '24;168'],
      '--season takes whole numbers of steps of at least 2, comma-separated (or none).',
    ],
  ])('When given %j, then commander refuses it with one sentence', async (args, message) => {
    const { error, stderr } = await parse(args);
    expect(error?.exitCode).toBe(1);
    expect(stderr).toContain(message);
  });

  it('When the horizon is missing, then commander refuses the command', async () => {
    const { error, stderr } = await parse([]);
    expect(error).toBeDefined();
    expect(stderr).toMatch(/--horizon/);
  });

  it('When --season none is given, then the forecast runs without seasons', async () => {
    const { error } = await parse(['--horizon', '5', '--season', 'none']);
    expect(error).toBeUndefined();
  });
});
