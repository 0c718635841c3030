import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseReportRange, parseReportTime, ReportRangeError } from './reportRange';
import { ReportStore } from './reportStore';

const DAY = 86_400_000;
const week = (n: number) => ({ fromMs: Date.UTC(2024, 0, 1) + n * 7 * DAY, toMs: Date.UTC(2024, 0, 8) + n * 7 * DAY });

describe('ReportStore', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nocai-reports-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('When reports are saved, then the newest generated is the latest, each readable by id with its range', async () => {
    const store = new ReportStore(join(dir, 'reports'));
    await expect(store.latest()).resolves.toBeUndefined();
    const first = await store.save(week(0), week(0).toMs + 3_600_000, '<p>week 0</p>');
    const second = await store.save(week(1), week(1).toMs + 3_600_000, '<p>week 1</p>');
    expect((await store.latest())?.id).toBe(second.id);
    expect((await store.list()).map((r) => [r.id, r.range])).toEqual([
      [second.id, week(1)],
      [first.id, week(0)],
    ]);
    await expect(store.read(first.id)).resolves.toBe('<p>week 0</p>');
  });

  it('When more reports than kept are saved, then the oldest are deleted and no temporary file stays', async () => {
    const store = new ReportStore(dir, 3);
    for (let n = 0; n < 5; n++) await store.save(week(n), week(n).toMs + 1000, `<p>${n}</p>`);
    expect((await store.list()).map((r) => r.range)).toEqual([week(4), week(3), week(2)]);
    expect(readdirSync(dir).sort()).toEqual((await store.list()).map((r) => `${r.id}.html`).sort());
  });

  it('When two reports of one range are made in the same millisecond, at once or one after the other, then every one is kept under its own id', async () => {
    const store = new ReportStore(dir);
    const at = week(0).toMs + 5000;
    const first = await store.save(week(0), at, '<p>first</p>');
    const together = await Promise.all([1, 2, 3].map((n) => store.save(week(0), at, `<p>${n}</p>`)));
    const ids = [first, ...together].map((r) => r.id);
    expect(new Set(ids).size).toBe(4);
    expect(first.generatedAtMs).toBe(at);
    // Named a millisecond apart: listed newest first, each with its own page.
    expect((await store.list()).map((r) => r.generatedAtMs)).toEqual([at + 3, at + 2, at + 1, at]);
    await expect(store.read(first.id)).resolves.toBe('<p>first</p>');
    const pages = await Promise.all(together.map((r) => store.read(r.id)));
    expect(pages.sort()).toEqual(['<p>1</p>', '<p>2</p>', '<p>3</p>']);
    expect(readdirSync(dir).filter((name) => name.startsWith('.'))).toEqual([]);
  });

  it('When an id is not one the store makes (a path, a dot file), then nothing is read', async () => {
    const store = new ReportStore(dir);
    const saved = await store.save(week(0), week(0).toMs, 'x');
    for (const id of ['../etc/passwd', `${saved.id}/..`, `.${saved.id}`, `${saved.id}.html`, '']) {
      await expect(store.read(id)).resolves.toBeUndefined();
    }
  });
});

describe('report ranges', () => {
  const now = Date.UTC(2024, 4, 10, 12);

  it('When times are ISO dates, date-times, epoch ms or relative, then each names its instant', () => {
    expect(parseReportTime('2024-05-06', now)).toBe(Date.UTC(2024, 4, 6));
    expect(parseReportTime('2024-05-06T08:30+02:00', now)).toBe(Date.UTC(2024, 4, 6, 6, 30));
    expect(parseReportTime(String(Date.UTC(2024, 4, 6)), now)).toBe(Date.UTC(2024, 4, 6));
    expect(parseReportTime('now-7d', now)).toBe(now - 7 * DAY);
  });

  it('When a time is not a time (a rolled-over date, no time zone, words), then it is refused', () => {
    for (const text of ['2024-02-31', '2024-05-06T08:30', 'last week', '', '99999-01-01']) {
      expect(parseReportTime(text, now)).toBeUndefined();
    }
  });

  it('When the range ends before it starts, is empty or spans more than a year, then the sentence says which', () => {
    expect(() => parseReportRange('2024-05-06', '2024-05-06', now)).toThrow(
      'the range must end after it starts: to (2024-05-06T00:00:00.000Z) is not after from (2024-05-06T00:00:00.000Z).'
    );
    expect(() => parseReportRange('2022-01-01', '2024-01-01', now)).toThrow(/at most 366 days/);
    expect(() => parseReportRange('yesterday', '2024-01-01', now)).toThrow(ReportRangeError);
    expect(() => parseReportRange('yesterday', '2024-01-01', now)).toThrow(/^from: "yesterday" is not an ISO 8601/);
  });
});
