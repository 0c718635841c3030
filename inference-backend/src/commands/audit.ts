import { join } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { plural } from '@nocai/contract';
import type { AuditEntry } from '../domain/audit/audit';
import { AUDIT_FILE } from '../adapters/audit/chain';
import { auditDirIn } from '../adapters/audit/fileAuditTrail';
import { readAuditEntries, type AuditFilter } from '../adapters/audit/query';
import { AuditTrailMissingError, verifyAuditTrail } from '../adapters/audit/verify';
import { printable, printablePath } from '../adapters/files/csv';
import { processIo, type CommandIo } from './commandInput';

export interface AuditVerifyFlags {
  stateDir: string;
}

export interface AuditListFlags extends AuditVerifyFlags {
  since?: number;
  until?: number;
  action?: string;
  actor?: string;
  limit: number;
  json?: boolean;
}

/** The trail file of a state folder: where the backend's FileAuditTrail writes it. */
export function auditFileOf(stateDir: string): string {
  return join(auditDirIn(stateDir), AUDIT_FILE);
}

/**
 * `nocai audit verify`: 0 and "audit trail intact: N entries" when every record checks out; 1 and
 * one sentence naming the first bad entry otherwise; 2 when there is no trail where it looked.
 */
export async function runAuditVerify(flags: AuditVerifyFlags, io: CommandIo): Promise<number> {
  const file = auditFileOf(flags.stateDir);
  try {
    const result = await verifyAuditTrail(file);
    if (result.ok) {
      io.stdout(`audit trail intact: ${entriesCount(result.entries)} (${printablePath(file)})\n`);
      return 0;
    }
    io.stderr(
      `nocai audit: the audit trail ${printablePath(file)} is broken at entry ${result.firstBadSeq}, after ${entriesCount(result.entries, 'intact ')}: ${result.problem}.\n`
    );
    return 1;
  } catch (error) {
    if (!(error instanceof AuditTrailMissingError)) throw error;
    io.stderr(
      `nocai audit: ${printable(error.message, Number.POSITIVE_INFINITY)}; check --state-dir (NOCAI_STATE_DIR).\n`
    );
    return 2;
  }
}

const entriesCount = (n: number, adjective = '') => plural(n, `${adjective}entry`, { plural: `${adjective}entries` });

/** `nocai audit list`: the matching entries, one line each (or JSON lines with --json), oldest first. */
export async function runAuditList(flags: AuditListFlags, io: CommandIo): Promise<number> {
  const filter: AuditFilter = {
    sinceMs: flags.since,
    untilMs: flags.until,
    action: flags.action,
    actor: flags.actor,
    limit: flags.limit,
  };
  const { entries, truncated } = await readAuditEntries(auditFileOf(flags.stateDir), filter);
  io.stdout(
    entries.map((entry) => (flags.json ? JSON.stringify(entry) : describeEntry(entry))).join('\n') +
      (entries.length ? '\n' : '')
  );
  if (truncated) {
    const shown = plural(entries.length, 'matching entry is', { plural: 'matching entries are' });
    io.stderr(`nocai audit: only the newest ${shown} shown (--limit).\n`);
  }
  return 0;
}

/** One entry as a line a person reads: what people typed is shown escaped, never as raw control bytes. */
function describeEntry(entry: AuditEntry): string {
  const who = `${printable(entry.actor, 80)} (${entry.role})`;
  const change = `${printable(JSON.stringify(entry.before), 200)} → ${printable(JSON.stringify(entry.after), 200)}`;
  const why = entry.reason ? `  because ${printable(entry.reason, 200)}` : '';
  return `${entry.seq}  ${entry.at}  ${who}  ${entry.action}  ${printable(entry.target, 120)}  from ${printable(entry.from, 80)}  ${change}${why}`;
}

const isoInstant = (flag: string) => (value: string) => {
  const ms = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || !Number.isFinite(ms)) {
    throw new InvalidArgumentError(
      `${flag} must be an ISO 8601 date or time, e.g. 2025-01-06 or 2025-01-06T09:00:00Z.`
    );
  }
  return ms;
};

const positiveInt = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1_000_000)
    throw new InvalidArgumentError('--limit must be an integer from 1 to 1000000.');
  return n;
};

const stateDirOption = () =>
  new Option('--state-dir <dir>', "the backend's state folder (the trail is audit/audit.jsonl in it)")
    .default('.state')
    .env('NOCAI_STATE_DIR');

export function registerAudit(program: Command): void {
  const audit = program.command('audit');
  audit
    .command('verify')
    .description('check that no audit record was changed, removed, reordered or torn (exit 1 names the first bad one)')
    .addOption(stateDirOption())
    .action(async (flags: AuditVerifyFlags) => {
      process.exitCode = await runAuditVerify(flags, processIo);
    });
  audit
    .command('list')
    .description('list audit entries, oldest first')
    .addOption(stateDirOption())
    .addOption(new Option('--since <time>', 'entries at or after this ISO 8601 time').argParser(isoInstant('--since')))
    .addOption(new Option('--until <time>', 'entries before this ISO 8601 time').argParser(isoInstant('--until')))
    .option('--action <action>', 'an action (ticket.update) or its first words (ticket)')
    .option('--actor <name>', 'entries by this user, token or nocai')
    .option('--limit <n>', 'the newest this many matching entries', positiveInt, 1000)
    .option('--json', 'one JSON entry per line, as stored (with seq, prevHash and hash)')
    .action(async (flags: AuditListFlags) => {
      process.exitCode = await runAuditList(flags, processIo);
    });
}
