import { once } from 'node:events';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApiErrorBody, Ticket } from '@nocai/contract';
import { auditDirIn, FileAuditTrail } from '../../inference-backend/src/adapters/audit/fileAuditTrail';
import { verifyAuditTrail } from '../../inference-backend/src/adapters/audit/verify';
import { createApp } from '../../inference-backend/src/adapters/http/app';
import { createAuditRouter } from '../../inference-backend/src/adapters/http/auditRoutes';
import { EventsRepository } from '../../inference-backend/src/adapters/influx/eventsRepository';
import { SeriesRepository } from '../../inference-backend/src/adapters/influx/seriesRepository';
import { TicketsRepository } from '../../inference-backend/src/adapters/influx/ticketsRepository';
import { DirectWriter } from '../../inference-backend/src/adapters/influx/writer';
import { createLogger } from '../../inference-backend/src/adapters/logger';
import { Metrics } from '../../inference-backend/src/adapters/metrics/metrics';
import type { AuditEntry } from '../../inference-backend/src/domain/audit/audit';
import { systemClock } from '../../inference-backend/src/domain/series';
import { MedianMttrBaseline, RuleTextRouter } from '../../inference-backend/src/services/baselineModels';
import { TicketService } from '../../inference-backend/src/services/ticketService';
import { freshDatabase } from '../support/influx';

const TOKEN = 'audit-test-token';

/**
 * The audit trail behind the real API and a real influxd: every ticket change a person or Grafana
 * makes is one chained entry on disk, readable at GET /api/audit and mirrored to aiops_audit.
 */
describe('audit trail of ticket changes against a real influxd', () => {
  let influx: Awaited<ReturnType<typeof freshDatabase>>;
  let stateDir: string;
  let trail: FileAuditTrail;
  let server: Server;
  let url: string;

  beforeAll(async () => {
    influx = await freshDatabase('audit');
    stateDir = mkdtempSync(join(tmpdir(), 'nocai-audit-it-'));
    const writer = new DirectWriter(influx.client, { database: influx.database });
    trail = new FileAuditTrail(auditDirIn(stateDir), { mirror: writer });
    const tickets = new TicketService({
      tickets: new TicketsRepository(influx.client, influx.database, writer, systemClock),
      events: new EventsRepository(influx.client, influx.database),
      router: new RuleTextRouter(),
      mttr: new MedianMttrBaseline([]),
      similar: () => undefined,
      clock: systemClock,
      options: { reviewThreshold: 0 },
      audit: trail,
    });
    const app = createApp({
      logger: createLogger('silent'),
      metrics: new Metrics({ processMetrics: false }),
      clock: systemClock,
      events: new EventsRepository(influx.client, influx.database),
      series: new SeriesRepository(influx.client, influx.database),
      tickets,
      checkInflux: () => influx.client.ping(),
      auth: { apiToken: TOKEN, allowAnonymous: false },
      routers: [{ path: '/audit', router: createAuditRouter({ trail }) }],
    });
    server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    rmSync(stateDir, { recursive: true, force: true });
  });

  const call = (path: string, init: RequestInit & { user?: string } = {}) => {
    const { user, headers, ...rest } = init;
    const h = new Headers(headers);
    h.set('Authorization', `Bearer ${TOKEN}`);
    if (user) h.set('X-Grafana-User', user);
    if (rest.body) h.set('Content-Type', 'application/json');
    return fetch(`${url}${path}`, { ...rest, headers: h });
  };
  const ticketOf = async (res: Response) => ((await res.json()) as { ticket: Ticket }).ticket;
  const auditPage = async (query = '') => {
    const res = await call(`/api/audit${query}`);
    expect(res.status).toBe(200);
    return (await res.json()) as { entries: AuditEntry[]; truncated: boolean };
  };

  it('When operators and Grafana change tickets, then each change is one entry with who, what, before and after, and nothing refused is recorded', async () => {
    const opened = await ticketOf(
      await call('/api/complaints', {
        method: 'POST',
        body: JSON.stringify({ text: 'Badge reader at the side door rejects every card', reporter: 'carol' }),
      })
    );
    const acknowledged = await call(`/api/tickets/${opened.id}`, {
      method: 'PATCH',
      user: 'alice',
      headers: { 'If-Match': '"1"' },
      body: JSON.stringify({ status: 'acknowledged', assignee: 'team:facilities' }),
    });
    expect(acknowledged.status).toBe(200);
    // Made against a version that is gone: refused, so not a change.
    const stale = await call(`/api/tickets/${opened.id}`, {
      method: 'PATCH',
      user: 'mallory',
      headers: { 'If-Match': '"1"' },
      body: JSON.stringify({ status: 'in_progress' }),
    });
    expect(stale.status).toBe(409);
    const commented = await call(`/api/tickets/${opened.id}/comments`, {
      method: 'POST',
      user: 'bob',
      body: JSON.stringify({ text: 'facilities are on their way' }),
    });
    expect(commented.status).toBe(201);
    const judged = await call(`/api/tickets/${opened.id}/feedback`, {
      method: 'POST',
      user: 'alice',
      body: JSON.stringify({ verdict: 'valid' }),
    });
    expect(judged.status).toBe(200);
    const alert = await call('/api/alerts/grafana', {
      method: 'POST',
      body: JSON.stringify({
        status: 'firing',
        alerts: [
          {
            status: 'firing',
            labels: { alertname: 'UPS on battery', host: 'ups-01' },
            annotations: { summary: 'UPS ups-01 is on battery' },
            startsAt: new Date().toISOString(),
            fingerprint: 'a1b2c3d4e5f60718',
          },
        ],
      }),
    });
    expect(alert.status).toBe(202);

    const { entries } = await auditPage();
    expect(entries.map((e) => [e.seq, e.action, e.actor, e.role, e.target])).toEqual([
      [1, 'ticket.complaint', 'carol', 'operator', `ticket:${opened.id}`],
      [2, 'ticket.update', 'alice', 'operator', `ticket:${opened.id}`],
      [3, 'ticket.comment', 'bob', 'operator', `ticket:${opened.id}`],
      [4, 'ticket.feedback', 'alice', 'operator', `ticket:${opened.id}`],
      [5, 'ticket.grafana_alert', 'grafana', 'system', 'ticket:GRA-a1b2c3d4e5f60718'],
    ]);
    expect(entries[0]).toMatchObject({ before: null, after: { status: 'open', version: 1, source: 'complaint' } });
    expect(entries[1]).toMatchObject({
      before: { status: 'open', version: 1, assignee: null },
      after: { status: 'acknowledged', version: 2, assignee: 'team:facilities' },
      from: 'api',
    });
    expect(entries[1].reason).toMatch(/status open → acknowledged/);
    expect(entries[2].after).toMatchObject({
      version: 3,
      comments: [{ by: 'bob', text: 'facilities are on their way' }],
    });
    expect(entries[3]).toMatchObject({ before: { version: 3 }, after: { version: 4, feedback: { verdict: 'valid' } } });
    expect(entries[4]).toMatchObject({ before: null, after: { status: 'open', source: 'grafana_alert' } });
    expect(await verifyAuditTrail(trail.file)).toEqual({ ok: true, entries: 5 });
  });

  it('When the audit route is asked with filters, then only matching entries come back, newest kept by the limit', async () => {
    expect((await auditPage('?action=ticket.update&actor=alice')).entries.map((e) => e.seq)).toEqual([2]);
    expect((await auditPage('?actor=alice')).entries.map((e) => e.action)).toEqual([
      'ticket.update',
      'ticket.feedback',
    ]);
    expect(await auditPage('?limit=2')).toMatchObject({ truncated: true, entries: [{ seq: 4 }, { seq: 5 }] });
    expect((await auditPage('?since=now-1h&until=now%2B1h')).entries).toHaveLength(5);
  });

  it('When the audit trail is read page by page with before, or since a seq with after, then every entry comes once', async () => {
    // Pages go back from the newest by the first seq of each page; no entry is skipped or repeated.
    const seen: number[] = [];
    let page = await auditPage('?limit=2');
    for (;;) {
      seen.unshift(...page.entries.map((e) => e.seq));
      if (!page.truncated) break;
      page = await auditPage(`?limit=2&before=${page.entries[0].seq}`);
    }
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    expect(await auditPage('?after=3')).toMatchObject({ truncated: false, entries: [{ seq: 4 }, { seq: 5 }] });
    expect((await auditPage('?after=1&before=4&actor=alice')).entries.map((e) => e.seq)).toEqual([2]);
    expect((await auditPage(`?until=${encodeURIComponent('2000-01-01T00:00:00Z')}`)).entries).toEqual([]);
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=many', 'limit'],
    ['since=yesterday', 'since must be an ISO 8601 time'],
    ['since=now&until=now-1d', 'since must be before until'],
    ['action=Ticket%20Update', 'action must be a dotted verb'],
    ['actor=', 'actor'],
    ['before=0', 'before'],
    ['after=-1', 'after'],
    ['after=3&before=4', 'after must be below before'],
    ['user=alice', 'user'],
  ])('When GET /api/audit?%s, then it answers 400 naming the problem', async (query, named) => {
    const res = await call(`/api/audit?${query}`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as ApiErrorBody).error.message).toContain(named);
  });

  it('When the audit route is called without the token, then it answers 401', async () => {
    expect((await fetch(`${url}/api/audit`)).status).toBe(401);
  });

  it('When the entries are mirrored, then aiops_audit holds each with its action, role, seq, hash and JSON before/after', async () => {
    expect(await trail.flushMirror()).toBe(0);
    const { entries } = await auditPage();
    const rows =
      (
        await influx.client.query(
          influx.database,
          'SELECT "seq", "action", "role", "actor", "target", "before", "after", "from", "hash" FROM aiops_audit ORDER BY time ASC'
        )
      )[0]?.rows ?? [];
    expect(rows.map((r) => [r.seq, r.action, r.role, r.actor, r.target, r.from, r.hash])).toEqual(
      entries.map((e) => [e.seq, e.action, e.role, e.actor, e.target, e.from, e.hash])
    );
    expect(rows.map((r) => [JSON.parse(String(r.before)), JSON.parse(String(r.after))])).toEqual(
      entries.map((e) => [e.before, e.after])
    );
  });

  it('When a complaint names a reporter other than its sender, then the ticket is opened by the sender, as audited, and names the reporter', async () => {
    const filed = await call('/api/complaints', {
      method: 'POST',
      user: 'alice',
      body: JSON.stringify({ text: 'Nurse call buttons on ward 4 do nothing', reporter: 'the-ceo' }),
    });
    expect(filed.status).toBe(201);
    const ticket = await ticketOf(filed);
    expect(ticket.change).toMatchObject({ by: 'alice', summary: 'opened from a complaint reported by the-ceo' });
    const history = (await (await call(`/api/tickets/${ticket.id}/history`)).json()) as {
      history: Array<{ by: string }>;
    };
    expect(history.history.map((h) => h.by)).toEqual(['alice']);

    // Through the token alone, no person named: the token's name, not "unknown".
    const anonymous = await ticketOf(
      await call('/api/complaints', { method: 'POST', body: JSON.stringify({ text: 'Lift 2 stuck on floor 3' }) })
    );
    expect(anonymous.change).toMatchObject({ by: 'bootstrap', summary: 'opened from a complaint' });

    const { entries } = await auditPage('?action=ticket.complaint');
    expect(entries.slice(-2).map((e) => [e.actor, e.target])).toEqual([
      ['alice', `ticket:${ticket.id}`],
      ['bootstrap', `ticket:${anonymous.id}`],
    ]);
  });

  // Last: it leaves the trail torn.
  it('When the audit trail cannot take the entry, then a workflow change, a comment and a verdict are refused with 503 and nothing is stored in InfluxDB', async () => {
    const opened = await ticketOf(
      await call('/api/complaints', { method: 'POST', body: JSON.stringify({ text: 'Door 7 alarm keeps ringing' }) })
    );
    const historyOf = async () =>
      ((await (await call(`/api/tickets/${opened.id}/history`)).json()) as { history: unknown[] }).history;
    const verdicts = async () =>
      (await influx.client.query(influx.database, 'SELECT count("ticket_id") FROM aiops_feedback'))[0]?.rows[0]
        ?.count ?? 0;
    const before = { history: await historyOf(), verdicts: await verdicts() };
    expect(before.history).toHaveLength(1);
    // A crash in the middle of an append: the trail's last record has no newline.
    appendFileSync(trail.file, '{"seq":');

    const refused = [
      await call(`/api/tickets/${opened.id}`, {
        method: 'PATCH',
        user: 'alice',
        headers: { 'If-Match': '"1"' },
        body: JSON.stringify({ status: 'acknowledged' }),
      }),
      await call(`/api/tickets/${opened.id}/comments`, {
        method: 'POST',
        user: 'bob',
        body: JSON.stringify({ text: 'on it' }),
      }),
      await call(`/api/tickets/${opened.id}/feedback`, {
        method: 'POST',
        user: 'alice',
        body: JSON.stringify({ verdict: 'valid' }),
      }),
    ];
    for (const [res, action] of refused.map((r, i) => [r, ['update', 'comment', 'feedback'][i]] as const)) {
      expect(res.status).toBe(503);
      const { error } = (await res.json()) as ApiErrorBody;
      expect(error.code).toBe('audit_unavailable');
      expect(error.message).toMatch(
        new RegExp(
          `^nothing was changed: the audit trail could not record ticket\\.${action} of ticket:${opened.id} \\(.*torn record`
        )
      );
    }
    expect(await historyOf()).toEqual(before.history);
    expect(await verdicts()).toBe(before.verdicts);
    const now = await ticketOf(await call(`/api/tickets/${opened.id}`));
    expect(now).toMatchObject({ status: 'open', version: 1 });
  });
});
