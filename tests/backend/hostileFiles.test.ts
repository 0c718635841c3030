import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { hostileText } from '../../inference-backend/src/bench/fuzzRequests';
import { runCli } from '../support/backendProcess';

/**
 * The CLI's file readers under hostile files (issue 13, point 4): CSV, JSON Lines and log files
 * with ragged rows, binary bytes, byte order marks, CRLF or CR line ends, unbalanced quotes and
 * huge fields. Each run of the real `nocai` process must either succeed with well-formed output
 * or exit 2 with one sentence on stderr: never another exit code, never a stack trace.
 */
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'nocai-hostile-files-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function nocai(args: string[]) {
  const proc = runCli(args, {});
  let stdout = '';
  let stderr = '';
  proc.child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  proc.child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await proc.exited;
  return { code, stdout, stderr };
}

/** Exit 0, or exit 2 with exactly one line on stderr; a stack trace never shows. */
function expectCleanOutcome(result: Awaited<ReturnType<typeof nocai>>): void {
  expect(result.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  expect([0, 2]).toContain(result.code);
  if (result.code === 2) expect(result.stderr).toMatch(/^nocai( [a-z]+)?: [^\n]+\n$/);
}

const cellValue = fc.oneof(
  { weight: 4, arbitrary: fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.double({ noNaN: true })).map(String) },
  {
    weight: 2,
    arbitrary: fc
      .integer({ min: 0, max: 10_000 })
      .map((i) => new Date(Date.UTC(2024, 0, 1) + i * 3_600_000).toISOString()),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '',
      'NaN',
      '1e999',
      '-',
      'null',
      '"',
      '""',
      '"a,b"',
      '"a\nb"',
      '"unclosed',
      'Link down on sw-1',
      'x'.repeat(3000)
    ),
  },
  { weight: 2, arbitrary: hostileText(20) },
  { weight: 1, arbitrary: fc.constant('y'.repeat(150_000)) }
);

/** A CSV file as bytes: a header (the wanted columns, or a damaged version), ragged rows, optional BOM and binary. */
function csvFile(columns: readonly string[]): fc.Arbitrary<Buffer> {
  const header = fc.oneof(
    { weight: 4, arbitrary: fc.constant([...columns]) },
    { weight: 1, arbitrary: fc.shuffledSubarray([...columns, 'extra', columns[0]]) },
    { weight: 1, arbitrary: fc.array(hostileText(8), { maxLength: 4 }) }
  );
  const row = (width: number) =>
    fc.oneof(
      { weight: 5, arbitrary: fc.array(cellValue, { minLength: width, maxLength: width }) },
      { weight: 1, arbitrary: fc.array(cellValue, { maxLength: width + 3 }) }
    );
  return fc
    .record({
      header,
      rows: fc.array(row(columns.length), { maxLength: 80 }),
      eol: fc.constantFrom('\n', '\r\n', '\r'),
      bom: fc.constantFrom('', '', '\ufeff'),
      binary: fc.option(fc.uint8Array({ minLength: 1, maxLength: 64 }), { freq: 4 }),
      binaryAt: fc.nat(),
      finalEol: fc.boolean(),
    })
    .map(({ header, rows, eol, bom, binary, binaryAt, finalEol }) => {
      const text = `${bom}${[header, ...rows].map((r) => r.join(',')).join(eol)}${finalEol ? eol : ''}`;
      const bytes = Buffer.from(text, 'utf8');
      if (!binary) return bytes;
      const at = binaryAt % (bytes.length + 1);
      return Buffer.concat([bytes.subarray(0, at), Buffer.from(binary), bytes.subarray(at)]);
    });
}

/** A plausible daily series with enough rows for the detectors to do real work. */
function series(kind: 'nab' | 'long'): fc.Arbitrary<Buffer> {
  return fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 40, maxLength: 200 }).map((values) => {
    const start = Date.UTC(2024, 0, 1);
    const rows = values.map((v, i) => {
      const t = new Date(start + i * 3_600_000).toISOString();
      return kind === 'nab' ? `${t},${v}` : `s${i % 2},${t},${v}`;
    });
    return Buffer.from(`${kind === 'nab' ? 'timestamp,value' : 'series,t,value'}\n${rows.join('\n')}\n`);
  });
}

let fileNumber = 0;
function writeInput(bytes: Buffer, extension: string): string {
  const file = join(dir, `input-${fileNumber++}.${extension}`);
  writeFileSync(file, bytes);
  return file;
}

/** CSV rows of stdout after its header line. */
function dataRows(stdout: string, header: string): string[][] {
  const [first, ...rest] = stdout.split('\n').filter((l) => l !== '');
  expect(first).toBe(header);
  return rest.map((l) => l.split(','));
}

describe('nocai file readers under hostile files', () => {
  it('When anomalies reads any CSV, then it scores every row in [0, 1) or exits 2 with one sentence', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(csvFile(['timestamp', 'value']), series('nab')), async (bytes) => {
        const result = await nocai(['anomalies', '--input', writeInput(bytes, 'csv')]);
        expectCleanOutcome(result);
        if (result.code === 0) {
          for (const row of dataRows(result.stdout, 'timestamp,value,anomaly_score')) {
            const score = Number(row[row.length - 1]);
            expect(score >= 0 && score < 1).toBe(true);
          }
        }
      }),
      { numRuns: 15 }
    );
  });

  it('When forecast reads any CSV, then its intervals hold their forecasts or it exits 2 with one sentence', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(csvFile(['series', 't', 'value']), series('long')), async (bytes) => {
        const result = await nocai([
          'forecast',
          '--input',
          writeInput(bytes, 'csv'),
          '--horizon',
          '3',
          '--season',
          'none',
        ]);
        expectCleanOutcome(result);
        if (result.code === 0) {
          for (const row of dataRows(result.stdout, 'series,t,forecast,lower,upper')) {
            const [forecast, lower, upper] = row.slice(-3).map(Number);
            expect([forecast, lower, upper].every(Number.isFinite)).toBe(true);
            expect(lower <= forecast && forecast <= upper).toBe(true);
          }
        }
      }),
      { numRuns: 15 }
    );
  });

  it('When templates reads any log file, then it prints its template CSV or exits 2 with one sentence', async () => {
    const logFile = fc
      .record({
        lines: fc.array(
          fc.oneof(
            hostileText(80),
            fc.constantFrom('2024-01-01 12:00:00 INFO sshd[42]: Failed password for root', 'z'.repeat(200_000))
          ),
          { maxLength: 60 }
        ),
        eol: fc.constantFrom('\n', '\r\n'),
        bom: fc.constantFrom('', '\ufeff'),
        binary: fc.option(fc.uint8Array({ minLength: 1, maxLength: 64 }), { freq: 3 }),
      })
      .map(({ lines, eol, bom, binary }) =>
        Buffer.concat([Buffer.from(`${bom}${lines.join(eol)}`), binary ? Buffer.from(binary) : Buffer.alloc(0)])
      );
    await fc.assert(
      fc.asyncProperty(logFile, async (bytes) => {
        const result = await nocai(['templates', '--input', writeInput(bytes, 'log')]);
        expectCleanOutcome(result);
        if (result.code === 0) expect(result.stdout.startsWith('line,template_id,template')).toBe(true);
      }),
      { numRuns: 15 }
    );
  });

  it('When train reads any CSV or JSON Lines file, then it writes a model folder or exits 2 with one sentence', async () => {
    const jsonl = fc
      .array(
        fc.oneof(
          {
            weight: 4,
            arbitrary: fc
              .record({
                title: fc.oneof(cellValue, fc.constantFrom('Link down on sw-1', 'Fan failure on srv-2')),
                department: fc.constantFrom('network_ops', 'field_technicians', ''),
              })
              .map((o) => JSON.stringify(o)),
          },
          {
            weight: 1,
            arbitrary: fc.constantFrom(
              '{',
              '[]',
              'null',
              '{"title":{"__proto__":1}}',
              '\ufeff{"title":"x","department":"y"}'
            ),
          }
        ),
        { maxLength: 60 }
      )
      .map((lines) => Buffer.from(lines.join('\n')));
    // Enough well-formed rows of two classes, hostile text inside, for a model to be trained.
    const trainable = fc.array(fc.tuple(fc.boolean(), hostileText(30)), { minLength: 20, maxLength: 40 }).map((rows) =>
      Buffer.from(
        rows
          .map(([network, noise], i) =>
            JSON.stringify({
              title: `${network ? 'Link down on sw' : 'Fan failure on srv'}-${i} ${noise}`,
              department: i % 2 === 0 ? 'network_ops' : 'field_technicians',
            })
          )
          .join('\r\n')
      )
    );
    const input = fc.oneof(
      trainable.map((bytes) => ({ bytes, extension: 'jsonl' })),
      csvFile(['title', 'department']).map((bytes) => ({ bytes, extension: 'csv' })),
      jsonl.map((bytes) => ({ bytes, extension: 'jsonl' }))
    );
    await fc.assert(
      fc.asyncProperty(input, async ({ bytes, extension }) => {
        const out = join(dir, `model-${fileNumber}`);
        const file = writeInput(bytes, extension);
        const result = await nocai([
          'train',
          '--history',
          file,
          '--text',
          'title',
          '--department',
          'department',
          '--out',
          out,
          '--quiet',
        ]);
        expectCleanOutcome(result);
        if (result.code === 0) expect(existsSync(join(out, 'report.json'))).toBe(true);
      }),
      { numRuns: 10 }
    );
  });

  it('When predict reads any CSV, then it prints predictions keyed by the id column or exits 2 with one sentence', async () => {
    const history = Array.from({ length: 30 }, (_, i) =>
      JSON.stringify({
        title: i % 2 ? `Link down on sw-${i}` : `Fan failure on srv-${i}`,
        department: i % 2 ? 'network_ops' : 'field_technicians',
      })
    ).join('\n');
    const model = join(dir, 'predict-model');
    const trained = await nocai([
      'train',
      '--history',
      writeInput(Buffer.from(history), 'jsonl'),
      '--text',
      'title',
      '--department',
      'department',
      '--out',
      model,
      '--quiet',
    ]);
    expect(trained.code).toBe(0);
    await fc.assert(
      fc.asyncProperty(csvFile(['id', 'title']), async (bytes) => {
        const result = await nocai([
          'predict',
          '--model',
          model,
          '--input',
          writeInput(bytes, 'csv'),
          '--text',
          'title',
          '--id',
          'id',
        ]);
        expectCleanOutcome(result);
        if (result.code === 0) {
          expect(result.stdout.startsWith('id,')).toBe(true);
        }
      }),
      { numRuns: 12 }
    );
  });
});
