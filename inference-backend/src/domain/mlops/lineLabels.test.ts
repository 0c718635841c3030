import type { ClassifiedEvent, Ticket } from '@nocai/contract';
import { lineLabelRows, ticketLineWindow } from './lineLabels';
import { sampleTicket } from '../tickets/ticketFixture';

const HOUR_MS = 3_600_000;

const line = (host: string, minute: number, eventClass: ClassifiedEvent['eventClass']): ClassifiedEvent => ({
  timeUs: (Date.UTC(2026, 0, 1) + minute * 60_000) * 1000,
  hostname: host,
  appname: 'diskmon',
  facility: 'daemon',
  severity: 'warning',
  site: 'hosp-01',
  siteKind: 'hospital',
  deviceKind: 'server',
  eventClass,
  decision: 'alert',
  templateId: 't1',
  template: 'filesystem <PATH> is <NUM>% full',
  message: `filesystem /var is ${80 + minute}% full`,
  confidence: 0.9,
  modelVersion: 'event-class@v1+event-decision@v1',
});

const ticket = (patch: Partial<Ticket>): Ticket =>
  sampleTicket({
    id: 'INC-1',
    openedAtMs: Date.UTC(2026, 0, 1),
    updatedAtMs: Date.UTC(2026, 0, 1),
    source: 'logs',
    title: 'disk filling',
    eventClass: 'software',
    department: 'it_ops',
    priority: 'P3',
    host: 'hosp-01-srv-01',
    deviceKind: 'server',
    relatedAlertCount: 2,
    modelVersion: 'event-class@v1+event-decision@v1',
    ...patch,
  });

describe('labelled lines from judged incident tickets', () => {
  const lines = [line('hosp-01-srv-01', 0, 'software'), line('hosp-01-srv-01', 5, 'network')];

  it('When a ticket is invalidated, then its lines are noise and their class is left unjudged', () => {
    const rows = lineLabelRows([
      { ticket: ticket({}), verdict: 'invalid', labelledAtMs: Date.UTC(2026, 0, 1) + HOUR_MS, lines },
    ]);
    expect(rows.map((r) => [r.decision, r.class])).toEqual([
      ['noise', ''],
      ['noise', ''],
    ]);
    expect(rows[0]).toMatchObject({
      message: 'filesystem /var is 80% full',
      device_kind: 'server',
      site_kind: 'hospital',
      ticket_id: 'INC-1',
    });
  });

  it('When a ticket is confirmed, then its lines are alerts and the lines of its class confirm that class; other classes stay unjudged', () => {
    const rows = lineLabelRows([
      { ticket: ticket({}), verdict: 'valid', labelledAtMs: Date.UTC(2026, 0, 1) + HOUR_MS, lines },
    ]);
    expect(rows.map((r) => [r.decision, r.class])).toEqual([
      ['alert', 'software'],
      ['alert', ''],
    ]);
  });

  it('When an operator corrects the class, then the lines the models gave the wrong class get the corrected one', () => {
    const corrected = ticket({
      eventClass: 'hardware',
      predicted: { eventClass: 'software', department: 'it_ops', priority: 'P3' },
    });
    const rows = lineLabelRows([{ ticket: corrected, labelledAtMs: Date.UTC(2026, 0, 1) + HOUR_MS, lines }]);
    expect(rows.map((r) => [r.decision, r.class])).toEqual([
      ['alert', 'hardware'],
      ['alert', ''],
    ]);
  });

  it('When a line belongs to two judged tickets, then the newest verdict labels it once', () => {
    const rows = lineLabelRows([
      {
        ticket: ticket({ id: 'INC-2' }),
        verdict: 'invalid',
        labelledAtMs: Date.UTC(2026, 0, 1) + 2 * HOUR_MS,
        lines: lines.slice(0, 1),
      },
      { ticket: ticket({}), verdict: 'valid', labelledAtMs: Date.UTC(2026, 0, 1) + HOUR_MS, lines: lines.slice(0, 1) },
    ]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ decision: 'noise', ticket_id: 'INC-2' });
  });

  it('When the lines of a ticket are looked up, then it is its incident’s hosts from its opening until it was judged or resolved', () => {
    const t = ticket({ hosts: ['a', 'b', 'a'], resolvedAtMs: Date.UTC(2026, 0, 1) + 3 * HOUR_MS });
    expect(ticketLineWindow(t, Date.UTC(2026, 0, 1) + HOUR_MS)).toEqual({
      hosts: ['a', 'b'],
      fromMs: t.openedAtMs,
      toMs: t.openedAtMs + HOUR_MS,
    });
    expect(ticketLineWindow(t, Date.UTC(2026, 0, 1) + 5 * HOUR_MS).toMs).toBe(t.openedAtMs + 3 * HOUR_MS);
  });
});
