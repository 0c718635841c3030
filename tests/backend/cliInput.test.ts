import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Ticket } from '@nocai/contract';
import { CLI, runCli } from '../support/backendProcess';
import { testInfluxUrl } from '../support/influx';
import { startTestBackend, type TestBackend } from '../support/service';

/** The sha256 the registry records for an empty model.onnx (a stand-in for a model of another kind). */
const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');

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
      `nocai predict: ${short} line 3 has 1 cell but the header has 2.`
    );
  });

  it.each([
    ['train --history', (file: string) => trainArgs(file), 'train'],
    [
      'predict --input',
      (file: string) => ['predict', '--model', models, '--input', file, '--text', 'title'],
      'predict',
    ],
    [
      'problems train-file --input',
      (file: string) => ['problems', 'train-file', '--input', file, '--label', 'department', '--out', join(dir, 'p')],
      'problems train-file',
    ],
  ])(
    'When the %s header names a column twice, then it exits 2 naming the column instead of keeping one of the two',
    async (_name, args, command) => {
      const twice = join(dir, `twice-${command.replace(' ', '-')}.csv`);
      writeFileSync(
        twice,
        historyCsv(12)
          .split('\n')
          .map((line, i) => (line === '' ? line : i === 0 ? `${line},title` : `${line},second title`))
          .join('\n')
      );
      expectUsageError(
        await run(args(twice)),
        `nocai ${command}: ${twice} has two columns named "title" in its header (columns 2 and 4); rename or remove one.`
      );
    }
  );

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

describe('nocai given an output folder, a model folder or a data stream it cannot use', () => {
  let dir: string;
  let history: string;
  let models: string;
  const trainTo = (out: string) => [
    'train',
    '--history',
    history,
    '--text',
    'title',
    '--department',
    'department',
    '--out',
    out,
    '--quiet',
  ];
  const predictWith = (model: string) => [
    'predict',
    '--model',
    model,
    '--input',
    join(dir, 'new.csv'),
    '--text',
    'title',
  ];
  /** A copy of the trained model folder to damage. */
  const copyOfModels = (name: string) => {
    const copy = join(dir, name);
    cpSync(models, copy, { recursive: true });
    return copy;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nocai-cli-folders-'));
    history = join(dir, 'tickets.csv');
    writeFileSync(history, historyCsv());
    writeFileSync(join(dir, 'new.csv'), 'ref,title\nA1,Link down on core-9\nA2,Fan failure on db-1\n');
    models = join(dir, 'models');
    expect((await run(trainTo(models))).code).toBe(0);
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('When a column is listed twice in --features or --text, then train exits 2 naming it instead of feeding it twice', async () => {
    const out = join(dir, 'twice');
    const tabular = [
      'train',
      '--history',
      history,
      '--target',
      'department',
      '--features',
      'id,title,id',
      '--out',
      out,
    ];
    const textual = [
      'train',
      '--history',
      history,
      '--text',
      'title,title',
      '--department',
      'department',
      '--out',
      out,
    ];
    for (const [args, flag, value] of [
      [tabular, '--features <columns>', 'id,title,id'],
      [textual, '--text <columns>', 'title,title'],
    ] as const) {
      const result = await run([...args]);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr.split('\n')[0]).toBe(
        `error: option '${flag}' argument '${value}' is invalid. "${value.split(',')[0]}" is listed twice.`
      );
    }
    expect(existsSync(out)).toBe(false);
  });

  it('When train --out is a file, then it exits 2 before training and leaves the file as it was', async () => {
    const file = join(dir, 'out-file');
    writeFileSync(file, 'keep me\n');
    expectUsageError(await run(trainTo(file)), `nocai train: ${file} is a file, not a folder.`);
    expect(readFileSync(file, 'utf8')).toBe('keep me\n');
  });

  it('When problems list is given a folder that does not exist or a file, then it exits 2 naming it instead of listing nothing', async () => {
    const missing = join(dir, 'no-such-problems');
    const hint = 'give the folder of problem definitions with --dir (or NOCAI_PROBLEMS_DIR).';
    expectUsageError(
      await run(['problems', 'list', '--dir', missing]),
      `nocai problems: ${missing} does not exist; ${hint}`
    );
    expectUsageError(
      await run(['problems', 'list', '--dir', history]),
      `nocai problems: ${history} is a file; ${hint}`
    );
    const empty = join(dir, 'problems-empty');
    mkdirSync(empty);
    expect(await run(['problems', 'list', '--dir', empty])).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('When train --out lies under a file, then it exits 2 naming the file in the way', async () => {
    const file = join(dir, 'parent-file');
    writeFileSync(file, '');
    const out = join(file, 'models');
    expectUsageError(await run(trainTo(out)), `nocai train: cannot create ${out}: ${file} is a file, not a folder.`);
  });

  it('When the model folder train would write is a file, then it exits 2 naming it', async () => {
    const out = join(dir, 'taken');
    mkdirSync(out);
    writeFileSync(join(out, 'department'), '');
    expectUsageError(await run(trainTo(out)), `nocai train: ${join(out, 'department')} is a file, not a folder.`);
    // Nothing written beside it: no report, no leftover of the write check.
    expect(readdirSync(out)).toEqual(['department']);
  });

  // node's recursive mkdir spins forever at full CPU where the parent answers ENOENT, as /proc does.
  (existsSync('/proc/self') ? it : it.skip)(
    'When train --out is on a file system that takes no folders (/proc), then it exits 2 instead of spinning',
    async () => {
      const out = `/proc/nocai-test-${process.pid}/models`;
      expectUsageError(
        await run(trainTo(out)),
        `nocai train: cannot create ${out}: that file system takes no new folders.`
      );
    }
  );

  it('When predict --model does not exist or is a file, then it exits 2 saying which', async () => {
    const missing = join(dir, 'no-models');
    expectUsageError(await run(predictWith(missing)), `nocai predict: no such folder ${missing}.`);
    expectUsageError(
      await run(predictWith(history)),
      `nocai predict: ${history} is a file, not a folder of models written by nocai train --out.`
    );
  });

  it('When predict --model is one model of the folder, or one version of it, then it exits 2 naming the folder to give', async () => {
    expectUsageError(
      await run(predictWith(join(models, 'department'))),
      `nocai predict: ${join(models, 'department')} is the folder of model department; give the folder that holds it: --model ${models}.`
    );
    expectUsageError(
      await run(predictWith(join(models, 'department', 'v1'))),
      `nocai predict: ${join(models, 'department', 'v1')} is one version of model department; ` +
        `give the folder that holds the models: --model ${models}.`
    );
  });

  it('When predict --model holds several model folders (training runs), then it exits 2 listing them', async () => {
    const runs = join(dir, 'runs');
    mkdirSync(runs);
    cpSync(models, join(runs, 'monday'), { recursive: true });
    cpSync(models, join(runs, 'tuesday'), { recursive: true });
    expectUsageError(
      await run(predictWith(runs)),
      `nocai predict: ${runs} holds no models itself, but its folders monday and tuesday each hold some; ` +
        `give one of them: --model ${join(runs, 'monday')}.`
    );
  });

  it('When the model folder holds several models, one of another kind, then predict runs the text classifiers and says what it skipped', async () => {
    const several = copyOfModels('several');
    expect(
      (
        await run([
          'train',
          '--history',
          history,
          '--text',
          'title',
          '--label',
          'department',
          '--out',
          several,
          '--quiet',
        ])
      ).code
    ).toBe(0);
    mkdirSync(join(several, 'mttr', 'v1'), { recursive: true });
    writeFileSync(
      join(several, 'mttr', 'v1', 'manifest.json'),
      JSON.stringify({ name: 'mttr', version: 'v1', kind: 'gbt_quantile_regressor', artifactSha256: EMPTY_SHA256 })
    );
    writeFileSync(join(several, 'mttr', 'v1', 'model.onnx'), '');
    const result = await run(predictWith(several));
    expect(result.stderr).toBe(
      'nocai predict: skipping model mttr (gbt_quantile_regressor): predict runs text classifiers only\n'
    );
    expect(result.code).toBe(0);
    const [header, first] = result.stdout.split('\n');
    expect(header).toBe('ref,title,department,department_confidence,label,label_confidence');
    expect(first).toMatch(/^A1,Link down on core-9,network_ops,0\.\d{4},network_ops,0\.\d{4}$/);
  });

  it('When the model folder holds only models of another kind, then predict exits 2 saying so', async () => {
    const other = join(dir, 'only-mttr');
    mkdirSync(join(other, 'mttr', 'v1'), { recursive: true });
    writeFileSync(
      join(other, 'mttr', 'v1', 'manifest.json'),
      JSON.stringify({ name: 'mttr', version: 'v1', kind: 'gbt_quantile_regressor', artifactSha256: EMPTY_SHA256 })
    );
    writeFileSync(join(other, 'mttr', 'v1', 'model.onnx'), '');
    const result = await run(predictWith(other));
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.split('\n').slice(-2)).toEqual([
      `nocai predict: ${other} holds no text classifier (mttr is a model of another kind).`,
      '',
    ]);
  });

  it.each([
    [
      'its manifest is cut short',
      'manifest.json',
      (file: string) => writeFileSync(file, '{"format": 1, "na'),
      'is not valid JSON',
    ],
    [
      'its manifest lacks the labels',
      'manifest.json',
      (file: string) => {
        const manifest = JSON.parse(readFileSync(file, 'utf8'));
        delete manifest.labels;
        writeFileSync(file, JSON.stringify(manifest));
      },
      'has no labels',
    ],
    ['its model.onnx is missing', 'model.onnx', (file: string) => rmSync(file), 'is missing'],
  ])('When a model is damaged (%s), then predict exits 2 naming the file', async (_case, fileName, damage, problem) => {
    const damaged = copyOfModels(`damaged-${fileName}-${problem.replace(/\W/g, '')}`);
    const file = join(damaged, 'department', 'v1', fileName);
    damage(file);
    expectUsageError(
      await run(predictWith(damaged)),
      `nocai predict: ${file} ${problem}, so model department cannot be used.`
    );
  });

  it('When a model.onnx is cut short, then predict exits 2 naming it as not matching its recorded sha256', async () => {
    const damaged = copyOfModels('truncated-onnx-sha');
    const file = join(damaged, 'department', 'v1', 'model.onnx');
    writeFileSync(file, readFileSync(file).subarray(0, 100));
    expectUsageError(
      await run(predictWith(damaged)),
      `nocai predict: ${file} does not match the sha256 recorded in its manifest: refusing to load a tampered or damaged model, so model department cannot be used.`
    );
  });

  it("When a model.onnx is not an ONNX graph (cut short, its sha256 recorded), then predict exits 2 naming it and onnxruntime's reason", async () => {
    const damaged = copyOfModels('truncated-onnx');
    const file = join(damaged, 'department', 'v1', 'model.onnx');
    const cut = readFileSync(file).subarray(0, 100);
    writeFileSync(file, cut);
    // As if the graph had been exported broken: the manifest records the broken file's hash.
    const manifestFile = join(damaged, 'department', 'v1', 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
    writeFileSync(
      manifestFile,
      JSON.stringify({ ...manifest, artifactSha256: createHash('sha256').update(cut).digest('hex') })
    );
    const result = await run(predictWith(damaged));
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    // onnxruntime's own words go between the parentheses.
    const [line, rest] = result.stderr.split('\n');
    expect(line.startsWith(`nocai predict: ${file} cannot be loaded (`)).toBe(true);
    expect(line.endsWith('), so model department cannot be used.')).toBe(true);
    expect(rest).toBe('');
  });

  it('When the alias file is damaged or names a version that is not there, then predict exits 2 instead of guessing', async () => {
    const garbled = copyOfModels('garbled-aliases');
    const aliases = join(garbled, 'department', 'aliases.json');
    writeFileSync(aliases, '"champion":');
    expectUsageError(
      await run(predictWith(garbled)),
      `nocai predict: ${aliases} is not valid JSON, so model department cannot be used.`
    );
    const dangling = copyOfModels('dangling-alias');
    writeFileSync(join(dangling, 'department', 'aliases.json'), '{"champion": "v9"}');
    expectUsageError(
      await run(predictWith(dangling)),
      `nocai predict: ${join(dangling, 'department', 'aliases.json')} names v9 as the champion, ` +
        `but ${join(dangling, 'department')} has no such version.`
    );
  });

  it.each([
    ['templates --input', (file: string) => ['templates', '--input', file], 'templates'],
    [
      'predict --input',
      (file: string) => ['predict', '--model', models, '--input', file, '--text', 'title'],
      'predict',
    ],
  ])(
    'When %s has a NUL byte past its first 8 KB, then it exits 2 naming the line and writes no NUL byte',
    async (_name, args, command) => {
      const file = join(dir, `late-nul-${command}.csv`);
      const lines = ['ref,title', ...Array.from({ length: 1000 }, (_, i) => `A${i},Link down on core-${i}`)];
      lines[900] = `A899,Link down\0 on core-899`;
      writeFileSync(file, `${lines.join('\n')}\n`);
      const result = await run(args(file));
      expectUsageError(result, `nocai ${command}: ${file} has a NUL byte on line 901, so it is not CSV/JSONL/text.`);
    }
  );

  (existsSync('/dev/zero') ? it : it.skip)(
    'When templates reads an endless binary stream (/dev/zero), then it exits 2 at once instead of reading 512 MB',
    async () => {
      expectUsageError(
        await run(['templates', '--input', '/dev/zero']),
        'nocai templates: /dev/zero looks like a binary file, not CSV/JSONL/text.'
      );
    }
  );

  (existsSync('/dev/full') ? it : it.skip)(
    'When standard output cannot be written (a full disk), then templates and predict exit 1 with one sentence, no stack trace',
    async () => {
      const log = join(dir, 'small.log');
      writeFileSync(log, 'Jun  1 10:00:00 core-1 sshd[12]: Failed password for admin from 10.0.0.1\n');
      for (const args of [['templates', '--input', log], predictWith(models)]) {
        const full = openSync('/dev/full', 'w');
        const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', full, 'pipe'] });
        closeSync(full);
        let stderr = '';
        child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
        const code = await new Promise<number | null>((r) => child.once('exit', r));
        expect(stderr).toBe('nocai: cannot write to standard output: no space left on the device.\n');
        expect(code).toBe(1);
      }
    }
  );
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
