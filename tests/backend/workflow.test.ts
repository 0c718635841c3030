import {
  TICKET_SERIES,
  type ApiErrorBody,
  type Ticket,
  type TicketDetailResponse,
  type TicketHistoryResponse,
  type TicketsPage,
} from '@nocai/contract';
import { TicketsRepository, ticketPoint } from '../../inference-backend/src/adapters/influx/ticketsRepository';
import { sampleTicket } from '../../inference-backend/src/domain/tickets/ticketFixture';
import { DirectWriter } from '../../inference-backend/src/adapters/influx/writer';
import { freshDatabase } from '../support/influx';
import { startTestBackend, type TestBackend } from '../support/service';

type Json = Record<string, unknown>;

/**
 * The ticket workflow through the real API and a real influxd: every change is a point in
 * aiops_tickets with who and when, and bad input changes nothing.
 */
describe('ticket workflow API against a real influxd', () => {
  let backend: TestBackend;
  beforeAll(async () => {
    // Nothing waits for review here, whatever the rule classifier's confidence in a text.
    backend = await startTestBackend({ NOCAI_REVIEW_THRESHOLD: '0' });
  });
  afterAll(() => backend?.stop());

  const complaint = async (text: string, extra: Json = {}): Promise<Ticket> => {
    const res = await backend.call('/api/complaints', { method: 'POST', body: JSON.stringify({ text, ...extra }) });
    expect(res.status).toBe(201);
    return ((await res.json()) as { ticket: Ticket }).ticket;
  };
  const patch = (id: string, body: Json, headers: Record<string, string> = {}) =>
    backend.call(`/api/tickets/${id}`, {
      method: 'PATCH',
      body: JSON.stringify(body),
      headers: { 'X-Grafana-User': 'alice', ...headers },
    });
  const points = async (id: string) =>
    (
      await backend.influx.client.query(
        backend.outputDb,
        `SELECT "status", "change", "version", "assignee", "department", "predicted", "changed_by", "change_summary", "comments" FROM aiops_tickets WHERE ticket_id = '${id}' ORDER BY time ASC`
      )
    )[0]?.rows ?? [];
  const errorOf = async (res: Response) => ((await res.json()) as ApiErrorBody).error;

  it('When an operator acknowledges, assigns, corrects, comments, resolves and closes a ticket, then each is a stored point with who and when', async () => {
    const ticket = await complaint('Badge reader at the side door rejects every card');
    expect(ticket).toMatchObject({ status: 'open', version: 1, change: { kind: 'opened' } });
    const read = await backend.call(`/api/tickets/${ticket.id}`);
    expect(read.headers.get('etag')).toBe('"1"');

    const steps: Array<[Json, string]> = [
      [{ status: 'acknowledged' }, '"1"'],
      [{ assignee: 'team:facilities', comment: 'facilities know the door' }, '"2"'],
      [{ department: 'facilities', eventClass: 'environment' }, '"3"'],
      [{ status: 'in_progress' }, '"4"'],
      [{ status: 'resolved', comment: 'reader replaced' }, '"5"'],
      [{ status: 'closed' }, '"6"'],
    ];
    let last: Ticket = ticket;
    for (const [body, etag] of steps) {
      const res = await patch(ticket.id, body, { 'If-Match': etag });
      expect({ status: res.status, body }).toEqual({ status: 200, body });
      last = ((await res.json()) as { ticket: Ticket }).ticket;
      expect(res.headers.get('etag')).toBe(`"${last.version}"`);
    }
    expect(last).toMatchObject({
      status: 'closed',
      version: 7,
      assignee: 'team:facilities',
      department: 'facilities',
      eventClass: 'environment',
      predicted: { department: ticket.department, eventClass: ticket.eventClass },
      change: { kind: 'status', by: 'alice', summary: 'status resolved → closed' },
    });
    expect(last.comments?.map((c) => [c.text, c.by])).toEqual([
      ['facilities know the door', 'alice'],
      ['reader replaced', 'alice'],
    ]);

    const stored = await points(ticket.id);
    expect(stored.map((p) => [p.status, p.change, p.version, p.changed_by])).toEqual([
      ['open', 'opened', 1, 'bootstrap'],
      ['acknowledged', 'status', 2, 'alice'],
      ['acknowledged', 'assigned', 3, 'alice'],
      ['acknowledged', 'corrected', 4, 'alice'],
      ['in_progress', 'status', 5, 'alice'],
      ['resolved', 'status', 6, 'alice'],
      ['closed', 'status', 7, 'alice'],
    ]);
    expect(stored[2].assignee).toBe('team:facilities');
    expect(stored[3]).toMatchObject({
      department: 'facilities',
      change_summary: expect.stringContaining('department'),
    });
    expect(JSON.parse(String(stored[3].predicted))).toMatchObject({ department: ticket.department });

    const history = (await (await backend.call(`/api/tickets/${ticket.id}/history`)).json()) as TicketHistoryResponse;
    expect(history.history.map((h) => [h.version, h.kind, h.by])).toEqual(
      stored.map((p) => [p.version, p.change, p.changed_by])
    );
  });

  it('When a change is bad (closed ticket, assignee format, jump, stale or missing version), then a clear 4xx comes back and nothing is written', async () => {
    const open = await complaint('Projector in meeting room 2 shows no signal');
    const closed = await complaint('Printer on floor 2 jams on every page');
    await patch(closed.id, { status: 'resolved' }, { 'If-Match': '"1"' });
    await patch(closed.id, { status: 'closed' }, { 'If-Match': '"2"' });
    const before = [(await points(open.id)).length, (await points(closed.id)).length];

    const cases: Array<[string, Json, Record<string, string>, number, string, RegExp]> = [
      [
        closed.id,
        { assignee: 'user:bob' },
        { 'If-Match': '"3"' },
        409,
        'ticket_closed',
        /is closed: it takes no workflow changes/,
      ],
      [open.id, { assignee: 'bob' }, { 'If-Match': '"1"' }, 400, 'bad_request', /assignee must be user:<login>/],
      [
        open.id,
        { status: 'closed' },
        { 'If-Match': '"1"' },
        409,
        'invalid_transition',
        /cannot go from open to closed: from open it can go to acknowledged, in_progress, resolved/,
      ],
      [open.id, { status: 'auto_resolved' }, { 'If-Match': '"1"' }, 400, 'bad_request', /status/],
      [open.id, { status: 'acknowledged' }, { 'If-Match': '"7"' }, 409, 'stale_version', /is at version 1, not 7/],
      [open.id, { status: 'acknowledged' }, {}, 428, 'version_required', /must name the version it was made against/],
      [open.id, { status: 'acknowledged', version: 1 }, { 'If-Match': '"2"' }, 400, 'bad_request', /disagree/],
      [
        open.id,
        { status: 'acknowledged', owner: 'bob' },
        { 'If-Match': '"1"' },
        400,
        'bad_request',
        /^the request body has no field owner \(it takes version, status, assignee, eventClass, department, priority, comment\)$/,
      ],
      [
        open.id,
        { priority: 'P7' },
        { 'If-Match': '"1"' },
        400,
        'bad_request',
        /^priority must be one of P1, P2, P3, P4 \(got "P7"\)$/,
      ],
      [open.id, { comment: 'only a comment' }, { 'If-Match': '"1"' }, 400, 'bad_request', /nothing to change/],
      ['NOPE-1', { status: 'acknowledged' }, { 'If-Match': '"1"' }, 404, 'not_found', /no ticket NOPE-1/],
    ];
    for (const [id, body, headers, status, code, message] of cases) {
      const res = await patch(id, body, headers);
      const error = await errorOf(res);
      expect({ body, status: res.status, code: error.code }).toEqual({ body, status, code });
      expect(error.message).toMatch(message);
    }
    const comment = await backend.call(`/api/tickets/${closed.id}/comments`, {
      method: 'POST',
      body: JSON.stringify({ text: 'too late' }),
    });
    expect(comment.status).toBe(409);

    expect([(await points(open.id)).length, (await points(closed.id)).length]).toEqual(before);
    const stale = await patch(open.id, { status: 'acknowledged' }, { 'If-Match': '"7"' });
    // The answer to a stale change names the version to retry against.
    expect(stale.headers.get('etag')).toBe('"1"');
  });

  it('When two operators change the same version at once, then one change is stored and the others get 409', async () => {
    const ticket = await complaint('Wi-Fi in the east wing drops every few minutes');
    const answers = await Promise.all(
      ['user:ann', 'user:ben', 'user:cat', 'user:dan', 'user:eve', 'user:fay'].map((assignee) =>
        patch(ticket.id, { assignee, version: 1 })
      )
    );
    const statuses = answers.map((res) => res.status).sort();
    expect(statuses).toEqual([200, 409, 409, 409, 409, 409]);
    const stored = await points(ticket.id);
    expect(stored.map((p) => p.version)).toEqual([1, 2]);
    const winner = ((await answers.find((res) => res.status === 200)?.json()) as { ticket: Ticket }).ticket;
    expect(stored[1].assignee).toBe(winner.assignee);
  });

  it('When a comment is added on its own, then it needs no version and is a commented point', async () => {
    const ticket = await complaint('Lift 3 stuck between floors, nobody inside');
    const res = await backend.call(`/api/tickets/${ticket.id}/comments`, {
      method: 'POST',
      body: JSON.stringify({ text: 'called the lift company' }),
      headers: { 'X-Grafana-User': 'bob' },
    });
    expect(res.status).toBe(201);
    expect(((await res.json()) as { ticket: Ticket }).ticket.comments).toEqual([
      expect.objectContaining({ text: 'called the lift company', by: 'bob' }),
    ]);
    expect((await points(ticket.id)).map((p) => p.change)).toEqual(['opened', 'commented']);
  });

  it('When tickets are listed with a typo in a parameter, then 400; Grafana-style relative times are accepted on every list', async () => {
    const ticket = await complaint('Fire alarm panel reports a fault on loop 2');
    const typo = await backend.call('/api/tickets?stauts=open');
    expect(typo.status).toBe(400);
    expect((await errorOf(typo)).message).toMatch(/stauts/);

    const relative = await backend.call('/api/tickets?from=now-7d&to=now');
    expect(relative.status).toBe(200);
    expect(((await relative.json()) as TicketsPage).tickets.map((t) => t.id)).toContain(ticket.id);
    const past = (await (await backend.call('/api/tickets?from=now-30d&to=now-7d')).json()) as TicketsPage;
    expect(past.tickets.map((t) => t.id)).not.toContain(ticket.id);
    for (const path of [
      '/api/events?from=now-1h&to=now',
      '/api/series/silences?from=now-7d/d',
      '/api/tickets?from=now-1d/d',
    ]) {
      expect({ path, status: (await backend.call(path)).status }).toEqual({ path, status: 200 });
    }
    for (const path of ['/api/events?from=yesterday', '/api/series/silences?to=now-7q', '/api/events?hots=a']) {
      expect({ path, status: (await backend.call(path)).status }).toEqual({ path, status: 400 });
    }
  });

  it('When a ticket names a device, then its detail lists that device alerts around it and not the noise or other devices', async () => {
    const nowUs = Date.now() * 1000;
    const line = (host: string, decision: string, minutesAgo: number, message: string) =>
      `aiops_events,hostname=${host},appname=kernel,facility=kern,severity=err,site=hosp-01,site_kind=hospital,device_kind=server,class=hardware ` +
      `decision="${decision}",message="${message}",template_id="t1",template="x",confidence=0.9,model_version="rules-1" ${nowUs - minutesAgo * 60_000_000}`;
    await backend.influx.client.writeLines(backend.outputDb, [
      line('hosp-01-srv-07', 'alert', 5, 'RAID array degraded'),
      line('hosp-01-srv-07', 'alert', 3, 'disk sdb failed'),
      line('hosp-01-srv-07', 'noise', 2, 'session opened'),
      line('hosp-01-srv-08', 'alert', 2, 'fan failure'),
      line('hosp-01-srv-07', 'alert', 120, 'an older, unrelated fault'),
    ]);
    const ticket = await complaint('The lab results server is very slow since a few minutes', {
      host: 'hosp-01-srv-07',
    });

    const detail = (await (await backend.call(`/api/tickets/${ticket.id}`)).json()) as TicketDetailResponse;
    expect(detail.ticket.id).toBe(ticket.id);
    expect(detail.relatedAlerts.map((e) => [e.hostname, e.message, e.decision])).toEqual([
      ['hosp-01-srv-07', 'RAID array degraded', 'alert'],
      ['hosp-01-srv-07', 'disk sdb failed', 'alert'],
    ]);
  });
});

describe('verdicts in the workflow', () => {
  let backend: TestBackend;
  beforeAll(async () => {
    // Every routing is below this confidence: complaints wait for review.
    backend = await startTestBackend({ NOCAI_REVIEW_THRESHOLD: '0.999' });
  });
  afterAll(() => backend?.stop());

  it('When a ticket waiting for review is judged invalid, then it leaves needs_review and is closed as a false positive', async () => {
    const res = await backend.call('/api/complaints', {
      method: 'POST',
      body: JSON.stringify({ text: 'Test alarm, please ignore' }),
    });
    const { ticket } = (await res.json()) as { ticket: Ticket };
    expect(ticket.status).toBe('needs_review');

    const judged = await backend.call(`/api/tickets/${ticket.id}/feedback`, {
      method: 'POST',
      body: JSON.stringify({ verdict: 'invalid', comment: 'a drill' }),
    });
    expect(judged.status).toBe(200);
    expect(((await judged.json()) as { ticket: Ticket }).ticket).toMatchObject({
      status: 'closed',
      needsReview: false,
      feedback: { verdict: 'invalid' },
      change: { summary: 'verdict invalid; status needs_review → closed (false positive)' },
    });
    const review = (await (await backend.call('/api/tickets?status=needs_review')).json()) as TicketsPage;
    expect(review.tickets.map((t) => t.id)).not.toContain(ticket.id);
    const [stored] = (
      await backend.influx.client.query(
        backend.outputDb,
        `SELECT "needs_review", "status" FROM aiops_tickets WHERE ticket_id = '${ticket.id}' ORDER BY time DESC LIMIT 1`
      )
    )[0].rows;
    expect(stored).toMatchObject({ status: 'closed', needs_review: false });
  });
});

describe('ticket states read back from aiops_tickets after a restart', () => {
  it('When a worked-on incident ticket is stored and the index is rebuilt from InfluxDB, then every field reads back as written', async () => {
    const { client, database } = await freshDatabase('roundtrip');
    const clock = { nowMs: () => Date.now() };
    const writer = new TicketsRepository(client, database, new DirectWriter(client, { database }), clock);
    const nowMs = Date.now();
    const ticket: Ticket = {
      id: `inc-hosp-01-hosp-01-ps-01-${nowMs * 1000}`,
      openedAtMs: nowMs - 600_000,
      updatedAtMs: nowMs,
      status: 'in_progress',
      source: 'logs',
      title: 'Power outage at hosp-01: power switch hosp-01-ps-01 down, 14 dependants affected',
      eventClass: 'power',
      department: 'facilities',
      priority: 'P1',
      confidence: 0.93,
      needsReview: false,
      site: 'hosp-01',
      siteKind: 'hospital',
      host: 'hosp-01-ps-01',
      deviceKind: 'power_switch',
      mttrP50Seconds: 3600,
      mttrP90Seconds: 3600,
      mttrNote: 'every past ticket took about as long: P50 and P90 are the same',
      mttrFactors: [
        { feature: 'hours_to_business_start', weight: 0.6123456789, value: 13.5 },
        { feature: 'priority=P1', weight: -0.42 },
      ],
      rootCause: {
        host: 'hosp-01-ps-01',
        deviceKind: 'power_switch',
        silentSinceMs: nowMs - 590_000,
        description: 'power switch hosp-01-ps-01 silent since …, 2 of 20 dependants affected',
        dependants: ['hosp-01-mon-01', 'hosp-01-srv-01'],
      },
      relatedAlertCount: 9,
      explanation: [{ feature: 'power', weight: 1.5 }],
      similarTickets: [{ id: 'T-1', title: 'Power outage', resolution: 'breaker', mttrSeconds: 4000, similarity: 0.8 }],
      modelVersion: 'rules-1',
      feedback: { verdict: 'valid', comment: 'real', atMs: nowMs - 1000 },
      version: 5,
      assignee: 'team:facilities',
      comments: [{ text: 'on the way', by: 'alice', atMs: nowMs - 500 }],
      predicted: { eventClass: 'power', department: 'field_technicians', priority: 'P1' },
      corrected: ['department'],
      change: { kind: 'corrected', by: 'alice', atMs: nowMs, summary: 'department field_technicians → facilities' },
      hosts: ['hosp-01-mon-01', 'hosp-01-ps-01', 'hosp-01-srv-01'],
    };
    const [saved] = await writer.save([ticket]);

    const reader = new TicketsRepository(client, database, new DirectWriter(client, { database }), clock);
    await reader.load(Date.now());
    const read = await reader.findById(ticket.id);
    const defined = (t: Ticket | undefined) => JSON.parse(JSON.stringify(t)) as Ticket;
    expect(defined(read)).toEqual(
      defined({ ...saved, change: { ...ticket.change, atMs: saved.updatedAtMs } } as Ticket)
    );
    expect(read?.rootCause?.deviceKind).toBe('power_switch');
  });

  it('When a correction the models came to agree with, and a state stored before corrections were listed, are read back, then each names the fields a person corrected', async () => {
    const { client, database } = await freshDatabase('corrected');
    const clock = { nowMs: () => Date.now() };
    const writer = new DirectWriter(client, { database });
    const nowMs = Date.now();
    const base = sampleTicket({ openedAtMs: nowMs - 60_000, updatedAtMs: nowMs, version: 3 });
    // The department was corrected to maintenance, and the models' latest answer says maintenance too.
    const agreed: Ticket = {
      ...base,
      id: 'CMP-agreed',
      department: 'maintenance',
      predicted: { eventClass: 'power', department: 'maintenance', priority: 'P2' },
      corrected: ['department'],
    };
    await new TicketsRepository(client, database, writer, clock).save([agreed]);
    // Written before `corrected` existed: only `predicted` says what was corrected.
    const older = ticketPoint({
      ...base,
      id: 'CMP-older',
      eventClass: 'environment',
      predicted: { eventClass: 'power', department: 'facilities', priority: 'P2' },
    });
    delete older.fields[TICKET_SERIES.fields.corrected];
    await writer.write([older]);
    await writer.flush();

    const reader = new TicketsRepository(client, database, writer, clock);
    await reader.load(Date.now());

    expect(await reader.findById('CMP-agreed')).toMatchObject({ department: 'maintenance', corrected: ['department'] });
    expect(await reader.findById('CMP-older')).toMatchObject({ eventClass: 'environment', corrected: ['eventClass'] });
  });
});
