import { AUDIT_SERIES } from '@nocai/contract';
import type { AuditEntry } from '../../domain/audit/audit';
import type { SeriesPoint } from '../../domain/series';

const A = AUDIT_SERIES;

/**
 * Entries that share a millisecond are told apart by their seq in the microseconds: a point's
 * identity is its tags and time, and two entries with the same action and role in one millisecond
 * must not overwrite each other. Written again (a retried mirror), an entry lands on its own point.
 */
export function auditPointTimeUs(entry: Pick<AuditEntry, 'at' | 'seq'>): number {
  return Date.parse(entry.at) * 1000 + (entry.seq % 1000);
}

/** One audit entry as an `aiops_audit` point: action and role as tags, before/after as JSON text. */
export function auditPoint(entry: AuditEntry): SeriesPoint {
  return {
    measurement: A.measurement,
    tags: { [A.tags.action]: entry.action, [A.tags.role]: entry.role },
    fields: {
      [A.fields.actor]: entry.actor,
      [A.fields.target]: entry.target,
      [A.fields.before]: JSON.stringify(entry.before ?? null),
      [A.fields.after]: JSON.stringify(entry.after ?? null),
      [A.fields.from]: entry.from,
      [A.fields.hash]: entry.hash,
    },
    intFields: { [A.fields.seq]: entry.seq },
    timeUs: auditPointTimeUs(entry),
  };
}
