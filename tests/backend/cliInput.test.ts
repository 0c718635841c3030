import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Ticket } from '@nocai/contract';
import { runCli } from '../support/backendProcess';
import { testInfluxUrl } from '../support/influx';
import { startTestBackend, type TestBackend } from '../support/service';

/** The built CLI as a process, with stdout and stderr apart: errors go to stderr, CSV to stdout. */
async function run(args: string[]) {
  const proc = runCli(args, {});
  let stdout = '';
  let stderr = '';
  proc.child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  proc.child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await proc.exited;
  return { code, stdout, stderr };
}

/** Exit 2, nothing on stdout, one printable line on stderr. */
function expectUsageError(result: Awaited<ReturnType<typeof run>>, sentence: string) {
  expect(result.code).toBe(2);
  expect(result.stdout).toBe('');
  expect(result.stderr).toBe(`${sentence}\n`);
}

const TICKETS: Array<[string, string]> = [
  ['Link down on {h}', 'network_ops'],
  ['High packet loss through {h}', 'network_ops'],
  ['Fan failure on {h}', 'field_technicians'],
  ['Predicted disk failure on {h}', 'field_technicians'],
  ['Suspicious logins on {h}', 'security'],
  ['Brute-force attempts against {h}', 'security'],
];

function historyCsv(rows = 60): string {
  const lines = ['id,title,department'];
  for (let i = 0; i < rows; i++) {
    const [title, department] = TICKETS[i % TICKETS.length];
    lines.push(`T${i},${title.replace('{h}', `site-${i % 5}-dev-${i % 7}`)},${department}`);
  }
  return `${lines.join('\n')}\n`;
}

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x1b]);

describe('nocai commands given bad input files', () => {
  let dir: string;
  let history: string;
  let models: string;
  const trainArgs = (file: string, ...more: string[]) =>
    [
      'train',
      '--history',
      file,
      '--text',
      'title',
      '--department',
      'department',
      '--out',
      join(dir, 'out'),
      '--quiet',
    ].concat(more);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nocai-cli-input-'));
    history = join(dir, 'tickets.csv');
    writeFileSync(history, historyCsv());
    models = join(dir, 'models');
    const trained = await run([
      'train',
      '--history',
      history,
      '--text',
      'title',
      '--department',
      'department',
      '--out',
      models,
      '--quiet',
    ]);
    expect(trained.code).toBe(0);
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('When predict reads cells starting with =, +, -, @ or a tab, then its CSV neutralises them and keeps plain numbers', async () => {
    const input = join(dir, 'new.csv');
    writeFileSync(
      input,
      [
        'ref,summary,reading,note',
        '=1+1,Link down on core-9,-0.5,"=HYPERLINK(""http://evil.example"",""x"")"',
        '@SUM(A1),Fan failure on db-1,+3,"-2+3+cmd|\' /C calc\'!A0"',
        'A3,Suspicious logins on web-3,7,"\tpadded"',
      ].join('\n')
    );
    const result = await run(['predict', '--model', models, '--input', input, '--text', 'summary']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe('ref,summary,reading,note,department,department_confidence');
    expect(lines[1]).toMatch(
      /^"'=1\+1",Link down on core-9,-0\.5,"'=HYPERLINK\(""http:\/\/evil\.example"",""x""\)",\w+,0\.\d{4}$/
    );
    expect(lines[2]).toMatch(/^"'@SUM\(A1\)",Fan failure on db-1,\+3,"'-2\+3\+cmd\|' \/C calc'!A0",\w+,0\.\d{4}$/);
    expect(lines[3]).toMatch(/^A3,Suspicious logins on web-3,7,"'\tpadded",\w+,0\.\d{4}$/);
  });

  it('When the history has a row with more cells than the header, then train exits 2 naming the line and both counts', async () => {
    const ragged = join(dir, 'ragged.csv');
    writeFileSync(ragged, `${historyCsv(12)}T99,Link down on core-1, since 10:00,network_ops\n`);
    expectUsageError(
      await run(trainArgs(ragged)),
      `nocai train: ${ragged} line 14 has 4 cells but the header has 3; quote cells that contain commas.`
    );
  });

  it('When predict input has a row with fewer cells than the header, then it exits 2 instead of padding it', async () => {
    const short = join(dir, 'short.csv');
    writeFileSync(short, 'ref,summary\nA1,Link down on core-9\nA2\n');
    expectUsageError(
      await run(['predict', '--model', models, '--input', short, '--text', 'summary']),
      `nocai predict: ${short} line 3 has 1 cells but the header has 2.`
    );
  });

  it('When a text cell is longer than --max-cell-chars, then train exits 2 before training', async () => {
    const long = join(dir, 'long.csv');
    writeFileSync(long, `${historyCsv(12)}T99,${'x'.repeat(2000)},network_ops\n`);
    expectUsageError(
      await run(trainArgs(long, '--max-cell-chars', '1000')),
      `nocai train: ${long} row 13 has 2000 characters in column "title", over the limit of 1000 (raise it with --max-cell-chars).`
    );
    expect((await run(trainArgs(long, '--max-cell-chars', '2000'))).code).toBe(0);
  });

  it('When a predict text cell is longer than --max-cell-chars, then predict exits 2', async () => {
    const long = join(dir, 'long-input.csv');
    writeFileSync(long, `ref,summary\nA1,${'y'.repeat(2000)}\n`);
    expectUsageError(
      await run(['predict', '--model', models, '--input', long, '--text', 'summary', '--max-cell-chars', '1000']),
      `nocai predict: ${long} row 1 has 2000 characters in column "summary", over the limit of 1000 (raise it with --max-cell-chars).`
    );
  });

  it('When the history is larger than --max-input-mb, then train exits 2 with its size and the limit', async () => {
    const big = join(dir, 'big.csv');
    writeFileSync(big, historyCsv(40_000));
    const megabytes = (readFileSync(big).length / 1e6).toFixed(1);
    expectUsageError(
      await run(trainArgs(big, '--max-input-mb', '1')),
      `nocai train: ${big} is ${megabytes} MB, over the 1 MB limit (raise it with --max-input-mb).`
    );
  });

  it.each([
    ['train --history', (file: string) => trainArgs(file), 'train'],
    [
      'predict --input',
      (file: string) => ['predict', '--model', join(dir, 'models'), '--input', file, '--text', 'title'],
      'predict',
    ],
    ['templates --input', (file: string) => ['templates', '--input', file], 'templates'],
  ])(
    'When %s is a PNG, then it exits 2 saying it looks binary, without echoing its bytes',
    async (_name, args, command) => {
      const png = join(dir, `logo-${command}.png`);
      writeFileSync(png, PNG);
      expectUsageError(await run(args(png)), `nocai ${command}: ${png} looks like a binary file, not CSV/JSONL/text.`);
    }
  );

  it('When a text history has terminal escapes in its header, then the column list in the error shows them escaped', async () => {
    const escapes = join(dir, 'escapes.csv');
    writeFileSync(escapes, `\x1b[2Jtitle,\u202edepartment,${'w'.repeat(200)}\nLink down,network_ops,x\n`);
    const result = await run(trainArgs(escapes));
    expectUsageError(
      result,
      `nocai train: ${escapes} has no column "department", "title"; its columns are \\x1b[2Jtitle, \\u{202e}department, ${'w'.repeat(79)}….`
    );
  });

  it('When a time cell holds control bytes, then the error quotes it escaped and cut to 80 characters', async () => {
    const times = join(dir, 'times.csv');
    writeFileSync(times, `title,department,opened_at\nLink down,network_ops,\x07\x08${'9'.repeat(100)}\n`);
    const result = await run(trainArgs(times, '--time', 'opened_at'));
    expectUsageError(
      result,
      `nocai train: column "opened_at" must hold times (ISO 8601 or epoch ms); row 1 has "\\x07\\x08${'9'.repeat(71)}…".`
    );
  });

  it.each([
    ['train --history', (file: string) => trainArgs(file), 'train'],
    [
      'predict --input',
      (file: string) => ['predict', '--model', join(dir, 'models'), '--input', file, '--text', 'title'],
      'predict',
    ],
    ['templates --input', (file: string) => ['templates', '--input', file], 'templates'],
  ])('When %s is a directory or missing, then it exits 2 saying which', async (_name, args, command) => {
    const folder = join(dir, `folder-${command}`);
    mkdirSync(folder);
    expectUsageError(await run(args(folder)), `nocai ${command}: ${folder} is a directory, not a file.`);
    const missing = join(dir, `missing-${command}.csv`);
    expectUsageError(await run(args(missing)), `nocai ${command}: no such file ${missing}.`);
  });
});

describe('nocai labels to a CSV file', () => {
  let backend: TestBackend;
  let dir: string;
  beforeAll(async () => {
    backend = await startTestBackend();
    dir = mkdtempSync(join(tmpdir(), 'nocai-labels-csv-'));
  });
  afterAll(async () => {
    await backend?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('When an operator comment starts with =, then the exported CSV cell is quoted with a leading apostrophe', async () => {
    const post = async (path: string, body: unknown) =>
      (await (await backend.call(path, { method: 'POST', body: JSON.stringify(body) })).json()) as { ticket: Ticket };
    const { ticket } = await post('/api/complaints', { text: 'UPS on battery, input voltage lost in the server room' });
    await post(`/api/tickets/${ticket.id}/feedback`, {
      verdict: 'valid',
      comment: '=HYPERLINK("http://evil.example","x")',
    });

    const out = join(dir, 'labels.csv');
    const result = await run(['labels', '--influx-url', testInfluxUrl(), '--database', backend.outputDb, '--out', out]);
    expect(result.code).toBe(0);
    const [header, row] = readFileSync(out, 'utf8').split('\n');
    expect(header.split(',')).toContain('resolution');
    expect(row).toContain(`,"'=HYPERLINK(""http://evil.example"",""x"")",`);
  });
});
