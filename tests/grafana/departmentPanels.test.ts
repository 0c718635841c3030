/**
 * @jest-environment ../inference-backend/src/adapters/onnx/onnxruntimeTestEnvironment.js
 */
import { DEPARTMENTS, OUTPUT, type ClassifiedEvent, type EventsFilter } from '@nocai/contract';
import { toLineProtocol } from '../../inference-backend/src/adapters/influx/lineProtocol';
import type { SeriesPoint } from '../../inference-backend/src/domain/series';
import { startTestBackend, type TestBackend } from '../support/service';
import { interpolateInfluxQuery } from './grafanaInfluxQL';
import { readText } from './repo';

interface Target {
  query?: string;
  alias?: string;
}
interface Panel {
  title: string;
  targets?: Target[];
  panels?: Panel[];
}

const MINUTE_MS = 60_000;
const E = OUTPUT.events;

const triage = JSON.parse(readText('dashboards', 'noc-triage.json')) as { panels: Panel[] };
const allPanels = (panels: Panel[]): Panel[] => panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
const panel = (title: string) => allPanels(triage.panels).find((p) => p.title === title);

/**
 * NOC triage's InfluxDB panels on aiops_events (Events by class, Decision mix) as Grafana runs them with a
 * department chosen: the hidden `$routed_events` variable holds what the NOC AI data source got from
 * `GET /api/events/filter?department=…`, and the panel's query runs on the influxd the backend writes to.
 */
describe('NOC triage event panels with a department chosen, against a real influxd', () => {
  let backend: TestBackend;
  const toMs = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS;
  const fromMs = toMs - 60 * MINUTE_MS;

  const event = (hostname: string, eventClass: string, deviceKind: string, decision: string): SeriesPoint => ({
    measurement: E.measurement,
    tags: {
      [E.tags.hostname]: hostname,
      [E.tags.site]: 'plant-d',
      [E.tags.siteKind]: 'factory',
      // An unknown device's event has no device_kind tag.
      [E.tags.deviceKind]: deviceKind,
      [E.tags.eventClass]: eventClass,
    },
    fields: {
      [E.fields.decision]: decision,
      [E.fields.message]: `fault on ${hostname}`,
      [E.fields.confidence]: 0.9,
      [E.fields.modelVersion]: 'm-1',
    },
    timeUs: (toMs - 5 * MINUTE_MS) * 1000,
  });

  beforeAll(async () => {
    backend = await startTestBackend();
    const points = [
      event('ups-1', 'power', 'ups', 'alert'),
      event('plc-1', 'hardware', 'plc', 'alert'),
      event('srv-9', 'hardware', 'server', 'alert'),
      event('mystery-1', 'hardware', '', 'needs_review'),
      event('sw-1', 'network', 'network_switch', 'noise'),
      event('hvac-1', 'environment', 'sensor', 'false_alarm'),
      event('fw-1', 'security', 'router', 'noise'),
      event('app-1', 'software', 'server', 'alert'),
      event('app-2', 'informational', 'server', 'noise'),
    ];
    await backend.influx.client.writeLines(backend.outputDb, points.map(toLineProtocol));
  });
  afterAll(() => backend?.stop());

  /** `$routed_events` for `departments` (a list in the API's syntax), All when undefined. */
  const routedEvents = async (departments?: string): Promise<string> => {
    const query = departments === undefined ? '' : `?department=${encodeURIComponent(departments)}`;
    const res = await backend.call(`/api/events/filter${query}`);
    expect(res.status).toBe(200);
    return ((await res.json()) as EventsFilter).influxql;
  };
  const run = async (query: string, departments?: string) => {
    const variables = { site: '.*', routed_events: await routedEvents(departments) };
    const sent = interpolateInfluxQuery(query, { fromMs, toMs, intervalMs: 10 * MINUTE_MS, variables });
    return backend.influx.client.query(backend.outputDb, sent);
  };
  /** Events by class: the events counted per class over the range. */
  const eventsByClass = async (departments?: string): Promise<Record<string, number>> => {
    const query = panel('Events by class')?.targets?.[0]?.query ?? '';
    const counts: Record<string, number> = {};
    for (const series of await run(query, departments)) {
      const total = series.rows.reduce((sum, row) => sum + Number(row.count ?? 0), 0);
      if (total > 0) counts[series.tags.class] = total;
    }
    return counts;
  };
  /** Decision mix: the count of each decision's query. */
  const decisionMix = async (departments?: string): Promise<Record<string, number>> => {
    const mix: Record<string, number> = {};
    for (const target of panel('Decision mix')?.targets ?? []) {
      const rows = (await run(target.query ?? '', departments)).flatMap((s) => s.rows);
      mix[target.alias ?? ''] = rows.reduce((sum, row) => sum + Number(row.count ?? 0), 0);
    }
    return mix;
  };

  it('When facilities is chosen, then Events by class shows only environment events', async () => {
    expect(await eventsByClass('facilities')).toEqual({ environment: 1 });
  });

  it('When maintenance is chosen, then Events by class counts the PLC hardware fault, not the server one field technicians get', async () => {
    expect(await eventsByClass('maintenance')).toEqual({ hardware: 1 });
    // A device the inventory does not know is IT gear to the routing: field technicians.
    expect(await eventsByClass('field_technicians,network_ops')).toEqual({ power: 1, hardware: 2, network: 1 });
  });

  it('When the department is All, then Events by class shows every class', async () => {
    expect(await eventsByClass()).toEqual({
      power: 1,
      hardware: 3,
      network: 1,
      environment: 1,
      security: 1,
      software: 1,
      informational: 1,
    });
  });

  it('When IT operations is chosen, then Decision mix counts the decisions on its events only', async () => {
    expect(await decisionMix('it_ops')).toEqual({ alert: 1, noise: 1, false_alarm: 0, needs_review: 0 });
    expect(await decisionMix()).toEqual({ alert: 4, noise: 3, false_alarm: 1, needs_review: 1 });
  });

  it.each(DEPARTMENTS)(
    'When %s is chosen, then Events by class counts the events Latest classified events lists for it',
    async (department) => {
      const res = await backend.call(`/api/events?department=${department}&from=${fromMs}&to=${toMs}`);
      const listed = ((await res.json()) as { events: ClassifiedEvent[] }).events;
      const byClass: Record<string, number> = {};
      for (const e of listed) byClass[e.eventClass] = (byClass[e.eventClass] ?? 0) + 1;
      expect(await eventsByClass(department)).toEqual(byClass);
    }
  );

  it('When the departments name one the routing does not know, then the condition is refused naming the six', async () => {
    const res = await backend.call(`/api/events/filter?department=${encodeURIComponent('facilites')}`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe(
      `department must be one of ${DEPARTMENTS.join(', ')} (got "facilites")`
    );
  });
});
