import path from 'node:path';
import { loadLoghubDataset, measureLoghubThroughput, parseCsv } from './loghub';

/** The shared datasets live beside the repository: <repo>/../shared/datasets. */
const DATASETS_DIR = path.resolve(__dirname, '..', '..', '..', '..', '..', 'shared', 'datasets');

describe('parseCsv', () => {
  it('reads quoted fields holding commas, doubled quotes and line breaks', () => {
    const text = 'a,b,c\r\n1,"x, y","say ""hi"""\n2,"two\nlines",\n';
    expect(parseCsv(text)).toEqual([
      ['a', 'b', 'c'],
      ['1', 'x, y', 'say "hi"'],
      ['2', 'two\nlines', ''],
    ]);
  });

  it('keeps a last row that has no line break', () => {
    expect(parseCsv('a,b\n1,2')).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
  });
});

describe('loadLoghubDataset', () => {
  it('aligns each raw line with its ground-truth event and Content, quoted commas included', () => {
    const { rawLines, eventIds, contents } = loadLoghubDataset(DATASETS_DIR, 'Spark');
    expect(rawLines).toHaveLength(2000);
    expect(eventIds).toHaveLength(2000);
    expect(rawLines[0]).toContain(contents[0]);
    expect(contents[0]).toBe('Registered signal handlers for [TERM, HUP, INT]');
  });
});

describe('measureLoghubThroughput', () => {
  it('mines every line of the chosen systems once per repetition', () => {
    const result = measureLoghubThroughput(DATASETS_DIR, 2, ['HDFS', 'Apache']);
    expect(result.lines).toBe(2 * 4000);
    expect(result.linesPerSecond).toBeGreaterThan(0);
  });
});
