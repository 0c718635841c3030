/**
 * @jest-environment ../inference-backend/src/adapters/onnx/onnxruntimeTestEnvironment.js
 */
import {
  ANOMALY_SERIES,
  DEPARTMENTS,
  OUTPUT,
  SILENCE_SERIES,
  type ClassifiedEvent,
  type Department,
  type EventClass,
  type EventsFilter,
} from '@nocai/contract';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../inference-backend/src/config';
import { formatInventory, generateInventory } from '../../inference-backend/src/simulator';
import { toLineProtocol } from '../../inference-backend/src/adapters/influx/lineProtocol';
import { departmentFor, silenceClass } from '../../inference-backend/src/domain/incidents';
import { anomalyClass } from '../../inference-backend/src/domain/timeseries/anomalyEvidence';
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

/** A silence of `host` at `site` in aiops_silences, as the pipeline writes it. */
function silencePoint(site: string, host: string, deviceKind: string, timeUs: number, toMs: number): SeriesPoint {
  return {
    measurement: SILENCE_SERIES.measurement,
    tags: {
      [SILENCE_SERIES.tags.site]: site,
      [SILENCE_SERIES.tags.host]: host,
      [SILENCE_SERIES.tags.deviceKind]: deviceKind,
      [SILENCE_SERIES.tags.state]: 'silent',
    },
    fields: {
      [SILENCE_SERIES.fields.silentSinceMs]: toMs - 10 * MINUTE_MS,
      [SILENCE_SERIES.fields.cadenceS]: 60,
      [SILENCE_SERIES.fields.rootCauseHost]: '',
    },
    timeUs,
  };
}

/** A high anomaly score of `metric` on `host` at `site` in aiops_anomalies. */
function scorePoint(site: string, host: string, deviceKind: string, metric: string, timeUs: number): SeriesPoint {
  return {
    measurement: ANOMALY_SERIES.measurement,
    tags: {
      [ANOMALY_SERIES.tags.site]: site,
      [ANOMALY_SERIES.tags.host]: host,
      [ANOMALY_SERIES.tags.deviceKind]: deviceKind,
      [ANOMALY_SERIES.tags.metric]: metric,
      [ANOMALY_SERIES.tags.detector]: 'mad',
    },
    fields: { [ANOMALY_SERIES.fields.score]: 0.95, [ANOMALY_SERIES.fields.value]: 1 },
    timeUs,
  };
}

/**
 * Devices that went silent and Anomaly scores as Grafana runs them on the backend's influxd: `$routed_silences` and
 * `$routed_anomalies` hold what `GET /api/series/silences|anomalies/filter?department=…` answered (All when
 * `departments` is undefined).
 */
function devicePanels(backendOf: () => TestBackend, fromMs: number, toMs: number) {
  const routed = async (of: 'silences' | 'anomalies', departments?: string): Promise<string> => {
    const query = departments === undefined ? '' : `?department=${encodeURIComponent(departments)}`;
    const res = await backendOf().call(`/api/series/${of}/filter${query}`);
    expect(res.status).toBe(200);
    return ((await res.json()) as EventsFilter).influxql;
  };
  const run = async (title: string, variables: Record<string, string>) => {
    const query = panel(title)?.targets?.[0]?.query ?? '';
    const sent = interpolateInfluxQuery(query, {
      fromMs,
      toMs,
      intervalMs: 10 * MINUTE_MS,
      variables: { site: '.*', ...variables },
    });
    return backendOf().influx.client.query(backendOf().outputDb, sent);
  };
  /** Devices that went silent: the hosts listed. */
  const silentHosts = async (departments?: string): Promise<string[]> => {
    const series = await run('Devices that went silent', { routed_silences: await routed('silences', departments) });
    return series.flatMap((s) => s.rows.map((row) => String(row.host))).sort();
  };
  /** Anomaly scores: the `host metric` lines drawn. */
  const scoredLines = async (departments?: string): Promise<string[]> => {
    const series = await run('Anomaly scores', { routed_anomalies: await routed('anomalies', departments) });
    return series
      .filter((s) => s.rows.some((row) => row.max !== null))
      .map((s) => `${s.tags.host} ${s.tags.metric}`)
      .sort();
  };
  return { silentHosts, scoredLines };
}

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

/**
 * NOC triage's device-level panels (Devices that went silent, Anomaly scores) with a department chosen: neither
 * series stores a department, so `$routed_silences` and `$routed_anomalies` hold what the NOC AI data source got
 * from `GET /api/series/silences|anomalies/filter?department=…`, and the panel's query runs on the real influxd.
 * A silence goes where the routing sends its device's silence (by device kind), an anomaly where it sends that
 * metric's anomaly on that kind of device.
 */
describe('NOC triage silent devices and anomaly scores with a department chosen, against a real influxd', () => {
  let backend: TestBackend;
  const toMs = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS;
  const fromMs = toMs - 60 * MINUTE_MS;
  const timeUs = (toMs - 5 * MINUTE_MS) * 1000;

  /** Host, device kind ('' for a device the inventory does not know) and the department its silence goes to. */
  const SILENT: ReadonlyArray<[string, string, Department]> = [
    ['ups-1', 'ups', 'field_technicians'],
    ['srv-1', 'server', 'field_technicians'],
    ['mon-1', 'patient_monitor', 'field_technicians'],
    ['odd-1', '', 'field_technicians'],
    ['sw-1', 'network_switch', 'network_ops'],
    ['rtr-1', 'router', 'network_ops'],
    ['plc-1', 'plc', 'maintenance'],
    ['sen-1', 'sensor', 'maintenance'],
  ];
  /** Host, device kind, metric and the department that metric's anomaly on that device goes to. */
  const SCORED: ReadonlyArray<[string, string, string, Department]> = [
    ['sen-1', 'sensor', 'sensors.temperature_c', 'facilities'],
    ['sen-1', 'sensor', 'sensors.humidity_pct', 'facilities'],
    ['plc-1', 'plc', 'sensors.temperature_c', 'maintenance'],
    ['plc-1', 'plc', 'sensors.vibration_mm_s', 'maintenance'],
    ['plc-1', 'plc', 'sensors.power_w', 'field_technicians'],
    ['mon-1', 'patient_monitor', 'sensors.temperature_c', 'field_technicians'],
    ['srv-1', 'server', 'disk.used_percent', 'it_ops'],
    ['srv-1', 'server', 'cpu.usage_user', 'it_ops'],
    ['sw-1', 'network_switch', 'net.bytes_recv', 'network_ops'],
    ['odd-1', '', 'mem.used_percent', 'it_ops'],
  ];

  beforeAll(async () => {
    backend = await startTestBackend();
    const silence = ([host, deviceKind]: readonly [string, string, Department]) =>
      silencePoint('plant-d', host, deviceKind, timeUs, toMs);
    const score = ([host, deviceKind, metric]: readonly [string, string, string, Department]) =>
      scorePoint('plant-d', host, deviceKind, metric, timeUs);
    await backend.influx.client.writeLines(
      backend.outputDb,
      [...SILENT.map(silence), ...SCORED.map(score)].map(toLineProtocol)
    );
  });
  afterAll(() => backend?.stop());

  const { silentHosts, scoredLines } = devicePanels(() => backend, fromMs, toMs);

  it('When network ops is chosen, then Devices that went silent lists the switch and the router only', async () => {
    expect(await silentHosts('network_ops')).toEqual(['rtr-1', 'sw-1']);
  });

  it('When facilities is chosen, then no silent device is listed (a sensor going silent is maintenance work) but the room sensor anomalies are drawn', async () => {
    expect(await silentHosts('facilities')).toEqual([]);
    expect(await scoredLines('facilities')).toEqual(['sen-1 sensors.humidity_pct', 'sen-1 sensors.temperature_c']);
  });

  it("When maintenance is chosen, then the PLC's temperature and vibration anomalies are drawn, not its power reading", async () => {
    expect(await scoredLines('maintenance')).toEqual(['plc-1 sensors.temperature_c', 'plc-1 sensors.vibration_mm_s']);
  });

  it('When the department is All, then every silent device and every anomaly line shows', async () => {
    expect(await silentHosts()).toEqual(SILENT.map(([host]) => host).sort());
    expect(await scoredLines()).toEqual(SCORED.map(([host, , metric]) => `${host} ${metric}`).sort());
  });

  it.each(DEPARTMENTS)(
    'When %s is chosen, then both panels show exactly the devices and metrics the routing sends there',
    async (department) => {
      expect(await silentHosts(department)).toEqual(
        SILENT.filter(([, , to]) => to === department)
          .map(([host]) => host)
          .sort()
      );
      expect(await scoredLines(department)).toEqual(
        SCORED.filter(([, , , to]) => to === department)
          .map(([host, , metric]) => `${host} ${metric}`)
          .sort()
      );
    }
  );

  it("When two departments are chosen, then either one's silent devices show", async () => {
    expect(await silentHosts('network_ops,maintenance')).toEqual(['plc-1', 'rtr-1', 'sen-1', 'sw-1']);
  });

  it('When the routing of each silence and anomaly above is worked out by the backend itself, then it is the department the panels show it under', () => {
    for (const [, deviceKind, to] of SILENT) {
      expect(departmentFor(silenceClass(deviceKind), deviceKind, '')).toBe(to);
    }
    for (const [, deviceKind, metric, to] of SCORED) {
      expect(departmentFor(anomalyClass(metric, deviceKind), deviceKind, '')).toBe(to);
    }
  });

  it('When a series without a department filter is asked for, then it is a 404 naming those that have one', async () => {
    const res = await backend.call('/api/series/forecasts/filter');
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe(
      'no department filter for forecasts: use one of silences, anomalies'
    );
  });
});

/**
 * With power routed by site kind (NOCAI_POWER_DEPARTMENT_BY_SITE_KIND=hospital=facilities: a hospital's power is
 * its facilities team's), Devices that went silent and Anomaly scores follow that routing: neither series stores a
 * site kind, so the filter names the inventory's sites of that kind.
 */
describe('NOC triage silent devices and anomaly scores with power routed by site kind, against a real influxd', () => {
  let backend: TestBackend;
  const dir = mkdtempSync(join(tmpdir(), 'nocai-power-routing-'));
  const inventory = generateInventory({ seed: 11, sites: 4 });
  const siteOf = (kind: string) => inventory.sites.find((site) => site.kind === kind)?.id ?? '';
  const hospital = siteOf('hospital');
  const factory = siteOf('factory');
  const POWER = { hospital: 'facilities' } as const;
  const toMs = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS;
  const fromMs = toMs - 60 * MINUTE_MS;
  const timeUs = (toMs - 5 * MINUTE_MS) * 1000;
  /** Site, host, device kind; a site the inventory does not list routes as one of no configured kind. */
  const SILENT: ReadonlyArray<[string, string, string]> = [
    [hospital, 'h-ups-1', 'ups'],
    [hospital, 'h-psw-1', 'power_switch'],
    [hospital, 'h-srv-1', 'server'],
    [factory, 'f-ups-1', 'ups'],
    ['branch-z', 'z-ups-1', 'ups'],
    [hospital, 'h-odd-1', ''],
  ];
  /** Site, host, device kind, metric. */
  const SCORED: ReadonlyArray<[string, string, string, string]> = [
    [hospital, 'h-plc-1', 'plc', 'sensors.power_w'],
    [factory, 'f-plc-1', 'plc', 'sensors.power_w'],
    [hospital, 'h-plc-1', 'plc', 'sensors.vibration_mm_s'],
    [hospital, 'h-srv-1', 'server', 'cpu.usage_user'],
    [hospital, 'h-sen-1', 'sensor', 'sensors.temperature_c'],
  ];
  const kindOf = (site: string) => inventory.sites.find((s) => s.id === site)?.kind ?? '';

  beforeAll(async () => {
    const inventoryPath = join(dir, 'inventory.yaml');
    writeFileSync(inventoryPath, formatInventory(inventory));
    backend = await startTestBackend({
      NOCAI_INVENTORY: inventoryPath,
      NOCAI_POWER_DEPARTMENT_BY_SITE_KIND: 'hospital=facilities',
    });
    await backend.influx.client.writeLines(
      backend.outputDb,
      [
        ...SILENT.map(([site, host, kind]) => silencePoint(site, host, kind, timeUs, toMs)),
        ...SCORED.map(([site, host, kind, metric]) => scorePoint(site, host, kind, metric, timeUs)),
      ].map(toLineProtocol)
    );
  });
  afterAll(async () => {
    await backend?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const { silentHosts, scoredLines } = devicePanels(() => backend, fromMs, toMs);

  it("When facilities is chosen, then the hospital's silent UPS and power switch, and its PLC's power reading, show; the factory's do not", async () => {
    expect(await silentHosts('facilities')).toEqual(['h-psw-1', 'h-ups-1']);
    expect(await scoredLines('facilities')).toEqual(['h-plc-1 sensors.power_w', 'h-sen-1 sensors.temperature_c']);
  });

  it("When field technicians is chosen, then the factory's and the unlisted branch's UPS show, not the hospital's", async () => {
    expect(await silentHosts('field_technicians')).toEqual(['f-ups-1', 'h-odd-1', 'h-srv-1', 'z-ups-1']);
    expect(await scoredLines('field_technicians')).toEqual(['f-plc-1 sensors.power_w']);
  });

  it.each(DEPARTMENTS)(
    'When %s is chosen, then both panels show exactly what the routing with power by site kind sends there',
    async (department) => {
      const to = (eventClass: EventClass, kind: string, site: string) =>
        departmentFor(eventClass, kind, kindOf(site), POWER);
      expect(await silentHosts(department)).toEqual(
        SILENT.filter(([site, , kind]) => to(silenceClass(kind), kind, site) === department)
          .map(([, host]) => host)
          .sort()
      );
      expect(await scoredLines(department)).toEqual(
        SCORED.filter(([site, , kind, metric]) => to(anomalyClass(metric, kind), kind, site) === department)
          .map(([, host, , metric]) => `${host} ${metric}`)
          .sort()
      );
    }
  );

  it("When facilities is chosen, then the events list and the events condition keep the hospital's power events, not the factory's", async () => {
    const power = (host: string, site: string): SeriesPoint => ({
      measurement: E.measurement,
      tags: {
        [E.tags.hostname]: host,
        [E.tags.site]: site,
        [E.tags.siteKind]: kindOf(site),
        [E.tags.deviceKind]: 'ups',
        [E.tags.eventClass]: 'power',
      },
      fields: { [E.fields.decision]: 'alert', [E.fields.message]: 'on battery', [E.fields.confidence]: 0.9 },
      timeUs,
    });
    await backend.influx.client.writeLines(
      backend.outputDb,
      [power('h-ups-1', hospital), power('f-ups-1', factory)].map(toLineProtocol)
    );
    for (const [department, host] of [
      ['facilities', 'h-ups-1'],
      ['field_technicians', 'f-ups-1'],
    ]) {
      const listed = await backend.call(`/api/events?department=${department}&from=${fromMs}&to=${toMs}`);
      const events = ((await listed.json()) as { events: ClassifiedEvent[] }).events;
      const filter = await backend.call(`/api/events/filter?department=${department}`);
      const { influxql } = (await filter.json()) as EventsFilter;
      const [series] = await backend.influx.client.query(
        backend.outputDb,
        `SELECT "decision", "hostname" FROM "aiops_events" WHERE ${influxql}`
      );
      expect({ department, listed: events.map((e) => e.hostname), kept: series?.rows.map((r) => r.hostname) }).toEqual({
        department,
        listed: [host],
        kept: [host],
      });
    }
  });

  it('When the setting names a department the routing does not know, then the backend does not start, saying so', () => {
    expect(() => loadConfig({ NOCAI_POWER_DEPARTMENT_BY_SITE_KIND: 'hospital=radiology' })).toThrow(
      `NOCAI_POWER_DEPARTMENT_BY_SITE_KIND: hospital's department must be one of ${DEPARTMENTS.join(', ')} (got "radiology")`
    );
  });
});
