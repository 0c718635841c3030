import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ReportRange } from './reportModel';

/** A stored report, as listed by the API. */
export interface StoredReport {
  /** The file name without `.html`: `report-<generated>-<from>-<to>`, times as `YYYYMMDDTHHMMSSmmmZ`. */
  id: string;
  range: ReportRange;
  generatedAtMs: number;
  bytes: number;
}

export const DEFAULT_REPORTS_KEPT = 10;

const STAMP = String.raw`(\d{8}T\d{9}Z)`;
const ID_PATTERN = new RegExp(`^report-${STAMP}-${STAMP}-${STAMP}$`);

/**
 * Generated reports as HTML files in one folder (`<stateDir>/reports`), named so that the names sort
 * by generation time and say the range they cover: the folder is the index, nothing else to keep in
 * step. A report is written to a temporary file, flushed and renamed into place, so a reader never
 * sees half a report; only the newest `keep` are kept.
 */
export class ReportStore {
  constructor(
    readonly dir: string,
    private readonly keep = DEFAULT_REPORTS_KEPT
  ) {
    if (!Number.isInteger(keep) || keep < 1) throw new RangeError(`reports kept must be an integer ≥ 1, got ${keep}`);
  }

  /**
   * Stores `html` as the report of `range` generated at `generatedAtMs`; older reports beyond `keep`
   * are deleted. A report already stored under the same name (two generated in one millisecond, or
   * by a clock that moves in coarse steps) is never replaced: the new one is named a millisecond
   * later, so that both are kept and listed in the order they were made.
   */
  async save(range: ReportRange, generatedAtMs: number, html: string): Promise<StoredReport> {
    await mkdir(this.dir, { recursive: true });
    const temp = join(this.dir, `.report.${randomBytes(4).toString('hex')}.tmp`);
    const handle = await open(temp, 'w');
    try {
      await handle.writeFile(html, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    let at = generatedAtMs;
    let id: string;
    try {
      for (;;) {
        id = `report-${stamp(at)}-${stamp(range.fromMs)}-${stamp(range.toMs)}`;
        if (await placeNew(temp, join(this.dir, `${id}.html`))) break;
        at += 1;
      }
    } finally {
      await rm(temp, { force: true });
    }
    await this.prune();
    return { id, range, generatedAtMs: at, bytes: Buffer.byteLength(html) };
  }

  /** Stored reports, newest generated first. */
  async list(): Promise<StoredReport[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const reports: StoredReport[] = [];
    for (const name of names) {
      const parsed = name.endsWith('.html') ? parseId(name.slice(0, -'.html'.length)) : undefined;
      if (!parsed) continue;
      const info = await stat(join(this.dir, name)).catch(() => undefined);
      if (info?.isFile()) reports.push({ ...parsed, bytes: info.size });
    }
    return reports.sort((a, b) => b.id.localeCompare(a.id));
  }

  async latest(): Promise<StoredReport | undefined> {
    return (await this.list())[0];
  }

  /** The HTML of report `id`, or undefined when there is no such report (ids are checked, never joined raw). */
  async read(id: string): Promise<string | undefined> {
    if (!parseId(id)) return undefined;
    try {
      return await readFile(join(this.dir, `${id}.html`), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  private async prune(): Promise<void> {
    const reports = await this.list();
    for (const old of reports.slice(this.keep)) await rm(join(this.dir, `${old.id}.html`), { force: true });
  }
}

/** Codes of a file system that makes no hard links (some network and FUSE volumes). */
const NO_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

/**
 * Puts the file `temp` at `file` unless a file is there: false when one is. A hard link fails when
 * the name is taken, where a rename would replace what is there; without hard links, the name is
 * checked first and then renamed into.
 */
async function placeNew(temp: string, file: string): Promise<boolean> {
  try {
    await link(temp, file);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (code === 'EEXIST') return false;
    if (!NO_LINKS.has(code)) throw error;
  }
  if (
    await stat(file).then(
      () => true,
      () => false
    )
  )
    return false;
  await rename(temp, file);
  return true;
}

/** `20240506T080000000Z`: sortable, and safe in a file name on every system. */
function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:.]/g, '');
}

function unstamp(text: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z$/.exec(text);
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6], +m[7]) : Number.NaN;
}

function parseId(id: string): Omit<StoredReport, 'bytes'> | undefined {
  const m = ID_PATTERN.exec(id);
  if (!m) return undefined;
  const [generatedAtMs, fromMs, toMs] = [m[1], m[2], m[3]].map(unstamp);
  if (![generatedAtMs, fromMs, toMs].every(Number.isFinite)) return undefined;
  return { id, generatedAtMs, range: { fromMs, toMs } };
}
