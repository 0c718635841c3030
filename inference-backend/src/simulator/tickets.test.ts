import { TICKET_HISTORY_COLUMNS, ticketHistoryRowSchema } from '@nocai/contract';
import type { TicketHistoryRow } from '@nocai/contract';
import { DAY_US, dayOfWeek, isHoliday } from './calendar';
import { generateInventory } from './inventory';
import { Simulation } from './simulation';
import { generateTicketHistory, ticketsToCsv, ticketsToJsonl } from './tickets';

const inventory = generateInventory({ seed: 42 });
const sim = new Simulation({ seed: 42, inventory });
const fromUs = Date.UTC(2024, 0, 1) * 1000;
const toUs = Date.UTC(2025, 0, 1) * 1000;
const incidents = sim.incidentsBetween(fromUs, toUs);
const rows = generateTicketHistory({ seed: 42, topology: sim.topology, fromUs, toUs, incidents });

const openedUs = (row: TicketHistoryRow) => Date.parse(row.opened_at) * 1000;
const minutes = (row: TicketHistoryRow) => (Date.parse(row.resolved_at) - Date.parse(row.opened_at)) / 60_000;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function perDay(filter: (dayUs: number) => boolean): number {
  let days = 0;
  for (let d = fromUs; d < toUs; d += DAY_US) if (filter(d)) days++;
  const tickets = rows.filter((r) => filter(Math.floor(openedUs(r) / DAY_US) * DAY_US)).length;
  return tickets / days;
}

const weekend = (d: number) => dayOfWeek(d) === 0 || dayOfWeek(d) === 6;

describe('ticket history', () => {
  it('When a year is generated, then every row is a valid resolved ticket', () => {
    expect(rows.length).toBeGreaterThan(1000);
    for (const row of rows) {
      expect(ticketHistoryRowSchema.safeParse(row).success).toBe(true);
      expect(Date.parse(row.resolved_at)).toBeGreaterThan(Date.parse(row.opened_at));
      expect(Date.parse(row.resolved_at)).toBeLessThanOrEqual(toUs / 1000);
    }
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
  });

  it('When counted per day, then weekdays are busier than weekends and holidays quieter than weekdays', () => {
    const weekdays = perDay((d) => !weekend(d) && !isHoliday(d));
    expect(weekdays).toBeGreaterThan(1.5 * perDay(weekend));
    expect(weekdays).toBeGreaterThan(1.5 * perDay((d) => !weekend(d) && isHoliday(d)));
  });

  it('When counted per month, then January is a peak well above late spring', () => {
    const month = (m: number) => perDay((d) => new Date(d / 1000).getUTCMonth() === m);
    expect(month(0)).toBeGreaterThan(1.25 * month(4));
  });

  it('When an injected incident is real, then it has its ticket with the expected triage; a false alarm has none', () => {
    const byIncident = new Map(rows.filter((r) => r.incident_id).map((r) => [r.incident_id, r]));
    let checked = 0;
    for (const incident of incidents) {
      const ticket = byIncident.get(incident.id);
      if (incident.isFalseAlarm || incident.startUs < fromUs) {
        expect(ticket).toBeUndefined();
        continue;
      }
      if (!ticket) continue; // still open at the end of the period
      checked++;
      expect(ticket).toMatchObject({
        host: incident.rootHost,
        site: incident.site,
        class: incident.expected.eventClass,
        department: incident.expected.department,
        priority: incident.expected.priority,
      });
      expect(openedUs(ticket)).toBeGreaterThanOrEqual(incident.startUs);
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('When resolution times are compared, then P1 is fastest, P4 slowest, and the tail is heavy', () => {
    const byPriority = (p: string) => rows.filter((r) => r.priority === p && !r.incident_id).map(minutes);
    expect(median(byPriority('P1'))).toBeLessThan(median(byPriority('P2')));
    expect(median(byPriority('P2'))).toBeLessThan(median(byPriority('P4')));
    const all = rows.map(minutes);
    expect(Math.max(...all)).toBeGreaterThan(20 * median(all));
  });

  it('When a low-priority ticket is opened on a weekend, then it waits for the next business day', () => {
    const low = rows.filter((r) => (r.priority === 'P3' || r.priority === 'P4') && !r.incident_id);
    const weekendLow = low.filter((r) => weekend(openedUs(r))).map(minutes);
    const weekdayLow = low.filter((r) => !weekend(openedUs(r))).map(minutes);
    expect(median(weekendLow)).toBeGreaterThan(2 * median(weekdayLow));
  });

  it('When written as CSV and JSONL, then every row survives with its columns', () => {
    const csv = ticketsToCsv(rows.slice(0, 50));
    const lines = csv.trimEnd().split('\n');
    expect(lines[0]).toBe(TICKET_HISTORY_COLUMNS.join(','));
    expect(lines).toHaveLength(51);
    expect(ticketsToCsv([{ ...rows[0], title: 'a, "quoted" title' }])).toContain('"a, ""quoted"" title"');
    const jsonl = ticketsToJsonl(rows.slice(0, 50)).trimEnd().split('\n');
    expect(jsonl.map((l) => JSON.parse(l) as unknown)).toEqual(rows.slice(0, 50));
  });

  it('When generated twice with the same seed, then the history is identical', () => {
    expect(generateTicketHistory({ seed: 42, topology: sim.topology, fromUs, toUs, incidents })).toEqual(rows);
  });
});
