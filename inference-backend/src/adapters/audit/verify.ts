import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { entryHash, GENESIS_HASH, parseEntryLine } from './chain';
import { readTrailLines } from './lines';
import { readMirrorMark } from './mirrorMark';
import { lockTrail } from './trailLock';

export interface AuditVerification {
  ok: boolean;
  /** Entries that check out, from the first up to the first bad one (all of them when ok). */
  entries: number;
  /** The seq where the chain breaks: the first entry changed, missing, out of place or torn. */
  firstBadSeq?: number;
  /** One sentence naming the first bad entry and what is wrong with it. */
  problem?: string;
}

/** There is no trail file where one was looked for. */
export class AuditTrailMissingError extends Error {
  constructor(readonly file: string) {
    super(
      `there is no audit trail at ${file}: nothing was recorded with this state folder, or it is not the backend's`
    );
    this.name = 'AuditTrailMissingError';
  }
}

interface Break {
  seq: number;
  problem: string;
  /** A seq jump: whether the expected entry turns up later decides "missing" or "out of order". */
  jump?: { line: number; found: number; laterLine?: number };
}

/**
 * Checks a trail file from its first line to its last: each line an entry, seq 1, 2, 3… with no
 * gap, each `prevHash` the previous entry's `hash` (64 zeros for the first) and each `hash` that
 * of its own content. Names the first entry where this fails: a changed record (hash), a removed
 * one (seq gap or broken link), records out of order, or a last line a crash left torn.
 *
 * Takes the trail's lock while it reads when it can, so an append in progress is not mistaken
 * for a torn record; on a read-only copy it reads without.
 */
export async function verifyAuditTrail(file: string): Promise<AuditVerification> {
  try {
    await stat(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new AuditTrailMissingError(file);
    throw error;
  }
  const release = await lockTrail(file).catch((error: unknown) => {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EROFS' || code === 'EPERM') return undefined;
    throw error;
  });
  try {
    const result = await checkChain(file);
    return result.ok ? await checkEnd(file, result.entries) : result;
  } finally {
    await release?.().catch(() => undefined);
  }
}

async function checkChain(file: string): Promise<AuditVerification> {
  let expected = 1;
  let prevHash = GENESIS_HASH;
  let broken: Break | undefined;
  for await (const line of readTrailLines(file)) {
    if (broken) {
      // Past the break only a jump's missing entry is looked for.
      if (broken.jump && broken.jump.laterLine === undefined) {
        const later = parseEntryLine(line.text);
        if (typeof later !== 'string' && later.seq === broken.seq) broken.jump.laterLine = line.number;
      }
      continue;
    }
    const where = `line ${line.number}`;
    if (!line.terminated) {
      broken = {
        seq: expected,
        problem: `the last record (${where}, where entry ${expected} would be) is torn: its write was cut short, e.g. by a crash`,
      };
      continue;
    }
    const entry = parseEntryLine(line.text);
    if (typeof entry === 'string') {
      broken = { seq: expected, problem: `${where}, where entry ${expected} should be, ${entry}` };
      continue;
    }
    if (entry.seq !== expected) {
      broken =
        entry.seq > expected
          ? { seq: expected, problem: '', jump: { line: line.number, found: entry.seq } }
          : {
              seq: expected,
              problem: `${where} holds entry ${entry.seq} again where entry ${expected} should be: records were copied or moved`,
            };
      continue;
    }
    if (entry.prevHash !== prevHash) {
      broken = {
        seq: expected,
        problem:
          expected === 1
            ? `entry 1 (${where}) does not start a chain (its prevHash is not 64 zeros): records before it were removed`
            : `entry ${expected} (${where}) does not follow entry ${expected - 1}: its prevHash is not that entry's hash, so entry ${expected - 1} was rewritten or records between them were removed`,
      };
      continue;
    }
    if (entryHash(entry) !== entry.hash) {
      broken = {
        seq: expected,
        problem: `entry ${expected} (${where}) was changed after it was written: its content no longer matches its hash`,
      };
      continue;
    }
    prevHash = entry.hash;
    expected += 1;
  }
  if (!broken) return { ok: true, entries: expected - 1 };
  return { ok: false, entries: expected - 1, firstBadSeq: broken.seq, problem: describe(broken) };
}

/**
 * A chain cut after any entry is still a chain: only something kept elsewhere shows its end is
 * gone. The backend's mirror mark (`mirrored.json`) records the last entry sent to `aiops_audit`;
 * a trail that ends before it lost its last records.
 */
async function checkEnd(file: string, entries: number): Promise<AuditVerification> {
  const mirrored = await readMirrorMark(dirname(file));
  if (mirrored <= entries) return { ok: true, entries };
  const missing =
    mirrored === entries + 1 ? `entry ${mirrored} is missing` : `entries ${entries + 1} to ${mirrored} are missing`;
  return {
    ok: false,
    entries,
    firstBadSeq: entries + 1,
    problem: `${missing} from the end: the trail stops at entry ${entries}, but mirrored.json says entry ${mirrored} was written and mirrored to aiops_audit (records were removed)`,
  };
}

function describe(broken: Break): string {
  const jump = broken.jump;
  if (!jump) return broken.problem;
  const seq = broken.seq;
  if (jump.laterLine !== undefined) {
    return `entry ${seq} is out of order: line ${jump.line} holds entry ${jump.found} where entry ${seq} should be, and entry ${seq} comes later (line ${jump.laterLine})`;
  }
  const missing =
    jump.found - seq === 1 ? `entry ${seq} is missing` : `entries ${seq} to ${jump.found - 1} are missing`;
  return `${missing}: line ${jump.line} holds entry ${jump.found} where entry ${seq} should be (records were removed)`;
}
