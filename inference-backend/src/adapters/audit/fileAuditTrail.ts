import { mkdir, open, readFile, rename, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AuditEntry, AuditEntryInput, AuditSink } from '../../domain/audit/audit';
import { systemClock, type Clock, type PointSink } from '../../domain/series';
import { InfluxError } from '../influx/errors';
import { auditPoint } from './auditPoint';
import { AUDIT_FILE, GENESIS_HASH, parseEntryLine, prepareEntry, sealEntry, type PreparedEntry } from './chain';
import { readAuditEntries, type AuditFilter, type AuditPage } from './query';
import { readTrailLines } from './lines';
import { MIRROR_MARK, readMirrorMark } from './mirrorMark';
import { lockTrail } from './trailLock';

/** The trail's folder in the backend's state folder (`NOCAI_STATE_DIR`). */
export function auditDirIn(stateDir: string): string {
  return join(stateDir, 'audit');
}

/** A trail that cannot take another entry as it is (torn or damaged last record): a person must look. */
export class AuditTrailDamagedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuditTrailDamagedError';
  }
}

export interface FileAuditTrailOptions {
  /** Where each entry is mirrored (`aiops_audit`); a DirectWriter on the output database. */
  mirror?: Pick<PointSink, 'write'>;
  clock?: Clock;
  /** A mirror write failed; the entries stay queued and are retried with the next record. */
  onMirrorError?: (error: unknown, pendingEntries: number) => void;
  /** Entries kept in memory for the mirror, at most; beyond, the mirror reads them back from the file. */
  maxPendingMirror?: number;
  /** How long to wait for another process's lock on the trail before giving up. */
  lockWaitMs?: number;
}

/** Entries written with one append and one fsync, at most (records that queue up while a write runs). */
const MAX_GROUP = 1000;
/** Entries waiting for the mirror in memory, at most: beyond, they are read back from the file. */
const MAX_PENDING_MIRROR = 10_000;
/** The seq of the last entry known to be in `aiops_audit`, beside the trail. */
/** The last record is searched for in a tail this large first, then larger. */
const TAIL_BYTES = 64 * 1024;

interface Tail {
  size: number;
  seq: number;
  hash: string;
}

interface Waiting {
  entry: PreparedEntry;
  resolve: (entry: AuditEntry) => void;
  reject: (error: unknown) => void;
}

/**
 * The audit trail on disk: `<dir>/audit.jsonl`, one hash-chained entry per line (see `chain.ts`),
 * append-only. `record` resolves once the entry is on disk (written and fsynced); entries are
 * appended one write at a time within the process (records that arrive during a write are
 * written together with the next, one fsync for all) and across processes (a lock file, so two
 * backends or the CLI sharing a state folder extend one chain). Before each write the trail's
 * end is read again when another process has appended since, so seq and prevHash always follow
 * the last record on disk.
 *
 * A last record torn by a crash, or one that is not an entry, stops the trail: every record then
 * fails with the reason until a person has looked (`nocai audit verify` names it). Repairing it
 * here would hide exactly what the trail exists to show.
 *
 * Each written entry is then mirrored to `aiops_audit` in the background. The file is the record,
 * and `mirrored.json` beside it holds the seq of the last entry known to be mirrored: a failed
 * mirror write is retried with the next record (or by `flushMirror`), and what a stopped process
 * or another process (the CLI) left unmirrored is read back from the file and mirrored after
 * `start`. Writing an entry again is harmless: it lands on its own point.
 */
export class FileAuditTrail implements AuditSink {
  readonly file: string;
  private readonly clock: Clock;
  private readonly waiting: Waiting[] = [];
  private writing: Promise<void> | undefined;
  /** The end of the file as this process last wrote it; re-read when the size differs. */
  private tail: Tail | undefined;
  /** Entries this process wrote that the mirror has not taken yet, oldest first (a cache of the file). */
  private readonly pendingMirror: AuditEntry[] = [];
  private mirroring: Promise<boolean> | undefined;
  /** Seq of the last mirrored entry, from `mirrored.json` (read once). */
  private mirroredSeq: number | undefined;
  /** Some entries after `mirroredSeq` are on disk only: read them back from the file. */
  private catchUp = false;

  constructor(
    readonly dir: string,
    private readonly options: FileAuditTrailOptions = {}
  ) {
    this.file = join(dir, AUDIT_FILE);
    this.clock = options.clock ?? systemClock;
  }

  /** The backend's trail: `<stateDir>/audit/audit.jsonl`, where `nocai audit verify` looks. */
  static inStateDir(stateDir: string, options: FileAuditTrailOptions = {}): FileAuditTrail {
    return new FileAuditTrail(auditDirIn(stateDir), options);
  }

  record(input: AuditEntryInput): Promise<AuditEntry> {
    let entry: PreparedEntry;
    try {
      entry = prepareEntry(input);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      this.waiting.push({ entry, resolve, reject });
      this.startWriting();
    });
  }

  /**
   * Reads the end of the trail, as at start: resolves with how many entries it holds, or rejects
   * with the reason when its last record is torn or damaged (then nothing can be recorded).
   */
  async start(): Promise<{ entries: number }> {
    await mkdir(this.dir, { recursive: true });
    // Under the lock: another process's append in progress is not a torn record.
    const release = await lockTrail(this.file, this.options.lockWaitMs);
    let entries: number;
    try {
      entries = (await this.readTail()).seq;
    } finally {
      await release().catch(() => undefined);
    }
    if (this.options.mirror && entries > (await this.mirrorMark())) {
      this.catchUp = true;
      this.startMirroring();
    }
    return { entries };
  }

  /** Entries of the trail matching `filter`, oldest first (the newest `limit` of them). */
  list(filter: AuditFilter): Promise<AuditPage> {
    return readAuditEntries(this.file, filter);
  }

  /**
   * Waits for the mirror to settle, retrying what is pending until a write fails or nothing is
   * left; resolves with how many entries of the trail are not yet in `aiops_audit`.
   */
  async flushMirror(): Promise<number> {
    if (!this.options.mirror) return 0;
    await this.mirroring;
    for (;;) {
      this.startMirroring();
      const mirroring = this.mirroring;
      if (!mirroring || !(await mirroring)) break;
    }
    const release = await lockTrail(this.file, this.options.lockWaitMs);
    try {
      return (await this.readTail()).seq - (await this.mirrorMark());
    } finally {
      await release().catch(() => undefined);
    }
  }

  private startWriting(): void {
    if (this.writing) return;
    this.writing = this.writeWaiting().finally(() => {
      this.writing = undefined;
      if (this.waiting.length > 0) this.startWriting();
    });
  }

  private async writeWaiting(): Promise<void> {
    const group = this.waiting.splice(0, MAX_GROUP);
    let written: AuditEntry[];
    try {
      written = await this.append(group.map((w) => w.entry));
    } catch (error) {
      for (const w of group) w.reject(error);
      return;
    }
    group.forEach((w, i) => w.resolve(written[i]));
    if (this.options.mirror) {
      this.pendingMirror.push(...written);
      const excess = this.pendingMirror.length - (this.options.maxPendingMirror ?? MAX_PENDING_MIRROR);
      if (excess > 0) {
        // Still on disk: the mirror reads them back from the file when their turn comes.
        this.pendingMirror.splice(0, excess);
        this.catchUp = true;
      }
      this.startMirroring();
    }
  }

  /** Seals `prepared` after the last record on disk and appends them, durably, under the lock. */
  private async append(prepared: readonly PreparedEntry[]): Promise<AuditEntry[]> {
    await mkdir(this.dir, { recursive: true });
    const release = await lockTrail(this.file, this.options.lockWaitMs);
    let entries: AuditEntry[];
    try {
      const tail = await this.readTail();
      const atMs = this.clock.nowMs();
      let { seq, hash } = tail;
      entries = prepared.map((p) => {
        const entry = sealEntry(p, seq, hash, atMs);
        ({ seq, hash } = entry);
        return entry;
      });
      const text = entries.map((e) => `${JSON.stringify(e)}\n`).join('');
      await this.appendDurably(text, tail.size);
      this.tail = { size: tail.size + Buffer.byteLength(text), seq, hash };
    } catch (error) {
      await release().catch(() => undefined);
      throw error;
    }
    // Written and fsynced; a lock lost meanwhile (this process stalled past the stale time) means
    // another writer may have appended concurrently, which only verify can tell.
    await release().catch((error: unknown) => {
      this.tail = undefined;
      throw new AuditTrailDamagedError(
        `the lock on ${this.file} was lost during a write (${(error as Error).message}): run nocai audit verify`
      );
    });
    return entries;
  }

  private async appendDurably(text: string, sizeBefore: number): Promise<void> {
    const handle = await open(this.file, 'a');
    try {
      await handle.write(text);
      await handle.sync();
    } catch (error) {
      // Our own write failed half-way (disk full): take it back so the trail ends with a whole record.
      await truncate(this.file, sizeBefore).catch(() => undefined);
      throw error;
    } finally {
      await handle.close();
    }
    if (sizeBefore === 0) {
      // A new file: its name in the folder must be durable too.
      const dir = await open(this.dir, 'r');
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
    }
  }

  /**
   * The last record on disk: from memory when nobody else appended since this process did. Read
   * from the file, it is checked against the mirror mark: a trail that ends before the last entry
   * already mirrored to `aiops_audit` lost records from its end, and continuing it would number
   * new entries with seqs `aiops_audit` already holds (a fork), so it stops the trail as a torn
   * record does.
   */
  private async readTail(): Promise<Tail> {
    if (this.tail) {
      const size = await stat(this.file).then(
        (info) => info.size,
        () => undefined
      );
      if (size === this.tail.size) return this.tail;
    }
    const tail = await this.readTailFromFile();
    const mirrored = await readMirrorMark(this.dir);
    if (tail.seq < mirrored) {
      throw new AuditTrailDamagedError(
        `the audit trail ${this.file} ends at entry ${tail.seq}, but entry ${mirrored} was already written and ` +
          `mirrored to aiops_audit (${MIRROR_MARK}): records were removed from its end, and nothing more is recorded ` +
          'so that no seq is used twice (nocai audit verify names what is missing)'
      );
    }
    return tail;
  }

  private async readTailFromFile(): Promise<Tail> {
    let handle;
    try {
      handle = await open(this.file, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { size: 0, seq: 0, hash: GENESIS_HASH };
      throw error;
    }
    try {
      const { size } = await handle.stat();
      if (size === 0) return { size: 0, seq: 0, hash: GENESIS_HASH };
      for (let want = TAIL_BYTES; ; want *= 4) {
        const start = Math.max(0, size - want);
        const buffer = Buffer.alloc(size - start);
        await handle.read(buffer, 0, buffer.length, start);
        if (buffer[buffer.length - 1] !== 0x0a) {
          throw new AuditTrailDamagedError(
            `the audit trail ${this.file} ends with a torn record (a write cut short, e.g. by a crash): ` +
              'nothing more is recorded until it is looked at (nocai audit verify names it)'
          );
        }
        const body = buffer.subarray(0, buffer.length - 1);
        const newline = body.lastIndexOf(0x0a);
        if (newline === -1 && start > 0) continue;
        const parsed = parseEntryLine(body.subarray(newline + 1).toString('utf8'));
        if (typeof parsed === 'string') {
          throw new AuditTrailDamagedError(
            `the last record of the audit trail ${this.file} ${parsed}: nothing more is recorded until it is looked at (nocai audit verify)`
          );
        }
        return { size, seq: parsed.seq, hash: parsed.hash };
      }
    } finally {
      await handle.close();
    }
  }

  private startMirroring(): void {
    if (!this.options.mirror || this.mirroring) return;
    if (!this.catchUp && this.pendingMirror.length === 0) return;
    this.mirroring = this.mirrorNext().finally(() => {
      this.mirroring = undefined;
    });
  }

  /** Mirrors the next entries after the mark; true when it made progress (and may go on). */
  private async mirrorNext(): Promise<boolean> {
    const mirror = this.options.mirror;
    if (!mirror) return false;
    const limit = this.options.maxPendingMirror ?? MAX_PENDING_MIRROR;
    let mark: number;
    let batch: AuditEntry[];
    let fromFile = false;
    try {
      mark = await this.mirrorMark();
      // Entries after the mark that memory does not hold (another process's, a previous run's, or
      // beyond the memory bound) are read back from the file.
      const held = this.pendingMirror.filter((e) => e.seq > mark);
      const gap = held.some((e, i) => e.seq !== (i === 0 ? mark : held[i - 1].seq) + 1);
      if (this.catchUp || gap) {
        this.catchUp = false;
        fromFile = true;
        batch = await this.entriesAfter(mark, limit);
        if (batch.length === limit) this.catchUp = true;
      } else {
        batch = held;
      }
    } catch (error) {
      this.options.onMirrorError?.(error, this.pendingMirror.length);
      return false;
    }
    if (batch.length === 0) {
      this.forgetMirrored(mark);
      return false;
    }
    try {
      await mirror.write(batch.map(auditPoint));
    } catch (error) {
      // InfluxDB refused the points themselves (400): retrying would be refused again; the
      // accepted ones of a partial write are stored. Anything else (down, timeout) is retried.
      if (!(error instanceof InfluxError && error.kind === 'refused')) {
        // Read from the file, they are not in memory: the next try reads them again.
        if (fromFile) this.catchUp = true;
        this.options.onMirrorError?.(error, this.pendingMirror.length);
        return false;
      }
      this.options.onMirrorError?.(error, this.pendingMirror.length);
    }
    const last = batch[batch.length - 1].seq;
    try {
      await this.saveMirrorMark(last);
    } catch (error) {
      this.options.onMirrorError?.(error, this.pendingMirror.length);
      return false;
    }
    this.forgetMirrored(last);
    return this.catchUp || this.pendingMirror.length > 0;
  }

  /** Entries of the file with a seq after `seq`, at most `limit`, oldest first. */
  private async entriesAfter(seq: number, limit: number): Promise<AuditEntry[]> {
    const found: AuditEntry[] = [];
    try {
      for await (const line of readTrailLines(this.file)) {
        if (!line.terminated) break;
        const entry = parseEntryLine(line.text);
        if (typeof entry === 'string' || entry.seq <= seq) continue;
        found.push(entry);
        if (found.length >= limit) break;
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    return found;
  }

  private async mirrorMark(): Promise<number> {
    if (this.mirroredSeq !== undefined) return this.mirroredSeq;
    // No mark (a trail from before it, or a new one) or a damaged one: mirror everything again.
    const seq = await readMirrorMark(this.dir);
    this.mirroredSeq = seq;
    return seq;
  }

  /** The mark, replaced whole (written beside, then renamed over), so a crash leaves the old or the new. */
  private async saveMirrorMark(seq: number): Promise<void> {
    const file = join(this.dir, MIRROR_MARK);
    const temporary = `${file}.${process.pid}.tmp`;
    await writeFile(temporary, `${JSON.stringify({ seq })}\n`);
    await rename(temporary, file);
    this.mirroredSeq = Math.max(this.mirroredSeq ?? 0, seq);
  }

  private forgetMirrored(seq: number): void {
    let kept = 0;
    for (const entry of this.pendingMirror) if (entry.seq > seq) this.pendingMirror[kept++] = entry;
    this.pendingMirror.length = kept;
  }
}
