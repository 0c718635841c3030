import { collapseTickets } from './collapse';
import type { TriageRow } from './rows';

function row(key: string, fields: Partial<TriageRow>): TriageRow {
  return { key, needsReview: false, explanation: [], similar: [], ...fields };
}

describe('collapseTickets', () => {
  it('When InfluxDB returns one row per state change, then only the latest state of each ticket is listed', () => {
    const rows = [
      row('a', { ticketId: 'T-1', changedAtMs: 1, status: 'open' }),
      row('b', { ticketId: 'T-2', changedAtMs: 2, status: 'open' }),
      row('c', { ticketId: 'T-1', changedAtMs: 3, status: 'resolved' }),
    ];

    expect(collapseTickets(rows).map((r) => [r.ticketId, r.status])).toEqual([
      ['T-1', 'resolved'],
      ['T-2', 'open'],
    ]);
  });

  it('When two changes share a timestamp, then the one listed later wins (InfluxDB lists in write order)', () => {
    const rows = [
      row('a', { ticketId: 'T-1', changedAtMs: 5, status: 'open' }),
      row('b', { ticketId: 'T-1', changedAtMs: 5, status: 'needs_review' }),
    ];

    expect(collapseTickets(rows).map((r) => r.status)).toEqual(['needs_review']);
  });

  it('When rows have no ticket id (classified events), then every one of them stays', () => {
    const rows = [row('0:0', { message: 'a' }), row('0:1', { message: 'a' })];

    expect(collapseTickets(rows)).toHaveLength(2);
  });
});
