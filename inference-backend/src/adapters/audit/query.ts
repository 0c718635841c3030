import type { AuditEntry } from '../../domain/audit/audit';
import { parseEntryLine } from './chain';
import { readTrailLines } from './lines';

export interface AuditFilter {
  /** Entries at or after this instant. */
  sinceMs?: number;
  /** Entries before this instant. */
  untilMs?: number;
  /** `ticket.update`, or a prefix of whole words: `ticket` matches every `ticket.*`. */
  action?: string;
  actor?: string;
  /** Entries after this seq (a client that read up to it asks for what came since). */
  afterSeq?: number;
  /** Entries before this seq: the page before one whose first entry has it. */
  beforeSeq?: number;
  /** The newest this many matching entries are kept. */
  limit: number;
}

export interface AuditPage {
  /** Oldest first. */
  entries: AuditEntry[];
  /** More entries matched than `limit`: the oldest were left out. */
  truncated: boolean;
}

/**
 * The entries of a trail file that match `filter`. Reads the whole file as a stream; lines that
 * are not entries are skipped here (listing is not checking: `nocai audit verify` is).
 */
export async function readAuditEntries(file: string, filter: AuditFilter): Promise<AuditPage> {
  const kept: AuditEntry[] = [];
  let matched = 0;
  try {
    for await (const line of readTrailLines(file)) {
      if (!line.terminated) break;
      const entry = parseEntryLine(line.text);
      if (typeof entry === 'string' || !matches(entry, filter)) continue;
      matched += 1;
      kept.push(entry);
      // Only the newest `limit` are kept; trimming in blocks keeps it linear.
      if (kept.length >= 2 * filter.limit) kept.splice(0, kept.length - filter.limit);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], truncated: false };
    throw error;
  }
  const entries = kept.length > filter.limit ? kept.slice(kept.length - filter.limit) : kept;
  return { entries, truncated: matched > entries.length };
}

function matches(entry: AuditEntry, filter: AuditFilter): boolean {
  const atMs = Date.parse(entry.at);
  if (filter.sinceMs !== undefined && !(atMs >= filter.sinceMs)) return false;
  if (filter.untilMs !== undefined && !(atMs < filter.untilMs)) return false;
  if (filter.actor !== undefined && entry.actor !== filter.actor) return false;
  if (filter.afterSeq !== undefined && !(entry.seq > filter.afterSeq)) return false;
  if (filter.beforeSeq !== undefined && !(entry.seq < filter.beforeSeq)) return false;
  if (filter.action !== undefined && entry.action !== filter.action && !entry.action.startsWith(`${filter.action}.`)) {
    return false;
  }
  return true;
}
