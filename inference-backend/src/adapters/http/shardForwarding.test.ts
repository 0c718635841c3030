import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GrafanaWebhook, GrafanaWebhookAnswer, Ticket } from '@nocai/contract';
import { sampleTicket } from '../../domain/tickets/ticketFixture';
import type { EventsRepository } from '../influx/eventsRepository';
import type { SeriesRepository } from '../influx/seriesRepository';
import { createLogger } from '../logger';
import { Metrics } from '../metrics/metrics';
import type { TicketService } from '../../services/ticketService';
import { createApp } from './app';
import { createHttpServer } from './server';
import { peerTemplateProblem, peerUrlOf, SHARD_HEADER } from './shardForwarding';

const TOKEN = 'shared-bootstrap-token';
const WEBHOOK_TOKEN = 'shared-webhook-token';
const unused = {} as EventsRepository & SeriesRepository;

/** One replica's ticket changes, as the routes call them: who made each, on which replica. */
interface Change {
  replica: number;
  id: string;
  user: string;
  role: string;
  assignee?: string | null;
}

/**
 * Two replicas over one set of tickets: `site-a` is shard 0's, `site-b` shard 1's. Each replica's
 * ticket service only records the changes it is asked to make; which replica makes a change is
 * what the forwarding decides.
 */
async function replicas(
  options: {
    peerUrl?: (shard: number) => string;
    start?: number[];
    unknownUntilRefresh?: string;
    rateLimitPerMinute?: number;
  } = {}
) {
  const tickets = new Map<string, Ticket>([
    ['A-1', sampleTicket({ id: 'A-1', site: 'site-a', host: '', version: 4 })],
    ['B-1', sampleTicket({ id: 'B-1', site: 'site-b', host: '', version: 7 })],
  ]);
  const changes: Change[] = [];
  // Which replica took which alerts in (by alert name), with the sender it recorded.
  const intakes: Array<{ replica: number; alerts: string[]; from: string }> = [];
  const servers: Server[] = [];
  // A ticket another replica opened since this one's last poll: known only once it reads again.
  const refreshed = new Set<number>();
  const bases: string[] = [];
  const started = options.start ?? [0, 1];
  for (const self of started) {
    const service = {
      fromGrafana: async (payload: GrafanaWebhook, from: string) => {
        intakes.push({ replica: self, alerts: payload.alerts.map((a) => a.labels.alertname ?? ''), from });
        return {
          tickets: payload.alerts.map((a) =>
            sampleTicket({ id: `GRA-${a.labels.alertname}`, site: a.labels.site ?? '', host: '' })
          ),
          ignored: 0,
        };
      },
      // A correction's departments: the six only, here.
      departments: async () => new Set<string>(),
      update: async (
        id: string,
        change: { assignee?: string | null },
        _v: unknown,
        user: string,
        _f: unknown,
        role: string
      ) => {
        changes.push({ replica: self, id, user, role, assignee: change.assignee });
        const ticket = tickets.get(id) as Ticket;
        const next = { ...ticket, assignee: change.assignee ?? undefined, version: (ticket.version ?? 0) + 1 };
        tickets.set(id, next);
        return next;
      },
    } as unknown as TicketService;
    const app = createApp({
      logger: createLogger('silent'),
      metrics: new Metrics(),
      clock: { nowMs: () => Date.now() },
      events: unused,
      series: unused,
      tickets: service,
      checkInflux: async () => undefined,
      auth: { apiToken: TOKEN, webhookToken: WEBHOOK_TOKEN, allowAnonymous: false },
      limits: options.rateLimitPerMinute
        ? { rateLimitPerMinute: options.rateLimitPerMinute, requestTimeoutMs: 0, clock: { nowMs: () => 0 } }
        : undefined,
      ticketOwnership: {
        self,
        ownerOf: (t) => (t.site === 'site-b' ? 1 : 0),
        peerUrl: (shard) => options.peerUrl?.(shard) ?? bases[shard],
        find: async (id) => (id === options.unknownUntilRefresh && !refreshed.has(self) ? undefined : tickets.get(id)),
        refresh: async () => void refreshed.add(self),
        timeoutMs: 5_000,
      },
    });
    const server = createHttpServer(app, { maxHeaderBytes: 16_384 });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
    bases[self] = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }
  const patch = (replica: number, id: string, body: object, headers: Record<string, string> = {}) =>
    fetch(`${bases[replica]}/api/tickets/${id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
  const close = () =>
    Promise.all(
      servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.closeAllConnections();
            s.close(() => resolve());
          })
      )
    );
  const get = (replica: number, id: string) =>
    fetch(`${bases[replica]}/api/tickets/${id}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  const notify = (replica: number, alerts: Array<{ alertname: string; site: string; host?: string }>) =>
    fetch(`${bases[replica]}/api/alerts/grafana`, {
      method: 'POST',
      headers: { authorization: `Bearer ${WEBHOOK_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        status: 'firing',
        alerts: alerts.map((labels) => ({ status: 'firing', labels, startsAt: '2026-11-27T08:00:00Z' })),
      }),
    });
  return { changes, intakes, patch, get, notify, close, bases };
}

describe('a ticket change through a replica that does not own the ticket', () => {
  it('When shard 1 owns the ticket and the change comes to replica 0, then replica 1 makes it, for the caller, and its answer comes back', async () => {
    const r = await replicas();
    try {
      const res = await r.patch(0, 'B-1', { version: 7, assignee: 'user:alice' }, { 'x-grafana-user': 'alice' });
      expect(res.status).toBe(200);
      expect(res.headers.get(SHARD_HEADER)).toBe('1');
      expect(res.headers.get('etag')).toBe('"8"');
      expect(((await res.json()) as { ticket: Ticket }).ticket).toMatchObject({
        id: 'B-1',
        assignee: 'user:alice',
        version: 8,
      });
      // The owner authenticated the caller's own headers: the change is Alice's, at her role.
      expect(r.changes).toEqual([{ replica: 1, id: 'B-1', user: 'alice', role: 'operator', assignee: 'user:alice' }]);

      // Its own ticket, replica 0 changes itself.
      const own = await r.patch(0, 'A-1', { version: 4, assignee: 'user:bob' });
      expect(own.status).toBe(200);
      expect(own.headers.get(SHARD_HEADER)).toBe('0');
      expect(r.changes[1]).toMatchObject({ replica: 0, id: 'A-1', user: 'bootstrap' });
    } finally {
      await r.close();
    }
  });

  it('When the caller is refused, then the owner says so as it would itself, and nothing changes', async () => {
    const r = await replicas();
    try {
      const forged = await fetch(`${r.bases[0]}/api/tickets/B-1`, {
        method: 'PATCH',
        headers: { authorization: 'Bearer not-the-token', 'content-type': 'application/json' },
        body: JSON.stringify({ version: 7, assignee: 'user:mallory' }),
      });
      // Refused by replica 0 already: forwarding comes after authentication.
      expect(forged.status).toBe(401);
      const bad = await r.patch(0, 'B-1', { version: 7, assignee: 'nobody' });
      expect(bad.status).toBe(400);
      expect(r.changes).toEqual([]);
    } finally {
      await r.close();
    }
  });

  it('When the owner does not answer, then the change is refused with a 503 and Retry-After, and not made elsewhere', async () => {
    // Only replica 0 runs; shard 1's address answers nothing.
    const r = await replicas({ start: [0], peerUrl: (shard) => (shard === 1 ? 'http://127.0.0.1:9' : '') });
    try {
      const res = await r.patch(0, 'B-1', { version: 7, assignee: 'user:alice' });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      const body = (await res.json()) as { error: { message: string } };
      expect(body.error.message).toMatch(
        /^ticket B-1 belongs to shard 1, whose replica \(http:\/\/127\.0\.0\.1:9\) does not answer/
      );
      expect(r.changes).toEqual([]);
    } finally {
      await r.close();
    }
  });

  it('When the ticket was opened by its owner since this replica last read, then it reads again and forwards the change', async () => {
    const r = await replicas({ unknownUntilRefresh: 'B-1' });
    try {
      const res = await r.patch(0, 'B-1', { version: 7, assignee: 'user:dana' });
      expect(res.status).toBe(200);
      expect(res.headers.get(SHARD_HEADER)).toBe('1');
      expect(r.changes).toEqual([expect.objectContaining({ replica: 1, id: 'B-1', assignee: 'user:dana' })]);
    } finally {
      await r.close();
    }
  });

  it('When a forwarded change arrives, then it is made there and never forwarded again', async () => {
    const r = await replicas();
    try {
      // Replica 1 receives a change marked as forwarded for a ticket it does not own: it makes it.
      const res = await r.patch(1, 'A-1', { version: 4, assignee: 'user:carol' }, { 'x-nocai-forwarded-by': '0' });
      expect(res.status).toBe(200);
      expect(r.changes).toEqual([expect.objectContaining({ replica: 1, id: 'A-1' })]);
    } finally {
      await r.close();
    }
  });
});

describe("Grafana's alerts through a replica that does not own them", () => {
  it('When one notification holds alerts of both shards, then each owner takes its own in, and the answer lists every ticket', async () => {
    const r = await replicas();
    try {
      const res = await r.notify(0, [
        { alertname: 'ups-a', site: 'site-a' },
        { alertname: 'ups-b', site: 'site-b' },
        { alertname: 'fan-b', site: 'site-b' },
      ]);
      expect(res.status).toBe(202);
      const body = (await res.json()) as { tickets: Ticket[]; ignored: number };
      expect(body.tickets.map((t) => t.id).sort()).toEqual(['GRA-fan-b', 'GRA-ups-a', 'GRA-ups-b']);
      // Replica 1 checked Grafana's webhook token itself and recorded the sender as replica 0 would.
      expect(r.intakes.sort((a, b) => a.replica - b.replica)).toEqual([
        { replica: 0, alerts: ['ups-a'], from: 'webhook:grafana-webhook' },
        { replica: 1, alerts: ['ups-b', 'fan-b'], from: 'webhook:grafana-webhook' },
      ]);
    } finally {
      await r.close();
    }
  });

  it('When one alert of a notification is refused, then the owners take the others in, and the answer names it by its place in the notification Grafana sent', async () => {
    const r = await replicas();
    try {
      const res = await r.notify(0, [
        { alertname: 'ups-b', site: 'site-b' },
        { alertname: 'disk-b', site: 'site-b', host: 'srv-01\\' },
        { alertname: 'ups-a', site: 'site-a' },
        { alertname: 'fan-b', site: 'site-b' },
      ]);
      expect(res.status).toBe(202);
      const body = (await res.json()) as GrafanaWebhookAnswer;
      expect(body.tickets.map((t) => t.id).sort()).toEqual(['GRA-fan-b', 'GRA-ups-a', 'GRA-ups-b']);
      expect(body.refused).toEqual([{ index: 1, reason: 'alerts.1.labels.host must not end with a backslash' }]);
      expect(r.intakes.sort((a, b) => a.replica - b.replica)).toEqual([
        { replica: 0, alerts: ['ups-a'], from: 'webhook:grafana-webhook' },
        { replica: 1, alerts: ['ups-b', 'fan-b'], from: 'webhook:grafana-webhook' },
      ]);
    } finally {
      await r.close();
    }
  });

  it('When the owner of some alerts does not answer, then the notification gets a 503 so that Grafana sends it again', async () => {
    const r = await replicas({ start: [0], peerUrl: (shard) => (shard === 1 ? 'http://127.0.0.1:9' : '') });
    try {
      const res = await r.notify(0, [
        { alertname: 'ups-a', site: 'site-a' },
        { alertname: 'ups-b', site: 'site-b' },
      ]);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      const body = (await res.json()) as { error: { message: string } };
      expect(body.error.message).toMatch(
        /^alerts of shard 1, whose replica \(http:\/\/127\.0\.0\.1:9\) does not answer/
      );
      // Its own alert replica 0 took in; taking it in again when Grafana resends changes nothing.
      expect(r.intakes).toEqual([{ replica: 0, alerts: ['ups-a'], from: 'webhook:grafana-webhook' }]);
    } finally {
      await r.close();
    }
  });
});

describe('the rate limit of a forwarded change', () => {
  it('When a change is forwarded to its owner, then it counts once against the caller, at the owner, not on both replicas', async () => {
    // Three requests a minute; the clock stands still, so every request falls in one window.
    const r = await replicas({ rateLimitPerMinute: 3 });
    try {
      for (const assignee of ['user:alice', 'user:bob']) {
        const res = await r.patch(0, 'B-1', { assignee });
        expect(res.status).toBe(200);
        expect(res.headers.get(SHARD_HEADER)).toBe('1');
      }
      // Replica 0 only passed the two changes on: its own budget for the caller is whole.
      for (let i = 0; i < 3; i++) expect((await r.get(0, 'A-1')).status).not.toBe(429);
      expect((await r.get(0, 'A-1')).status).toBe(429);
      // Replica 1 made them, and counted them: one request left there, then 429 with Retry-After.
      expect((await r.get(1, 'B-1')).status).not.toBe(429);
      const refused = await r.patch(0, 'B-1', { assignee: 'user:carol' });
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('60');
      expect(r.changes.map((c) => [c.replica, c.assignee])).toEqual([
        [1, 'user:alice'],
        [1, 'user:bob'],
      ]);
    } finally {
      await r.close();
    }
  });
});

describe('NOCAI_SHARD_PEER_URL', () => {
  it('When it names each shard with {i}, then it is accepted and gives each shard its URL; otherwise one sentence says why not', () => {
    expect(peerTemplateProblem('http://nocai-backend-{i}.nocai-backend:8080')).toBeUndefined();
    expect(peerUrlOf('http://nocai-backend-{i}.nocai-backend:8080/', 2)).toBe(
      'http://nocai-backend-2.nocai-backend:8080'
    );
    expect(peerTemplateProblem('http://nocai-backend-0:8080')).toMatch(/must contain \{i\}/);
    expect(peerTemplateProblem('nocai-backend-{i}')).toMatch(/is not a URL/);
    expect(peerTemplateProblem('ftp://nocai-backend-{i}')).toMatch(/must be an http/);
  });
});
