import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCsv } from '../adapters/files/csv';
import { mineTemplatesCsv, runTemplates } from './templates';

// The shared datasets folder sits next to the repository.
const HDFS = join(__dirname, '..', '..', '..', '..', 'shared', 'datasets', 'loghub', 'HDFS', 'HDFS_2k.log');
const describeWithData = existsSync(HDFS) ? describe : describe.skip;

describeWithData('nocai templates on Loghub HDFS', () => {
  it('When mined with the HDFS format, then there are 2000 rows in line order and reruns give the same ids', async () => {
    let out = '';
    const io = { stdout: (t: string) => (out += t), stderr: () => undefined };
    expect(await runTemplates({ input: HDFS, format: 'HDFS' }, io)).toBe(0);
    const [header, ...rows] = parseCsv(out);
    expect(header).toEqual(['line', 'template_id', 'template']);
    expect(rows).toHaveLength(2000);
    expect(rows.map((r) => Number(r[0]))).toEqual(Array.from({ length: 2000 }, (_, i) => i + 1));
    // HDFS_2k has 14 events; the miner finds about as many templates.
    const ids = new Set(rows.map((r) => r[1]));
    expect(ids.size).toBeGreaterThan(5);
    expect(ids.size).toBeLessThan(40);
    expect(rows[0][2]).not.toMatch(/081109/);
    const again = mineTemplatesCsv(
      readFileSync(HDFS, 'utf8')
        .split('\n')
        .filter((l) => l !== ''),
      'HDFS'
    );
    expect(again).toBe(out);
  });
});

describe('nocai templates', () => {
  it('When two lines differ only in quoted, comma-ended values, then they share an id and a wildcard template', () => {
    const csv = mineTemplatesCsv(['user "bob", id 7 logged in', 'user "amy", id 9 logged in']);
    const [, first, second] = parseCsv(csv);
    expect(first[1]).toBe(second[1]);
    expect(first[2]).toBe('user <*> id <NUM> logged in');
  });

  it('When the input file does not exist, then it exits with 2', async () => {
    let err = '';
    expect(await runTemplates({ input: 'no/such.log' }, { stdout: () => undefined, stderr: (t) => (err += t) })).toBe(
      2
    );
    expect(err).toMatch(/no such file/);
  });

  it('When the input is a directory, then it says so in one sentence and exits with 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nocai-templates-'));
    try {
      let err = '';
      let out = '';
      const io = { stdout: (t: string) => (out += t), stderr: (t: string) => (err += t) };
      expect(await runTemplates({ input: dir }, io)).toBe(2);
      expect(err).toBe(`nocai templates: ${dir} is a directory, not a file.\n`);
      expect(out).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('When a log line starts with a formula character, then its template is neutralised in the CSV', () => {
    const csv = mineTemplatesCsv(['=HYPERLINK("http://evil.example","click")', '@SUM(1+1)']);
    expect(csv.split('\n')[1]).toMatch(/^1,\d+,"'=HYPERLINK\(""/);
    const [, first, second] = parseCsv(csv);
    expect(first[2]).toMatch(/^'=HYPERLINK\("/);
    expect(second[2]).toMatch(/^'@SUM\(/);
  });
});
