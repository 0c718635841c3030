import type { Ticket } from '@nocai/contract';
import { TicketIndex } from './ticketIndex';

const DAY = 86_400_000;
const ticket = (id: string, over: Partial<Ticket> = {}): Ticket => ({
  id,
  openedAtMs: 100 * DAY,
  updatedAtMs: 100 * DAY,
  status: 'open',
  source: 'complaint',
  title: id,
  eventClass: 'network',
  department: 'network_ops',
  priority: 'P3',
  confidence: 0.9,
  needsReview: false,
  site: 'hosp-01',
  siteKind: 'hospital',
  host: '',
  deviceKind: '',
  mttrP50Seconds: 60,
  mttrP90Seconds: 120,
  relatedAlertCount: 1,
  explanation: [],
  similarTickets: [],
  modelVersion: 'rules',
  ...over,
});
const query = { limit: 100, offset: 0 };

describe('TicketIndex', () => {
  it('When a ticket has several states, then the latest one written is its state, whatever the order they arrive in', () => {
    const index = new TicketIndex();
    index.put(ticket('T1', { status: 'resolved' }), 30);
    index.put(ticket('T1', { status: 'open' }), 10);
    expect(index.get('T1')?.status).toBe('resolved');
    expect(index.size).toBe(1);
  });

  it('When listing, then P1 comes first, filters apply to the current state and pages cut the sorted list', () => {
    const index = new TicketIndex();
    index.put(ticket('A', { priority: 'P3', openedAtMs: 100 * DAY }), 1);
    index.put(ticket('B', { priority: 'P1', openedAtMs: 101 * DAY }), 2);
    index.put(ticket('C', { priority: 'P1', openedAtMs: 100 * DAY, department: 'facilities' }), 3);
    index.put(ticket('C', { priority: 'P2', openedAtMs: 100 * DAY, department: 'facilities' }), 4);
    const now = 102 * DAY;
    expect(index.list(query, now).tickets.map((t) => t.id)).toEqual(['B', 'C', 'A']);
    expect(index.list({ ...query, priority: 'P1' }, now).tickets.map((t) => t.id)).toEqual(['B']);
    expect(index.list({ ...query, department: 'facilities' }, now).tickets.map((t) => t.id)).toEqual(['C']);
    const page = index.list({ limit: 1, offset: 1 }, now);
    expect(page).toMatchObject({ total: 3, limit: 1, offset: 1 });
    expect(page.tickets.map((t) => t.id)).toEqual(['C']);
  });

  it("When listing one problem's tickets, then only the tickets its alerts opened are there", () => {
    const index = new TicketIndex();
    index.put(ticket('warm', { problem: 'freezer-warm' }), 1);
    index.put(ticket('hot', { problem: 'plc-hot' }), 2);
    index.put(ticket('other'), 3);
    expect(index.list({ ...query, problem: 'freezer-warm' }, 102 * DAY).tickets.map((t) => t.id)).toEqual(['warm']);
    expect(index.list(query, 102 * DAY).total).toBe(3);
  });

  it('When a range is given, then tickets opened after it or resolved before it are left out and open ones stay', () => {
    const index = new TicketIndex();
    index.put(ticket('old-resolved', { status: 'resolved', openedAtMs: 10 * DAY, updatedAtMs: 11 * DAY }), 1);
    index.put(ticket('old-open', { openedAtMs: 10 * DAY, updatedAtMs: 10 * DAY }), 2);
    index.put(ticket('later', { openedAtMs: 200 * DAY, updatedAtMs: 200 * DAY }), 3);
    const ids = index.list({ ...query, from: 50 * DAY, to: 150 * DAY }, 300 * DAY).tickets.map((t) => t.id);
    expect(ids).toEqual(['old-open']);
    expect(index.list({ ...query, from: 0 }, 300 * DAY).total).toBe(3);
  });

  it('When a ticket was closed or auto-resolved before the range, then it is left out like a resolved one; active ones stay', () => {
    const index = new TicketIndex();
    const old = { openedAtMs: 10 * DAY, updatedAtMs: 11 * DAY };
    index.put(ticket('closed', { ...old, status: 'closed' }), 1);
    index.put(ticket('quiet', { ...old, status: 'auto_resolved' }), 2);
    index.put(ticket('working', { ...old, status: 'in_progress' }), 3);
    index.put(ticket('seen', { ...old, status: 'acknowledged' }), 4);
    const ids = index.list({ ...query, from: 50 * DAY, to: 150 * DAY }, 300 * DAY).tickets.map((t) => t.id);
    expect(ids.sort()).toEqual(['seen', 'working']);
  });
});
