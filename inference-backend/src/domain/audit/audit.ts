/**
 * The audit trail's port: every change a person or the backend makes to data or models is one
 * entry (who, with which role, did what to which thing, from where, the state before and after).
 * The file-backed trail (`adapters/audit`) chains the entries by hash and mirrors them to
 * `aiops_audit`; in-memory sinks serve unit tests of pure logic only.
 */
export interface AuditEntryInput {
  /** A Grafana login, a token's name, or `nocai` for the backend itself (schedules, retraining). */
  actor: string;
  /** viewer, operator, analyst, admin, or `system`. */
  role: string;
  /** Dotted verb: `ticket.feedback`, `ticket.update`, `model.promote`, `model.rollback`, `model.import`, `model.archive`, `model.retrain`… */
  action: string;
  /** What was changed: `ticket:<id>`, `model:<name>@<version>`, `problem:<name>`… */
  target: string;
  /** JSON-serialisable state before and after (null where there was none). */
  before?: unknown;
  after?: unknown;
  /** Where the request came from: a client address, `cli`, `schedule`. */
  from: string;
  /** Free text: why (a retraining decision's figures, a rollback's reason). */
  reason?: string;
  /**
   * When the change itself was made (ISO 8601 UTC), for an entry written later than its change:
   * one recorded at a restart for a change a crash cut off before its entry (`from: recovered`).
   */
  changedAt?: string;
}

export interface AuditEntry extends AuditEntryInput {
  /** 1, 2, … in the order written. */
  seq: number;
  /** ISO 8601 UTC. */
  at: string;
  /** sha256 (hex) of the previous entry's `hash` and this entry's content; the chain's link. */
  prevHash: string;
  hash: string;
}

export interface AuditSink {
  /** Appends one entry (durably, in order) and returns it as written. */
  record(entry: AuditEntryInput): Promise<AuditEntry>;
}

/** A change refused because the audit trail could not record it first: nothing was changed. */
export class AuditNotRecordedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuditNotRecordedError';
  }
}

/** A change the trail recorded whose saving then failed: it did not take effect. */
export class ChangeNotSavedError extends Error {
  constructor(
    message: string,
    /** What made the save fail: a caller may answer as that failure deserves (a storage outage is worth a retry). */
    readonly saveError?: unknown
  ) {
    super(message);
    this.name = 'ChangeNotSavedError';
  }
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Records `entry`, durably, and only then makes the change with `save`: a change never takes effect
 * without its entry, not even when the process is killed between the two. The trail failing (a
 * damaged trail, a full disk) refuses the change, with nothing changed (`AuditNotRecordedError`).
 * A `save` failing after its entry is written leaves an entry for a change that did not happen:
 * a second entry, `<action>.failed`, says so when the trail still takes one, and the caller gets
 * a `ChangeNotSavedError` naming both. The reverse order (save, then record, undo on failure)
 * would leave an unrecorded change behind a crash between the two, which the trail exists to exclude.
 *
 * Callers hold their store's lock across the call, so that the entry describes exactly the change saved.
 * `save` is given the entry as written: a store may keep its `hash` beside the change, which ties
 * the two together for a later reconciliation (the model registry's history lines do).
 */
export async function recordThenSave<T>(
  audit: AuditSink,
  entry: AuditEntryInput,
  save: (recorded: AuditEntry) => Promise<T>
): Promise<T> {
  const what = `${entry.action} of ${entry.target}`;
  let recorded: AuditEntry;
  try {
    recorded = await audit.record(entry);
  } catch (error) {
    throw new AuditNotRecordedError(
      `nothing was changed: the audit trail could not record ${what} (${messageOf(error)})`
    );
  }
  try {
    return await save(recorded);
  } catch (error) {
    const why = messageOf(error);
    let followUp: string;
    try {
      const failed = await audit.record({
        actor: entry.actor,
        role: entry.role,
        action: `${entry.action}.failed`,
        target: entry.target,
        from: entry.from,
        before: entry.after ?? null,
        after: entry.before ?? null,
        reason: `entry ${recorded.seq} was not saved: ${why}`,
      });
      followUp = `entry ${failed.seq} records that`;
    } catch (again) {
      followUp = `recording that failed too (${messageOf(again)})`;
    }
    throw new ChangeNotSavedError(
      `${what} did not take effect: audit entry ${recorded.seq} records it, but saving it failed (${why}); ${followUp}`,
      error
    );
  }
}
