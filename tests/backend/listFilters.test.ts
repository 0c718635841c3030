/**
 * @jest-environment ../inference-backend/src/adapters/onnx/onnxruntimeTestEnvironment.js
 */
import fc from 'fast-check';
import {
  ANOMALY_SERIES,
  joinValueList,
  OUTPUT,
  tagValueProblem,
  TICKET_SERIES,
  type ClassifiedEvent,
  type DepartmentValues,
  type EventsFilter,
  type SeriesPage,
  type Ticket,
  type TicketsPage,
} from '@nocai/contract';
import { toLineProtocol } from '../../inference-backend/src/adapters/influx/lineProtocol';
import { ticketPoint } from '../../inference-backend/src/adapters/influx/ticketsRepository';
import type { SeriesPoint } from '../../inference-backend/src/domain/series';
import { sampleTicket } from '../../inference-backend/src/domain/tickets/ticketFixture';
import { freshDatabase } from '../support/influx';
import { outputDatabaseOf, startTestBackend, type TestBackend } from '../support/service';

const MINUTE_MS = 60_000;

/** A Grafana alert of a link down at `site`, firing since five minutes before `nowMs`. */
function linkDown(site: string, fingerprint: string, nowMs: number) {
  return {
    status: 'firing',
    labels: { alertname: 'Link down', site, severity: 'critical' },
    annotations: { summary: `Interface Gi0/1 on the core switch of ${site} changed state to down` },
    startsAt: new Date(nowMs - 5 * MINUTE_MS).toISOString(),
    fingerprint,
  };
}

/**
 * A Grafana multi-value variable reaches the API as a comma-separated list (the data source sends
 * `site=hospital-a,factory-b`): every list endpoint the data source filters reads it as "any of these".
 */
describe('list filters with several values, against a real influxd', () => {
  let backend: TestBackend;
  const nowMs = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS;
  const from = nowMs - 3_600_000;
  // A host name that tries to close the regex of a list filter and widen it.
  const sneaky = 'srv-1|srv-2';

  beforeAll(async () => {
    backend = await startTestBackend();
    const alert = (site: string, fingerprint: string) => linkDown(site, fingerprint, nowMs);
    const fired = await backend.call('/api/alerts/grafana', {
      method: 'POST',
      body: JSON.stringify({
        status: 'firing',
        alerts: [alert('hospital-a', 'f1'), alert('factory-b', 'f2'), alert('school-c', 'f3')],
      }),
    });
    expect(fired.status).toBe(202);

    const anomaly = (host: string): SeriesPoint => ({
      measurement: ANOMALY_SERIES.measurement,
      tags: { host, site: 'hosp-01', device_kind: 'server', metric: 'cpu.usage_user', detector: 'mad' },
      fields: { score: 0.9, value: 97.5, expected: 31, lower: 12, upper: 55, model_version: 'mad-1' },
      timeUs: (nowMs - 2 * MINUTE_MS) * 1000,
    });
    const E = OUTPUT.events;
    const event = (hostname: string, eventClass: string, minutesAgo: number): SeriesPoint => ({
      measurement: E.measurement,
      tags: {
        [E.tags.hostname]: hostname,
        [E.tags.appname]: 'kernel',
        [E.tags.facility]: 'kern',
        [E.tags.severity]: 'err',
        [E.tags.site]: 'hosp-01',
        [E.tags.siteKind]: 'hospital',
        [E.tags.deviceKind]: 'server',
        [E.tags.eventClass]: eventClass,
      },
      fields: {
        [E.fields.decision]: 'alert',
        [E.fields.templateId]: 't-1',
        [E.fields.template]: 'link <*> down',
        [E.fields.message]: `link down on ${hostname}`,
        [E.fields.confidence]: 0.9,
        [E.fields.modelVersion]: 'm-1',
      },
      timeUs: (nowMs - minutesAgo * MINUTE_MS) * 1000,
    });
    const points = [
      anomaly('srv-1'),
      anomaly('srv-2'),
      anomaly('srv-3'),
      anomaly(sneaky),
      event('srv-1', 'network', 3),
      event('srv-2', 'power', 2),
      event('srv-3', 'security', 1),
    ];
    await backend.influx.client.writeLines(backend.outputDb, points.map(toLineProtocol));
  });
  afterAll(() => backend?.stop());

  const ok = async <T>(path: string): Promise<T> => {
    const res = await backend.call(path);
    expect(res.status).toBe(200);
    return (await res.json()) as T;
  };
  const refusal = async (path: string) => {
    const res = await backend.call(path);
    return { status: res.status, message: ((await res.json()) as { error: { message: string } }).error.message };
  };
  const sitesOf = (page: TicketsPage) => page.tickets.map((t) => t.site).sort();

  it('When tickets are listed for two sites, then the tickets of both come back and no other', async () => {
    expect(sitesOf(await ok(`/api/tickets?site=hospital-a,factory-b&from=${from}`))).toEqual([
      'factory-b',
      'hospital-a',
    ]);
    // Spaces around the values (a hand-written URL, `a, b`) are not part of them.
    expect(sitesOf(await ok(`/api/tickets?site=${encodeURIComponent(' school-c , factory-b ')}&from=${from}`))).toEqual(
      ['factory-b', 'school-c']
    );
    // One value is a list of one, as before.
    expect(sitesOf(await ok(`/api/tickets?site=school-c&from=${from}`))).toEqual(['school-c']);
    const statuses = await ok<TicketsPage>(`/api/tickets?status=open,needs_review&priority=P1,P2,P3,P4&from=${from}`);
    expect(statuses.total).toBe(3);
  });

  it('When a list filter has an empty item or a value that is not allowed, then the list is refused with 400 saying which', async () => {
    expect(await refusal('/api/tickets?site=hospital-a,,factory-b')).toEqual({
      status: 400,
      message: 'site must be one value or a comma-separated list of values, without an empty one',
    });
    expect(await refusal('/api/tickets?site=hospital-a,')).toMatchObject({ status: 400 });
    expect(await refusal('/api/tickets?status=open,done')).toEqual({
      status: 400,
      message:
        'status must be one of needs_review, open, acknowledged, in_progress, resolved, auto_resolved, closed (got "done")',
    });
    expect(await refusal('/api/events?class=network,weather')).toMatchObject({
      status: 400,
      message: expect.stringMatching(/^class must be one of power, .* \(got "weather"\)$/),
    });
    expect(await refusal('/api/series/anomalies?host=srv-1,%20')).toMatchObject({
      status: 400,
      message: expect.stringMatching(/^host must be one value or a comma-separated list/),
    });
  });

  it('When a filter is given twice instead of as a list, then the list is refused with 400 naming it and saying how to list values', async () => {
    const twice = (name: string) =>
      `${name} is given more than once: give it once, with a comma-separated list for several values (${name}=a,b)`;
    expect(await refusal('/api/tickets?status=open&status=resolved')).toEqual({
      status: 400,
      message: twice('status'),
    });
    expect(await refusal(`/api/events?from=${from}&from=now-1d`)).toEqual({ status: 400, message: twice('from') });
    expect(await refusal('/api/series/anomalies?host=srv-1&host=srv-3')).toEqual({
      status: 400,
      message: twice('host'),
    });
  });

  it('When events are asked for two hosts or two classes, then the events of either come back, newest first', async () => {
    const byHost = await ok<{ events: ClassifiedEvent[] }>(`/api/events?host=srv-1,srv-3&from=${from}`);
    expect(byHost.events.map((e) => e.hostname)).toEqual(['srv-3', 'srv-1']);
    const byClass = await ok<{ events: ClassifiedEvent[] }>(`/api/events?class=network,power&from=${from}`);
    expect(byClass.events.map((e) => e.eventClass)).toEqual(['power', 'network']);
  });

  it('When a series is asked for two hosts, then both come back, and a value with regex characters matches only itself', async () => {
    const two = await ok<SeriesPage>(`/api/series/anomalies?host=srv-1,srv-2&from=${from}`);
    expect(two.rows.map((r) => r.tags.host).sort()).toEqual(['srv-1', 'srv-2']);
    const exact = await ok<SeriesPage>(
      `/api/series/anomalies?host=${encodeURIComponent(`${sneaky},srv-3`)}&from=${from}`
    );
    expect(exact.rows.map((r) => r.tags.host).sort()).toEqual([sneaky, 'srv-3']);
  });
});

/**
 * Events carry no department: the events list's department filter keeps the events the routing sends there
 * (by class, and by device kind for hardware), so an events panel follows a dashboard's `$department`. And a
 * value holding a comma (a site named "Paris, North") is filtered exactly, written `\,` in the list.
 */
describe('department and comma-holding values in list filters, against a real influxd', () => {
  let backend: TestBackend;
  const nowMs = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS;
  const from = nowMs - 3_600_000;
  const E = OUTPUT.events;
  const event = (
    hostname: string,
    eventClass: string,
    where: { site: string; deviceKind?: string },
    minutesAgo: number
  ): SeriesPoint => ({
    measurement: E.measurement,
    tags: {
      [E.tags.hostname]: hostname,
      [E.tags.appname]: 'kernel',
      [E.tags.facility]: 'kern',
      [E.tags.severity]: 'err',
      [E.tags.site]: where.site,
      [E.tags.siteKind]: 'factory',
      // An unknown device's event has no device_kind tag (the log stage writes it empty).
      [E.tags.deviceKind]: where.deviceKind ?? '',
      [E.tags.eventClass]: eventClass,
    },
    fields: {
      [E.fields.decision]: 'alert',
      [E.fields.templateId]: 't-1',
      [E.fields.template]: 'fault on <*>',
      [E.fields.message]: `fault on ${hostname}`,
      [E.fields.confidence]: 0.9,
      [E.fields.modelVersion]: 'm-1',
    },
    timeUs: (nowMs - minutesAgo * MINUTE_MS) * 1000,
  });
  const anomaly = (host: string, site: string): SeriesPoint => ({
    measurement: ANOMALY_SERIES.measurement,
    tags: { host, site, device_kind: 'server', metric: 'cpu.usage_user', detector: 'mad' },
    fields: { score: 0.9, value: 97.5, expected: 31, lower: 12, upper: 55, model_version: 'mad-1' },
    timeUs: (nowMs - 2 * MINUTE_MS) * 1000,
  });

  beforeAll(async () => {
    backend = await startTestBackend();
    const alert = (site: string, fingerprint: string) => linkDown(site, fingerprint, nowMs);
    const fired = await backend.call('/api/alerts/grafana', {
      method: 'POST',
      body: JSON.stringify({
        status: 'firing',
        alerts: [alert('Paris, North', 'p1'), alert('Paris', 'p2'), alert('North', 'p3')],
      }),
    });
    expect(fired.status).toBe(202);
    const points = [
      event('ups-1', 'power', { site: 'plant-d', deviceKind: 'ups' }, 6),
      event('plc-1', 'hardware', { site: 'plant-d', deviceKind: 'plc' }, 5),
      event('srv-9', 'hardware', { site: 'plant-d', deviceKind: 'server' }, 4),
      event('mystery-1', 'hardware', { site: 'plant-d' }, 3),
      event('sw-1', 'network', { site: 'plant-d', deviceKind: 'network_switch' }, 2),
      event('sw-2', 'network', { site: 'Paris, North', deviceKind: 'network_switch' }, 1),
      event('sw-3', 'network', { site: 'Paris', deviceKind: 'network_switch' }, 1),
      anomaly('srv-p1', 'Paris, North'),
      anomaly('srv-p2', 'Paris'),
    ];
    await backend.influx.client.writeLines(backend.outputDb, points.map(toLineProtocol));
  });
  afterAll(() => backend?.stop());

  const ok = async <T>(path: string): Promise<T> => {
    const res = await backend.call(path);
    expect(res.status).toBe(200);
    return (await res.json()) as T;
  };
  const hostsOf = async (query: string) =>
    (await ok<{ events: ClassifiedEvent[] }>(`/api/events?${query}&from=${from}`)).events.map((e) => e.hostname);
  const ticketSites = async (site: string) =>
    (await ok<TicketsPage>(`/api/tickets?site=${encodeURIComponent(site)}&from=${from}`)).tickets
      .map((t) => t.site)
      .sort();

  it('When the events of field technicians are asked for, then power events and hardware events of IT gear come back, not PLC or network events', async () => {
    expect(await hostsOf('department=field_technicians')).toEqual(['mystery-1', 'srv-9', 'ups-1']);
    expect(await hostsOf('department=maintenance')).toEqual(['plc-1']);
    expect(await hostsOf('department=network_ops&site=plant-d')).toEqual(['sw-1']);
    expect(await hostsOf('department=security,facilities')).toEqual([]);
  });

  it('When departments are a list or meet a class filter, then events routed to any of them and of that class come back', async () => {
    expect(await hostsOf('department=maintenance,network_ops&site=plant-d')).toEqual(['sw-1', 'plc-1']);
    expect(await hostsOf('department=field_technicians&class=power')).toEqual(['ups-1']);
    expect(await hostsOf('department=network_ops&class=power')).toEqual([]);
  });

  it('When the department is not one the routing knows, then the events list is refused with 400 naming the departments', async () => {
    const res = await backend.call(`/api/events?department=${encodeURIComponent('maintenance,plumbing')}`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe(
      'department must be one of field_technicians, network_ops, it_ops, security, facilities, maintenance (got "plumbing")'
    );
  });

  it('When a site holding a comma is asked for with the comma escaped, then its tickets, events and series come back and no other site', async () => {
    expect(await ticketSites('Paris\\, North')).toEqual(['Paris, North']);
    expect(await ticketSites('Paris\\, North,North')).toEqual(['North', 'Paris, North']);
    // Unescaped, the comma separates two sites, as lists always read.
    expect(await ticketSites('Paris, North')).toEqual(['North', 'Paris']);
    expect(await hostsOf(`site=${encodeURIComponent('Paris\\, North')}`)).toEqual(['sw-2']);
    const series = await ok<SeriesPage>(
      `/api/series/anomalies?site=${encodeURIComponent('Paris\\, North')}&from=${from}`
    );
    expect(series.rows.map((r) => r.tags.host)).toEqual(['srv-p1']);
  });

  it('When any sites, commas and backslashes included, are joined as the data source joins them, then exactly their events come back', async () => {
    const siteName = fc
      .string({ unit: fc.constantFrom(',', '\\', ' ', 'a', 'b', '|', '.', 'é'), minLength: 1, maxLength: 8 })
      .map((name) => `s-${name}`.trim())
      .filter((name) => tagValueProblem(name) === undefined);
    let minutesAgo = 10;
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(siteName, { minLength: 1, maxLength: 4 }), async (sites) => {
        minutesAgo += 1;
        const points = sites.map((site, i) => event(`h-${i}`, 'network', { site }, minutesAgo));
        await backend.influx.client.writeLines(backend.outputDb, points.map(toLineProtocol));
        const asked = sites.slice(0, Math.max(1, sites.length - 1));

        const res = await ok<{ events: ClassifiedEvent[] }>(
          `/api/events?site=${encodeURIComponent(joinValueList(asked))}&from=${from}&limit=10000`
        );

        expect([...new Set(res.events.map((e) => e.site))].sort()).toEqual([...asked].sort());
      }),
      { numRuns: 25 }
    );
  });
});

/**
 * The department filter of the tickets list, the events list and the events condition accepts the six departments
 * the routing knows and any department a ticket carries: a department model trained on an organisation's own
 * ticket history (`nocai train --department`) routes tickets to that organisation's names, and Grafana's
 * `$department` (the tag values of aiops_tickets) offers them. Anything else is a typo, refused naming those.
 */
describe("the department filter with an organisation's own department, against a real influxd", () => {
  let backend: TestBackend;
  const nowMs = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS;
  const from = nowMs - 3_600_000;
  const E = OUTPUT.events;
  const ACCEPTED = 'field_technicians, network_ops, it_ops, security, facilities, maintenance, noc_tier2';

  beforeAll(async () => {
    const influx = await freshDatabase('svc_in');
    const outputDb = outputDatabaseOf(influx.database);
    await influx.client.createDatabase(outputDb);
    const opened = nowMs - 10 * MINUTE_MS;
    const tier2 = ticketPoint(
      sampleTicket({ id: 'CMP-t2', site: 'hq', host: 'hq-srv-1', openedAtMs: opened, updatedAtMs: opened }),
      opened * 1000
    );
    // As the ticket router stores the label of a department model trained on the organisation's history.
    tier2.tags[TICKET_SERIES.tags.department] = 'noc_tier2';
    const facilities = ticketPoint(
      sampleTicket({ id: 'CMP-fac', site: 'hq', host: 'hq-hvac-1', openedAtMs: opened, updatedAtMs: opened }),
      opened * 1000 + 1
    );
    const environment: SeriesPoint = {
      measurement: E.measurement,
      tags: { [E.tags.hostname]: 'hq-hvac-1', [E.tags.site]: 'hq', [E.tags.eventClass]: 'environment' },
      fields: { [E.fields.decision]: 'alert', [E.fields.message]: 'temperature high', [E.fields.confidence]: 0.9 },
      timeUs: (nowMs - 5 * MINUTE_MS) * 1000,
    };
    await influx.client.writeLines(outputDb, [tier2, facilities, environment].map(toLineProtocol));
    backend = await startTestBackend({}, influx);
  });
  afterAll(() => backend?.stop());

  const answer = async (path: string) => {
    const res = await backend.call(path);
    const body = (await res.json()) as { tickets?: Ticket[]; events?: ClassifiedEvent[]; error?: { message: string } };
    return { status: res.status, body };
  };

  it("When tickets are asked for by the organisation's own department, then its tickets come back", async () => {
    const { status, body } = await answer(`/api/tickets?department=noc_tier2&from=${from}`);
    expect(status).toBe(200);
    expect(body.tickets?.map((t) => [t.id, t.department])).toEqual([['CMP-t2', 'noc_tier2']]);
  });

  it('When a department is mistyped, then the tickets list, the events list and the events condition refuse it naming the departments accepted', async () => {
    for (const path of ['/api/tickets', '/api/events', '/api/events/filter']) {
      const { status, body } = await answer(`${path}?department=${encodeURIComponent('facilities,facilites')}`);
      expect({ path, status, message: body.error?.message }).toEqual({
        path,
        status: 400,
        message: `department must be one of ${ACCEPTED} (got "facilites")`,
      });
    }
  });

  it("When Grafana asks for the departments, then the six come first and the organisation's own after them, as a correction accepts them", async () => {
    const res = await backend.call('/api/values/department');
    expect(res.status).toBe(200);
    const body = (await res.json()) as DepartmentValues;
    expect(body).toEqual({ tag: 'department', values: ACCEPTED.split(', ') });
    const ranged = await backend.call('/api/values/department?from=now-1h');
    expect({ status: ranged.status, body: await ranged.json() }).toMatchObject({
      status: 400,
      body: { error: { message: '/api/values/department takes no parameters (got from)' } },
    });
  });

  it('When one of the six departments has no ticket, then the tickets list is empty, not refused', async () => {
    const { status, body } = await answer(`/api/tickets?department=security&from=${from}`);
    expect({ status, tickets: body.tickets }).toEqual({ status: 200, tickets: [] });
  });

  const correct = (id: string, department: string, version: number) =>
    backend.call(`/api/tickets/${id}`, {
      method: 'PATCH',
      body: JSON.stringify({ department, version, comment: 'belongs to the second line' }),
    });

  it("When an operator corrects a ticket to the organisation's own department, then the ticket is in it and found by its filter", async () => {
    const res = await correct('CMP-fac', 'noc_tier2', 0);
    const body = (await res.json()) as { ticket?: Ticket; error?: { message: string } };
    expect({ status: res.status, department: body.ticket?.department, corrected: body.ticket?.corrected }).toEqual({
      status: 200,
      department: 'noc_tier2',
      corrected: ['department'],
    });
    const { body: listed } = await answer(`/api/tickets?department=noc_tier2&from=${from}`);
    expect(listed.tickets?.map((t) => t.id).sort()).toEqual(['CMP-fac', 'CMP-t2']);
  });

  it('When an operator corrects a ticket to a department no ticket carries and no model routes to, then it is refused naming the departments accepted', async () => {
    const res = await correct('CMP-t2', 'radiology', 0);
    const body = (await res.json()) as { error?: { message: string } };
    expect({ status: res.status, message: body.error?.message }).toEqual({
      status: 400,
      message: `department must be one of ${ACCEPTED} (got "radiology")`,
    });
    const { body: detail } = await answer('/api/tickets/CMP-t2');
    expect((detail as unknown as { ticket: Ticket }).ticket).toMatchObject({ department: 'noc_tier2', version: 0 });
  });

  it("When events are asked for by the organisation's own department, then none come back: the routing sends none there", async () => {
    const hosts = async (departments: string) =>
      (await answer(`/api/events?department=${departments}&from=${from}`)).body.events?.map((e) => e.hostname);
    expect(await hosts('noc_tier2')).toEqual([]);
    expect(await hosts('noc_tier2,facilities')).toEqual(['hq-hvac-1']);
    // The condition NOC triage's event panels filter with keeps nothing either.
    const res = await backend.call('/api/events/filter?department=noc_tier2');
    const { influxql } = (await res.json()) as EventsFilter;
    const counted = await backend.influx.client.query(
      backend.outputDb,
      `SELECT count("decision") FROM "aiops_events" WHERE ${influxql}`
    );
    expect(counted).toEqual([]);
  });
});
