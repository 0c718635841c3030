import type { Ticket } from '@nocai/contract';
import { DEFAULT_TICKET_RETENTION_MS, TicketIndex } from './ticketIndex';

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
    expect(index.list({ ...query, priority: ['P1'] }, now).tickets.map((t) => t.id)).toEqual(['B']);
    expect(index.list({ ...query, department: ['facilities'] }, now).tickets.map((t) => t.id)).toEqual(['C']);
    expect(index.list({ ...query, priority: ['P3', 'P2'] }, now).tickets.map((t) => t.id)).toEqual(['C', 'A']);
    const page = index.list({ limit: 1, offset: 1 }, now);
    expect(page).toMatchObject({ total: 3, limit: 1, offset: 1 });
    expect(page.tickets.map((t) => t.id)).toEqual(['C']);
  });

  it("When listing one host's tickets, then a ticket of that host or with it among its incident's devices is there", () => {
    const index = new TicketIndex();
    index.put(ticket('own', { host: 'plc-7' }), 1);
    index.put(ticket('incident', { host: 'sw-1', hosts: ['sw-1', 'plc-7'] }), 2);
    index.put(ticket('other', { host: 'ups-2', hosts: ['ups-2'] }), 3);
    index.put(ticket('none'), 4);
    const ids = (host: string[]) =>
      index
        .list({ ...query, host }, 102 * DAY)
        .tickets.map((t) => t.id)
        .sort();
    expect(ids(['plc-7'])).toEqual(['incident', 'own']);
    expect(ids(['ups-2', 'sw-1'])).toEqual(['incident', 'other']);
    expect(index.list({ ...query, host: ['plc-7'] }, 102 * DAY).total).toBe(2);
  });

  it('When listing complaints by their parent’s status, then the open ones of resolved incidents are there, not those of open incidents', () => {
    const index = new TicketIndex();
    index.put(ticket('inc-over', { source: 'logs', status: 'resolved', resolvedAtMs: 101 * DAY }), 1);
    index.put(ticket('inc-on', { source: 'logs' }), 2);
    index.put(ticket('waiting', { parentId: 'inc-over' }), 3);
    index.put(ticket('confirmed', { parentId: 'inc-over', status: 'resolved', resolvedAtMs: 101 * DAY }), 4);
    index.put(ticket('still-down', { parentId: 'inc-on' }), 5);
    index.put(ticket('orphan', { parentId: 'inc-gone' }), 6);
    const ids = (over: object) =>
      index
        .list({ ...query, ...over }, 102 * DAY)
        .tickets.map((t) => t.id)
        .sort();

    expect(ids({ parentStatus: ['resolved', 'closed'], status: ['open', 'acknowledged', 'in_progress'] })).toEqual([
      'waiting',
    ]);
    expect(ids({ parentStatus: ['resolved'] })).toEqual(['confirmed', 'waiting']);
    expect(ids({ parentStatus: ['open'] })).toEqual(['still-down']);
  });

  it("When listing one problem's tickets, then only the tickets its alerts opened are there", () => {
    const index = new TicketIndex();
    index.put(ticket('warm', { problem: 'freezer-warm' }), 1);
    index.put(ticket('hot', { problem: 'plc-hot' }), 2);
    index.put(ticket('other'), 3);
    expect(index.list({ ...query, problem: ['freezer-warm'] }, 102 * DAY).tickets.map((t) => t.id)).toEqual(['warm']);
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

  it('When a ticket resolved before the range gets a verdict, a comment or its close in the range, then it is still left out', () => {
    const index = new TicketIndex();
    const resolvedLongAgo = { openedAtMs: 10 * DAY, resolvedAtMs: 11 * DAY, updatedAtMs: 120 * DAY };
    index.put(ticket('judged', { ...resolvedLongAgo, status: 'auto_resolved' }), 1);
    index.put(ticket('closed-late', { ...resolvedLongAgo, status: 'closed' }), 2);
    index.put(
      ticket('resolved-in-range', {
        openedAtMs: 10 * DAY,
        resolvedAtMs: 60 * DAY,
        updatedAtMs: 120 * DAY,
        status: 'resolved',
      }),
      3
    );
    const ids = index.list({ ...query, from: 50 * DAY, to: 150 * DAY }, 300 * DAY).tickets.map((t) => t.id);
    expect(ids).toEqual(['resolved-in-range']);
  });

  describe('retention', () => {
    const clockAt = (start: number) => {
      const clock = { ms: start, nowMs: () => clock.ms };
      return clock;
    };

    it('When done tickets are older than the retention, then they leave the index; unfinished ones stay however old', () => {
      const clock = clockAt(100 * DAY);
      const index = new TicketIndex({ clock, retentionMs: 30 * DAY });
      const at = (day: number) => ({ openedAtMs: (day - 1) * DAY, updatedAtMs: day * DAY });
      index.put(ticket('resolved', { ...at(95), status: 'resolved' }), 1);
      index.put(ticket('quiet', { ...at(95), status: 'auto_resolved' }), 2);
      index.put(ticket('closed', { ...at(95), status: 'closed' }), 3);
      index.put(ticket('open', at(95)), 4);
      index.put(ticket('working', { ...at(95), status: 'in_progress' }), 5);
      index.put(ticket('review', { ...at(95), status: 'needs_review' }), 6);
      index.put(ticket('late', { ...at(120), status: 'resolved' }), 7);
      expect(index.size).toBe(7);

      // 30 days after the first five were last changed: not yet past the retention.
      clock.ms = 125 * DAY;
      index.put(ticket('fresh', at(125)), 8);
      expect(index.size).toBe(8);

      clock.ms = 125 * DAY + 2 * 3_600_000;
      index.put(ticket('fresher', at(125)), 9);
      expect([...index.all()].map((t) => t.id).sort()).toEqual([
        'fresh',
        'fresher',
        'late',
        'open',
        'review',
        'working',
      ]);
      expect(index.get('resolved')).toBeUndefined();
      expect(index.get('open')?.status).toBe('open');
      expect(index.list({ ...query, from: 0 }, clock.ms).total).toBe(6);
    });

    it('When a ticket that was resolved long ago is reopened, then it is held again; a stale done state is not taken in', () => {
      const clock = clockAt(200 * DAY);
      const index = new TicketIndex({ clock, retentionMs: 30 * DAY });
      index.put(ticket('old', { status: 'resolved', updatedAtMs: 150 * DAY }), 1);
      expect(index.get('old')).toBeUndefined();
      index.put(ticket('old', { status: 'open', updatedAtMs: 200 * DAY }), 2);
      expect(index.get('old')?.status).toBe('open');
      // An older point of it read late changes nothing.
      index.put(ticket('old', { status: 'resolved', updatedAtMs: 150 * DAY }), 1);
      expect(index.get('old')?.status).toBe('open');
    });

    it('When the clock runs for years of tickets, then the index holds about one retention of them', () => {
      const clock = clockAt(0);
      const index = new TicketIndex({ clock, retentionMs: 30 * DAY });
      for (let day = 0; day < 3 * 365; day++) {
        clock.ms = day * DAY;
        for (let k = 0; k < 10; k++) {
          const id = `T${day}-${k}`;
          index.put(ticket(id, { openedAtMs: clock.ms, updatedAtMs: clock.ms }), clock.ms * 1000);
          index.put(
            ticket(id, { status: 'resolved', openedAtMs: clock.ms, updatedAtMs: clock.ms + 1 }),
            clock.ms * 1000 + 1
          );
        }
      }
      expect(index.size).toBeGreaterThanOrEqual(300);
      expect(index.size).toBeLessThanOrEqual(320);
    });

    it('When no clock is given, then nothing is evicted; the default retention is a year', () => {
      const index = new TicketIndex();
      index.put(ticket('ancient', { status: 'closed', updatedAtMs: 0 }), 1);
      expect(index.get('ancient')).toBeDefined();
      expect(DEFAULT_TICKET_RETENTION_MS).toBe(365 * DAY);
      expect(() => new TicketIndex({ retentionMs: 0 })).toThrow('ticket retention must be positive');
    });
  });
});
