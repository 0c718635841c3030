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
