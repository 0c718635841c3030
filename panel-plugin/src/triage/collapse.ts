import type { TriageRow } from './rows';

/**
 * One row per ticket: InfluxDB's `aiops_tickets` holds one point per state change, so a query over it
 * returns a ticket several times. The latest change wins (by the row's own time; on equal times the row
 * that came later, as InfluxDB lists points in write order). Rows without a ticket id (classified events)
 * are all kept. The order of first appearance is preserved; sorting is `sortRows`' job.
 */
export function collapseTickets(rows: readonly TriageRow[]): TriageRow[] {
  const latest = new Map<string, TriageRow>();
  for (const row of rows) {
    if (row.ticketId === undefined) {
      continue;
    }
    const kept = latest.get(row.ticketId);
    if (!kept || (row.changedAtMs ?? -Infinity) >= (kept.changedAtMs ?? -Infinity)) {
      latest.set(row.ticketId, row);
    }
  }
  const emitted = new Set<string>();
  return rows.flatMap((row) => {
    if (row.ticketId === undefined) {
      return [row];
    }
    if (emitted.has(row.ticketId)) {
      return [];
    }
    emitted.add(row.ticketId);
    return [latest.get(row.ticketId) ?? row];
  });
}
