import { ALERT_THRESHOLDS, PROBLEM_SERIES, TICKET_SERIES } from '@nocai/contract';
import { routedEventsCondition } from '../../inference-backend/src/adapters/influx/eventsRepository';
import { routedSeriesCondition } from '../../inference-backend/src/adapters/influx/routedDevices';
import { toLineProtocol } from '../../inference-backend/src/adapters/influx/lineProtocol';
import type { InfluxClient } from '../../inference-backend/src/adapters/influx';
import type { SeriesPoint } from '../../inference-backend/src/domain/series';
import { DEFAULT_FORECAST_STAGE_OPTIONS, ForecastStage } from '../../inference-backend/src/pipeline/forecastStage';
import { MemorySink } from '../../inference-backend/src/pipeline/memoryPorts';
import { generateInventory, Topology } from '../../inference-backend/src/simulator';
import { HOST_METRIC_KINDS, SENSOR_KINDS, TelemetryModel } from '../../inference-backend/src/simulator/telemetry';
import { QUERY_TYPES, TICKET_COUNT_FIELD } from '../../datasource-plugin/src/types';
import { parseVariableQuery } from '../../datasource-plugin/src/variables';
import { TRIAGE_SORTS } from '../../panel-plugin/src/triage/rows';
import { freshDatabase } from '../support/influx';
import { interpolateInfluxQuery } from './grafanaInfluxQL';
import { checkInfluxQuery } from './influxql';
import { listFiles, pluginJson, provisionedDatasources, readText, readYaml } from './repo';
import { contractCatalog } from './seriesCatalog';

interface DatasourceRef {
  type?: string;
  uid?: string;
}

interface Target {
  refId: string;
  datasource?: DatasourceRef | string | null;
  query?: string;
  rawQuery?: boolean;
  resultFormat?: string;
  alias?: string;
  queryType?: string;
  problem?: string;
  entity?: string;
  what?: string;
  status?: string;
  site?: string;
  department?: string;
  limit?: number;
  count?: boolean;
}

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: DatasourceRef | string | null;
  targets?: Target[];
  panels?: Panel[];
  options?: Record<string, unknown>;
  fieldConfig?: {
    overrides?: Array<{
      matcher: { id: string; options?: unknown };
      properties: Array<{ id: string; value?: unknown }>;
    }>;
  };
}

interface Variable {
  name: string;
  type: string;
  datasource?: DatasourceRef | string | null;
  query?: string | { query?: string };
  includeAll?: boolean;
  hide?: number;
  skipUrlSync?: boolean;
  allValue?: string;
}

interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  time?: { from: string; to: string };
  tags?: string[];
  links?: Array<{ type: string; tags?: string[]; url?: string }>;
  panels: Panel[];
  templating?: { list: Variable[] };
  annotations?: { list: Array<{ datasource?: DatasourceRef | string | null; query?: string; target?: Target }> };
}

/** Panels that ship with Grafana 12 (public/app/plugins/panel): no plugin to install. */
const CORE_PANEL_TYPES = new Set([
  'alertlist',
  'annolist',
  'barchart',
  'bargauge',
  'candlestick',
  'canvas',
  'dashlist',
  'datagrid',
  'flamegraph',
  'gauge',
  'geomap',
  'heatmap',
  'histogram',
  'logs',
  'news',
  'nodeGraph',
  'piechart',
  'row',
  'stat',
  'state-timeline',
  'status-history',
  'table',
  'text',
  'timeseries',
  'traces',
  'trend',
  'xychart',
]);

/** Data sources every Grafana has without provisioning. */
const BUILT_IN_DATASOURCE_UIDS = new Set(['-- Grafana --', 'grafana', '-- Mixed --', '-- Dashboard --', '__expr__']);

const PANEL_PLUGIN_ID = pluginJson('panel-plugin').id;
const DATASOURCE_PLUGIN_ID = pluginJson('datasource-plugin').id;
const datasources = provisionedDatasources();
const datasourceTypeByUid = new Map(datasources.map((ds) => [ds.uid, ds.type]));
const catalog = contractCatalog();

const files = listFiles('dashboards', ['.json']);
const dashboards: Array<[string, Dashboard]> = files.map((file) => [file, JSON.parse(readText('dashboards', file))]);

function allPanels(panels: Panel[]): Panel[] {
  return panels.flatMap((panel) => [panel, ...allPanels(panel.panels ?? [])]);
}

function variableQuery(variable: Variable): string {
  return typeof variable.query === 'string' ? variable.query : (variable.query?.query ?? '');
}

/** Every place a dashboard names a data source, with a label saying where. */
function datasourceRefs(dashboard: Dashboard): Array<[string, DatasourceRef | string]> {
  const refs: Array<[string, DatasourceRef | string | null | undefined]> = [];
  for (const panel of allPanels(dashboard.panels)) {
    refs.push([`panel "${panel.title}"`, panel.datasource]);
    for (const target of panel.targets ?? [])
      refs.push([`panel "${panel.title}" target ${target.refId}`, target.datasource]);
  }
  for (const variable of dashboard.templating?.list ?? [])
    refs.push([`variable $${variable.name}`, variable.datasource]);
  for (const annotation of dashboard.annotations?.list ?? []) refs.push(['annotation', annotation.datasource]);
  return refs.filter((entry): entry is [string, DatasourceRef | string] => entry[1] !== undefined && entry[1] !== null);
}

/** InfluxQL queries of a dashboard: panel targets on an InfluxDB data source, and query variables. */
function influxQueries(dashboard: Dashboard): Array<[string, string]> {
  const queries: Array<[string, string]> = [];
  for (const panel of allPanels(dashboard.panels)) {
    for (const target of panel.targets ?? []) {
      const ref = typeof target.datasource === 'object' && target.datasource ? target.datasource : undefined;
      if (ref?.uid && datasourceTypeByUid.get(ref.uid) === 'influxdb') {
        queries.push([`panel "${panel.title}" target ${target.refId}`, target.query ?? '']);
      }
    }
  }
  for (const variable of dashboard.templating?.list ?? []) {
    const ref = typeof variable.datasource === 'object' && variable.datasource ? variable.datasource : undefined;
    if (variable.type === 'query' && ref?.uid && datasourceTypeByUid.get(ref.uid) === 'influxdb') {
      queries.push([`variable $${variable.name}`, variableQuery(variable)]);
    }
  }
  return queries;
}

/**
 * The names Grafana's InfluxDB data source gives the fields of one raw InfluxQL target, as patterns: a table's
 * columns (Time, each SELECT item, the GROUP BY tags); a time series' alias (`$tag_x`, `$col`, `$m` stand for
 * any text), or without one `measurement.column` followed by ` {tag: value, ...}` when grouped by tags.
 */
function fieldNamePatterns(target: Target): RegExp[] {
  const query = target.query ?? '';
  const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const select = /^SELECT\s+(.*?)\s+FROM\s+"([^"]+)"/i.exec(query);
  const columns = (select?.[1] ?? '').split(/,(?![^(]*\))/).map((item) => {
    const alias = /\bAS\s+"([^"]+)"\s*$/i.exec(item)?.[1];
    // Without an alias InfluxDB names a column after its first function, or the field it reads.
    return alias ?? /(\w+)\s*\(/.exec(item)?.[1] ?? /"([^"]+)"/.exec(item)?.[1] ?? item.trim();
  });
  const groupBy = /\bGROUP\s+BY\s+(.*?)(?=\bfill\s*\(|\bORDER\b|\bLIMIT\b|$)/i.exec(query)?.[1] ?? '';
  const tags = [...groupBy.matchAll(/"([^"]+)"/g)].map((m) => m[1]);
  if (target.resultFormat === 'table')
    return ['Time', ...columns, ...tags].map((name) => new RegExp(`^${literal(name)}$`));
  if (target.alias) {
    const pattern = literal(target.alias).replace(/\\\$(?:tag_\w+|col|m|measurement)|\\\$\\\{[^}]*\\\}/g, '.*');
    return [new RegExp(`^${pattern}$`)];
  }
  const suffix = tags.length > 0 ? ' \\{.*\\}' : '';
  return columns.map((column) => new RegExp(`^${literal(`${select?.[2]}.${column}`)}${suffix}$`));
}

describe('provisioned dashboards', () => {
  it('When the dashboards folder is read, then the five NOC AI dashboards are there', () => {
    expect(files).toEqual([
      'capacity-forecasts.json',
      'device-health.json',
      'model-health.json',
      'noc-triage.json',
      'problems.json',
    ]);
  });

  it('When Grafana loads them, then each has a fixed, unique uid, a title and a current schema version', () => {
    const uids = dashboards.map(([, d]) => d.uid);
    expect(new Set(uids).size).toBe(uids.length);
    for (const [, dashboard] of dashboards) {
      // Grafana rejects uids longer than 40 characters or with characters outside [a-zA-Z0-9_-].
      expect(dashboard.uid).toMatch(/^[A-Za-z0-9_-]{1,40}$/);
      expect(dashboard.title.trim()).not.toBe('');
      expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(39);
    }
  });

  it.each(dashboards)('%s: panel ids are unique within the dashboard', (_file, dashboard) => {
    const ids = allPanels(dashboard.panels).map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it.each(dashboards)('%s: every data source is referenced by a provisioned uid, with its type', (_file, dashboard) => {
    const problems: string[] = [];
    for (const [where, ref] of datasourceRefs(dashboard)) {
      if (typeof ref === 'string') {
        problems.push(`${where} names a data source by name ("${ref}"), not by uid`);
      } else if (!ref.uid) {
        problems.push(`${where} has a data source without uid`);
      } else if (!BUILT_IN_DATASOURCE_UIDS.has(ref.uid)) {
        const type = datasourceTypeByUid.get(ref.uid);
        if (!type) problems.push(`${where} uses uid "${ref.uid}", which provisioning/datasources does not define`);
        else if (ref.type !== type)
          problems.push(`${where} says type "${ref.type}" for uid "${ref.uid}" (provisioned: ${type})`);
      }
    }
    expect(problems).toEqual([]);
  });

  it.each(dashboards)('%s: every panel is a core Grafana panel or the NOC AI triage panel', (_file, dashboard) => {
    const unknown = allPanels(dashboard.panels)
      .map((p) => p.type)
      .filter((type) => type !== PANEL_PLUGIN_ID && !CORE_PANEL_TYPES.has(type));
    expect(unknown).toEqual([]);
  });

  it.each(dashboards)(
    '%s: every InfluxQL query uses only measurements, tags and fields declared in contract/',
    (_file, dashboard) => {
      const problems: string[] = [];
      for (const [where, query] of influxQueries(dashboard)) {
        problems.push(...checkInfluxQuery(query, catalog).problems.map((p) => `${where}: ${p}`));
        // SHOW TAG VALUES ... WITH KEY = "x": x must be a tag, or the variable stays empty.
        const key = /WITH\s+KEY\s*=\s*"([^"]+)"/i.exec(query)?.[1];
        for (const measurement of checkInfluxQuery(query, catalog).measurements) {
          if (key && !catalog.get(measurement)?.tags.has(key))
            problems.push(`${where}: KEY "${key}" is not a tag of ${measurement}`);
        }
      }
      expect(problems).toEqual([]);
    }
  );

  it.each(dashboards)('%s: template variables are declared where used and used where declared', (_file, dashboard) => {
    const declared = (dashboard.templating?.list ?? []).map((v) => v.name).sort();
    const used = [
      ...new Set(influxQueries(dashboard).flatMap(([, q]) => checkInfluxQuery(q, catalog).variables)),
    ].sort();
    expect(used).toEqual(declared);
  });

  it.each(dashboards)(
    "%s: every field an override names by name, or fills below to, is one the panel's InfluxQL queries give",
    (_file, dashboard) => {
      const problems: string[] = [];
      for (const panel of allPanels(dashboard.panels)) {
        const targets = (panel.targets ?? []).filter((t) => {
          const ref = typeof t.datasource === 'object' && t.datasource ? t.datasource : undefined;
          return ref?.uid !== undefined && datasourceTypeByUid.get(ref.uid) === 'influxdb';
        });
        if (targets.length === 0) continue;
        const patterns = targets.flatMap(fieldNamePatterns);
        const gives = (name: string) => patterns.some((pattern) => pattern.test(name));
        for (const override of panel.fieldConfig?.overrides ?? []) {
          const named = override.matcher.id === 'byName' ? [String(override.matcher.options)] : [];
          const fills = override.properties.filter((p) => p.id === 'custom.fillBelowTo').map((p) => String(p.value));
          for (const name of [...named, ...fills].filter((n) => !gives(n)))
            problems.push(`panel "${panel.title}" names field "${name}", which its queries do not give`);
        }
      }
      expect(problems).toEqual([]);
    }
  );

  it.each(dashboards)(
    '%s: its dashboard links reach every provisioned dashboard (each carries the tags the links ask for)',
    (file, dashboard) => {
      const links = (dashboard.links ?? []).filter((link) => link.type === 'dashboards');
      expect(links.length).toBeGreaterThan(0);
      for (const link of links) {
        const listed = dashboards
          .filter(([, other]) => (link.tags ?? []).every((tag) => other.tags?.includes(tag)))
          .map(([name]) => name);
        expect({ file, listed }).toEqual({ file, listed: files });
      }
    }
  );

  it.each(dashboards)('%s: NOC AI data source queries use a query type the plugin knows', (_file, dashboard) => {
    const problems: string[] = [];
    for (const panel of allPanels(dashboard.panels)) {
      for (const target of panel.targets ?? []) {
        const ref = typeof target.datasource === 'object' ? target.datasource : undefined;
        if (ref?.type !== DATASOURCE_PLUGIN_ID) continue;
        if (!(QUERY_TYPES as readonly string[]).includes(target.queryType ?? '')) {
          problems.push(`panel "${panel.title}" target ${target.refId}: queryType "${target.queryType}"`);
        }
      }
      if (panel.type === PANEL_PLUGIN_ID) {
        const sort = panel.options?.defaultSort;
        if (sort !== undefined && !(TRIAGE_SORTS as readonly string[]).includes(String(sort))) {
          problems.push(`panel "${panel.title}": defaultSort "${String(sort)}"`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});

describe('what each dashboard shows', () => {
  const byFile = new Map(dashboards);
  const queriesOf = (file: string) => influxQueries(byFile.get(file) as Dashboard).map(([, q]) => q);
  const measurementsOf = (file: string) =>
    new Set(queriesOf(file).flatMap((q) => checkInfluxQuery(q, catalog).measurements));

  it('When an operator opens NOC triage, then the triage panel is fed tickets by the NOC AI data source', () => {
    const triage = allPanels(byFile.get('noc-triage.json')?.panels ?? []).filter((p) => p.type === PANEL_PLUGIN_ID);
    const ticketTargets = triage.flatMap((p) => p.targets ?? []).filter((t) => t.queryType === 'tickets');
    expect(ticketTargets.length).toBeGreaterThan(0);
    for (const target of ticketTargets) {
      expect(target.datasource).toEqual({ type: DATASOURCE_PLUGIN_ID, uid: 'nocai-inference' });
    }
    expect([...measurementsOf('noc-triage.json')].sort()).toEqual(
      ['aiops_anomalies', 'aiops_events', 'aiops_silences', 'aiops_tickets'].sort()
    );
    expect(queriesOf('noc-triage.json').some((q) => /FROM "aiops_events".*GROUP BY .*"class"/.test(q))).toBe(true);
    expect(queriesOf('noc-triage.json').some((q) => /FROM "aiops_tickets".*GROUP BY "priority"/.test(q))).toBe(true);
  });

  it('When an operator narrows NOC triage to sites and departments, then the ticket queue shows only their tickets', () => {
    const queue = allPanels(byFile.get('noc-triage.json')?.panels ?? []).find((p) => p.title === 'Ticket triage queue');
    expect(queue?.targets).toEqual([
      expect.objectContaining({ queryType: 'tickets', site: '$site', department: '$department', limit: 500 }),
    ]);
  });

  it("When a technician picks hosts on Device health, then its ticket panel lists those hosts' tickets for triage", () => {
    const panel = allPanels(byFile.get('device-health.json')?.panels ?? []).find(
      (p) => p.title === 'Tickets of these devices'
    );
    expect(panel?.type).toBe(PANEL_PLUGIN_ID);
    expect(panel?.targets).toEqual([
      expect.objectContaining({ queryType: 'tickets', site: '$site', host: '$host', limit: 500 }),
    ]);
  });

  it('When an operator narrows NOC triage to sites and departments, then the latest classified events are those of the sites routed to the departments', () => {
    const events = allPanels(byFile.get('noc-triage.json')?.panels ?? []).find(
      (p) => p.title === 'Latest classified events'
    );
    expect(events?.targets).toEqual([
      expect.objectContaining({ queryType: 'events', site: '$site', department: '$department', limit: 500 }),
    ]);
  });

  it.each(['site', 'department'] as const)(
    'When a dashboard has a $%s variable, then every events query of the NOC AI data source follows it',
    (variable) => {
      for (const [file, dashboard] of dashboards) {
        const declared = (dashboard.templating?.list ?? []).some((v) => v.name === variable);
        const eventTargets = allPanels(dashboard.panels)
          .flatMap((p) => p.targets ?? [])
          .filter((t) => t.queryType === 'events');
        for (const target of declared ? eventTargets : []) {
          expect({ file, [variable]: target[variable] }).toEqual({ file, [variable]: `$${variable}` });
        }
      }
    }
  );

  it.each([
    ['aiops_events', 'events'],
    ['aiops_silences', 'silences'],
    ['aiops_anomalies', 'anomalies'],
  ] as const)(
    'When a dashboard has a $department variable, then its InfluxDB panels on %s keep the points routed to the departments chosen',
    (measurement, of) => {
      for (const [file, dashboard] of dashboards) {
        const variables = dashboard.templating?.list ?? [];
        const queries = influxQueries(dashboard).filter(
          ([where, q]) => where.startsWith('panel') && q.includes(`FROM "${measurement}"`)
        );
        if (!variables.some((v) => v.name === 'department') || queries.length === 0) continue;
        // None of these series stores a department: the NOC AI data source turns the departments into a condition.
        const routed = variables.find((v) => v.name === `routed_${of}`);
        expect({ file, routed }).toEqual({
          file,
          routed: expect.objectContaining({
            type: 'query',
            datasource: { type: DATASOURCE_PLUGIN_ID, uid: 'nocai-inference' },
            hide: 2,
            skipUrlSync: true,
          }),
        });
        expect(parseVariableQuery(routed?.query)).toEqual({ kind: 'routed', of, departments: '$department' });
        for (const [where, query] of queries) {
          expect({ file, where, follows: query.includes(` AND \${routed_${of}:raw} AND `) }).toEqual({
            file,
            where,
            follows: true,
          });
        }
      }
    }
  );

  it('When a ticket waiting for review is reviewed, then Waiting for review counts it no more: it shows the number of current needs_review tickets, however many', () => {
    const stat = allPanels(byFile.get('noc-triage.json')?.panels ?? []).find(
      (p) => p.title === 'Waiting for review'
    ) as (Panel & { options: { reduceOptions: { calcs: string[]; fields: string } } }) | undefined;
    // Not the aiops_tickets points of the time range, which keep every needs_review state a ticket ever had.
    expect(stat?.datasource).toEqual({ type: DATASOURCE_PLUGIN_ID, uid: 'nocai-inference' });
    expect(stat?.targets).toEqual([
      {
        refId: 'A',
        datasource: { type: DATASOURCE_PLUGIN_ID, uid: 'nocai-inference' },
        queryType: 'tickets',
        status: 'needs_review',
        site: '$site',
        department: '$department',
        // The backend's total: counting the rows of a page would stop at the page's limit.
        count: true,
      },
    ]);
    // The count is one row of one field; the stat shows that number.
    expect(stat?.options.reduceOptions.calcs).toEqual(['lastNotNull']);
    const fields = /^\/(.*)\/$/.exec(stat?.options.reduceOptions.fields ?? '')?.[1] ?? '';
    expect(new RegExp(fields).test(TICKET_COUNT_FIELD)).toBe(true);
    expect(new RegExp(fields).test(TICKET_SERIES.fields.ticketId)).toBe(false);
  });

  it('When a planner opens Capacity forecasts, then forecasts come with their lower and upper bounds', () => {
    const forecastQueries = queriesOf('capacity-forecasts.json').filter((q) => q.includes('"aiops_forecasts"'));
    expect(
      forecastQueries.some((q) => q.includes('"lower"') && q.includes('"upper"') && q.includes('"department"'))
    ).toBe(true);
  });

  it('When a data scientist opens Model health, then accuracy and F1 per version, feedback and drift are there', () => {
    const queries = queriesOf('model-health.json');
    // Holdout and production are separate queries (separate lines), each over the overall figure only.
    for (const field of ['accuracy', 'f1']) {
      for (const source of ['holdout', 'production']) {
        expect(
          queries.some(
            (q) =>
              q.includes(`("${field}") FROM "aiops_models" WHERE "source" = '${source}' AND "segment" = 'all'`) &&
              /GROUP BY .*"model", "version"/.test(q)
          )
        ).toBe(true);
      }
    }
    expect(queries.some((q) => /FROM "aiops_feedback".*GROUP BY .*"verdict"/.test(q))).toBe(true);
    expect(measurementsOf('model-health.json').has('aiops_drift')).toBe(true);
    const drift = queries.filter((q) => q.includes('FROM "aiops_drift"'));
    for (const field of ['psi', 'drift_detected', 'method', 'statistic']) {
      expect(drift.some((q) => q.includes(`"${field}"`) && /GROUP BY .*"feature"/.test(q))).toBe(true);
    }
  });

  it("When a data scientist opens Model health, then the champions' production accuracy is drawn against the alert floor", () => {
    const panels = allPanels(byFile.get('model-health.json')?.panels ?? []) as Array<
      Panel & { fieldConfig?: { defaults?: { thresholds?: { steps?: Array<{ value: number | null }> } } } }
    >;
    const production = panels.filter((p) =>
      (p.targets ?? []).some((t) =>
        /last\("accuracy"\) FROM "aiops_models" WHERE "source" = 'production' AND "segment" = 'all' AND "alias" = 'champion'/.test(
          t.query ?? ''
        )
      )
    );
    expect(production).toHaveLength(1);
    const steps = production[0].fieldConfig?.defaults?.thresholds?.steps ?? [];
    expect(steps.map((step) => step.value)).toContain(ALERT_THRESHOLDS.modelAccuracyFloor);
  });

  it('When a data scientist opens Model health, then promotions are annotations and the latest report is one click away', () => {
    // Grafana's legacy InfluxQL annotation shape (query and columns at the top), which it migrates on load.
    const dashboard = byFile.get('model-health.json') as unknown as {
      annotations: {
        list: Array<{ datasource?: DatasourceRef; query?: string; textColumn?: string; tagsColumn?: string }>;
      };
      links: Array<{ type: string; url?: string; targetBlank?: boolean }>;
    };
    const decisions = dashboard.annotations.list.filter((a) => a.query?.includes(`"source" = 'decision'`));
    expect(decisions).toHaveLength(1);
    const [annotation] = decisions;
    expect(annotation.datasource).toEqual({ type: 'influxdb', uid: 'influx-aiops' });
    expect(checkInfluxQuery(annotation.query ?? '', catalog)).toMatchObject({
      measurements: ['aiops_models'],
      problems: [],
    });
    // The columns Grafana reads the annotation's text and tags from are tags or fields the query returns.
    const models = catalog.get('aiops_models');
    for (const column of [annotation.textColumn ?? '', ...(annotation.tagsColumn ?? '').split(',')]) {
      expect(models?.tags.has(column) || models?.fields.has(column)).toBe(true);
    }
    // Through the NOC AI data source's proxy route, which adds the API token on Grafana's side.
    const route = (pluginJson('datasource-plugin') as { routes?: Array<{ path: string }> }).routes?.[0]?.path;
    const reportLinks = dashboard.links.filter((l) => l.type === 'link' && l.url?.endsWith('/reports/latest'));
    expect(reportLinks).toEqual([
      expect.objectContaining({
        url: `/api/datasources/proxy/uid/nocai-inference/${route}/api/reports/latest`,
        targetBlank: true,
      }),
    ]);
  });

  it('When a technician opens Device health, then host metrics, sensors, anomalies and maintenance are there', () => {
    expect([...measurementsOf('device-health.json')].sort()).toEqual(
      ['aiops_anomalies', 'aiops_maintenance', 'cpu', 'disk', 'mem', 'sensors', 'system'].sort()
    );
    const sensorQueries = queriesOf('device-health.json').filter((q) => q.includes('FROM "sensors"'));
    for (const field of ['temperature_c', 'vibration_mm_s', 'pressure_kpa', 'power_w']) {
      expect(sensorQueries.some((q) => q.includes(`"${field}"`))).toBe(true);
    }
  });
});

describe('the predicted problems dashboard', () => {
  const dashboard = dashboards.find(([file]) => file === 'problems.json')?.[1] as Dashboard;
  const panels = allPanels(dashboard.panels);
  const problemTargets = (what: string) =>
    panels.flatMap((panel) =>
      (panel.targets ?? [])
        .filter((t) => t.queryType === 'problems' && t.what === what)
        .map((target) => ({ panel, target }))
    );

  it('When an engineer opens it, then one problem is chosen at a time and its entities can be narrowed', () => {
    const variables = dashboard.templating?.list ?? [];
    expect(variables.map((v) => v.name)).toEqual(['problem', 'entity']);
    const [problem] = variables;
    expect(problem).toMatchObject({ multi: false, includeAll: false });
    expect(variableQuery(problem)).toBe('SHOW TAG VALUES FROM "aiops_problems" WITH KEY = "problem"');
  });

  it('When it draws the probability, then it is one line per entity beside the threshold of the same problem', () => {
    const queries = influxQueries(dashboard).map(([, q]) => q);
    expect(
      queries.some(
        (q) =>
          q.startsWith('SELECT mean("probability") FROM "aiops_problems"') &&
          q.includes(`"problem" = '$problem'`) &&
          /GROUP BY time\(\$__interval\), "entity"/.test(q)
      )
    ).toBe(true);
    const chart = panels.find((p) => (p.targets ?? []).some((t) => t.query?.includes('"threshold"')));
    expect(chart?.type).toBe('timeseries');
    expect(chart?.targets?.find((t) => t.query?.includes('"threshold"'))?.query).toContain(`"problem" = '$problem'`);
  });

  it("When operators judge the alerts, then the triage panel lists the problem's alerts and a table counts their verdicts", () => {
    const alerts = problemTargets('alerts');
    expect(alerts.map(({ panel }) => panel.type).sort()).toEqual([PANEL_PLUGIN_ID, 'table'].sort());
    for (const { target } of alerts) {
      // Narrowing $entity narrows the alerts and their verdicts like the probability lines.
      expect(target).toMatchObject({
        datasource: { type: DATASOURCE_PLUGIN_ID, uid: 'nocai-inference' },
        problem: '$problem',
        entity: '$entity',
      });
    }
    const verdicts = alerts.find(({ panel }) => panel.type === 'table')?.panel as Panel & {
      transformations?: Array<{ id: string; options: { fields: Record<string, { operation: string }> } }>;
    };
    const groupBy = verdicts.transformations?.find((t) => t.id === 'groupBy');
    expect(groupBy?.options.fields.feedback_verdict.operation).toBe('groupby');
  });

  it('When the alerts happened, then they are annotations on the time axis, from the NOC AI data source', () => {
    const annotations = (dashboard.annotations?.list ?? []).filter((a) => a.target?.queryType === 'problems');
    expect(annotations).toEqual([
      expect.objectContaining({
        datasource: { type: DATASOURCE_PLUGIN_ID, uid: 'nocai-inference' },
        target: expect.objectContaining({ problem: '$problem', entity: '$entity', what: 'alerts' }),
      }),
    ]);
  });
});

describe('dashboard queries against a real influxd', () => {
  const MINUTE_MS = 60_000;
  const toMs = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS;
  const state = { fromMs: toMs - 6 * 60 * MINUTE_MS, toMs, intervalMs: 10 * MINUTE_MS };
  let client: InfluxClient;
  let database: string;

  /** What a variable becomes: "All" for those that have it, otherwise one value the data below has. */
  const SAMPLE_VALUES: Record<string, string> = {
    problem: 'freezer-warm',
    metric: 'sensors.temperature_c',
    // What the NOC AI data source gives while $department is All.
    routed_events: routedEventsCondition(undefined),
    routed_silences: routedSeriesCondition('silences', undefined),
    routed_anomalies: routedSeriesCondition('anomalies', undefined),
  };
  const variablesOf = (dashboard: Dashboard): Record<string, string> =>
    Object.fromEntries(
      (dashboard.templating?.list ?? []).map((v) => [
        v.name,
        v.includeAll ? (v.allValue ?? '.*') : (SAMPLE_VALUES[v.name] ?? 'x'),
      ])
    );
  const run = async (dashboard: Dashboard, query: string) =>
    client.query(database, interpolateInfluxQuery(query, { ...state, variables: variablesOf(dashboard) }));

  beforeAll(async () => {
    ({ client, database } = await freshDatabase('grafana_dashboards'));
    const point = (problem: string, entity: string, minutesAgo: number, probability: number): SeriesPoint => ({
      measurement: PROBLEM_SERIES.measurement,
      tags: { problem, entity, model_version: `problem-${problem}@v1` },
      fields: { probability, threshold: 0.42, alert: probability >= 0.42, horizon_h: 2 },
      timeUs: (toMs - minutesAgo * MINUTE_MS) * 1000,
    });
    const points = [
      point('freezer-warm', 'freezer-01', 30, 0.2),
      point('freezer-warm', 'freezer-01', 25, 0.5),
      point('freezer-warm', 'freezer-02', 25, 0.1),
      point('plc-hot', 'plc-01', 25, 0.9),
    ];
    await client.writeLines(database, points.map(toLineProtocol));
  });

  it('When a technician picks a host on Device health, then sensor devices (a PLC) are offered beside servers', async () => {
    const deviceHealth = new Map(dashboards).get('device-health.json') as Dashboard;
    const host = deviceHealth.templating?.list.find((v) => v.name === 'host') as Variable;
    const at = toMs * 1000;
    await client.writeLines(database, [
      `system,host=hosp-01-srv-01,site=hosp-01 load1=0.5 ${at}`,
      `sensors,host=fact-01-plc-02,site=fact-01,device_kind=plc temperature_c=41.5 ${at}`,
      `sensors,host=hosp-01-srv-01,site=hosp-01,device_kind=server temperature_c=30 ${at}`,
    ]);
    const series = await run(deviceHealth, variableQuery(host));
    // Grafana lists each value once, however many measurements name it.
    const offered = new Set(series.flatMap((s) => s.rows.map((row) => String(row.value))));
    expect([...offered].sort()).toEqual(['fact-01-plc-02', 'hosp-01-srv-01']);
  });

  it("When a technician picks a site on Device health, then the host list and the CPU, memory and disk panels show only that site's devices", async () => {
    const deviceHealth = new Map(dashboards).get('device-health.json') as Dashboard;
    const { client: own, database: db } = await freshDatabase('grafana_device_sites');
    // Two sites of the simulated estate, as the demo's simulator writes their metrics half an hour ago.
    const topology = new Topology(generateInventory({ seed: 42, sites: 2 }));
    const telemetry = new TelemetryModel(42, topology);
    const at = (toMs - 30 * MINUTE_MS) * 1000;
    const points: SeriesPoint[] = [];
    for (const device of topology.devices) {
      if (HOST_METRIC_KINDS.includes(device.kind)) telemetry.hostMetrics(device, at, undefined, points);
      if (SENSOR_KINDS.includes(device.kind)) telemetry.sensorMetrics(device, at, undefined, points);
    }
    await own.writeLines(db, points.map(toLineProtocol));
    const variable = (name: string) => deviceHealth.templating?.list.find((v) => v.name === name) as Variable;
    const values = async (query: string, site: string) => {
      const variables = { ...variablesOf(deviceHealth), site };
      const series = await own.query(db, interpolateInfluxQuery(query, { ...state, variables }));
      // Grafana lists each value once, however many measurements name it.
      return [...new Set(series.flatMap((s) => s.rows.map((row) => String(row.value))))];
    };
    const [chosen, other] = topology.sites.map((site) => site.id);
    const hostsOf = (site: string) => topology.devices.filter((d) => d.site.id === site).map((d) => d.host);
    expect((await values(variableQuery(variable('site')), '.*')).sort()).toEqual([chosen, other].sort());

    const offered = await values(variableQuery(variable('host')), chosen);
    const withMetrics = new Set(points.map((p) => p.tags.host));
    expect(offered.sort()).toEqual(
      hostsOf(chosen)
        .filter((h) => withMetrics.has(h))
        .sort()
    );

    // The host panels with $host at All: each draws the chosen site's servers, routers and switches, and no other.
    const servers = hostsOf(chosen).filter((h) => HOST_METRIC_KINDS.includes(topology.device(h)?.kind ?? 'sensor'));
    expect(servers.length).toBeGreaterThan(0);
    for (const measurement of ['cpu', 'mem', 'disk']) {
      const query = influxQueries(deviceHealth)
        .map(([, q]) => q)
        .find((q) => q.includes(`FROM "${measurement}"`));
      const variables = { ...variablesOf(deviceHealth), site: chosen };
      const series = await own.query(db, interpolateInfluxQuery(query ?? '', { ...state, variables }));
      expect([...new Set(series.map((s) => s.tags?.host))].sort()).toEqual(servers.sort());
    }
  });

  it('When an operator picks a site on NOC triage, then a site with classified lines or a silent device but no ticket yet is offered', async () => {
    const triage = new Map(dashboards).get('noc-triage.json') as Dashboard;
    const site = triage.templating?.list.find((v) => v.name === 'site') as Variable;
    const at = toMs * 1000;
    await client.writeLines(database, [
      `aiops_events,hostname=city-01-sw-01,site=city-01,class=network decision="noise" ${at}`,
      `aiops_silences,host=hotel-01-ups-01,site=hotel-01,device_kind=ups,state=silent silent_s=600 ${at}`,
      `aiops_tickets,site=hosp-01,status=open,priority=P1,department=it_ops ticket_id="T-1" ${at}`,
    ]);
    const series = await run(triage, variableQuery(site));
    const offered = new Set(series.flatMap((s) => s.rows.map((row) => String(row.value))));
    expect([...offered].sort()).toEqual(['city-01', 'hosp-01', 'hotel-01']);
  });

  it.each(dashboards)(
    '%s: every InfluxQL query, variable and annotation runs on influxd as Grafana sends it',
    async (_file, dashboard) => {
      const queries = [
        ...influxQueries(dashboard).map(([, q]) => q),
        ...(dashboard.annotations?.list ?? []).flatMap((a) => (a.query ? [a.query] : [])),
      ];
      const refused: string[] = [];
      for (const query of queries) {
        await run(dashboard, query).catch((error: Error) => refused.push(`${query}: ${error.message}`));
      }
      expect(refused).toEqual([]);
    }
  );

  it("When a planner opens Capacity forecasts, then its default time range shows every step of the backend's ticket forecasts", async () => {
    const dashboard = new Map(dashboards).get('capacity-forecasts.json') as Dashboard;
    // What Grafana makes of the dashboard's default range (`now-7d`, `now+14d`) when it is opened at toMs.
    const at = (relative: string): number => {
      const match = /^now(?:([+-])(\d+)([mhd]))?$/.exec(relative);
      if (!match) throw new Error(`no relative time ${relative}`);
      const ms = match[1]
        ? Number(match[2]) * { m: MINUTE_MS, h: 60 * MINUTE_MS, d: 1440 * MINUTE_MS }[match[3] as 'm']
        : 0;
      return match[1] === '-' ? toMs - ms : toMs + ms;
    };
    const range = { fromMs: at(dashboard.time?.from ?? ''), toMs: at(dashboard.time?.to ?? '') };
    // The forecast stage itself, on three weeks of tickets (one an hour at one site, for one department).
    const sink = new MemorySink();
    const stage = new ForecastStage({
      tickets: {
        all: () =>
          Array.from({ length: 21 * 24 }, (_, k) => ({
            openedAtMs: toMs - (k + 1) * 60 * MINUTE_MS,
            department: 'it_ops',
            site: 'hosp-01',
          })),
      },
      sink,
      clock: { nowMs: () => toMs },
      ticketsCompleteUs: () => toMs * 1000,
      options: DEFAULT_FORECAST_STAGE_OPTIONS,
    });
    await stage.tick();
    const { database: forecasts } = await freshDatabase('grafana_forecasts');
    await client.writeLines(forecasts, sink.points.map(toLineProtocol));

    const problems: string[] = [];
    for (const panel of allPanels(dashboard.panels)) {
      for (const target of panel.targets ?? []) {
        const step = /"step" = '(\w+)'/.exec(target.query ?? '')?.[1];
        if (!step || !target.query?.includes('$timeFilter') || !target.query.includes('"aiops_forecasts"')) continue;
        const written = sink.points.filter((p) => p.tags.step === step && p.tags.department === 'it_ops').length;
        const intervalMs = step === '1d' ? 1440 * MINUTE_MS : 60 * MINUTE_MS;
        const query = interpolateInfluxQuery(target.query, { ...range, intervalMs, variables: variablesOf(dashboard) });
        const series = await client.query(forecasts, query);
        const drawn = series
          .filter((s) => s.tags.department === 'it_ops' || s.tags.site === 'hosp-01')
          .map((s) => s.rows.filter((r) => r.predicted !== null).length);
        if (written === 0 || drawn.some((n) => n !== written))
          problems.push(
            `"${panel.title}" ${target.refId}: ${written} ${step} steps written, drawn ${drawn.join(', ')}`
          );
      }
    }
    expect(problems).toEqual([]);
  });

  it('When a problem is chosen, then its variables, probability per entity, threshold and alert count come back from influxd', async () => {
    const dashboard = dashboards.find(([file]) => file === 'problems.json')?.[1] as Dashboard;
    const [problemVariable, entityVariable] = dashboard.templating?.list ?? [];
    const values = async (query: string) => (await run(dashboard, query)).flatMap((s) => s.rows.map((r) => r.value));
    expect(await values(variableQuery(problemVariable))).toEqual(['freezer-warm', 'plc-hot']);
    // Only the chosen problem's entities.
    expect(await values(variableQuery(entityVariable))).toEqual(['freezer-01', 'freezer-02']);

    const targets = allPanels(dashboard.panels).flatMap((p) => p.targets ?? []);
    const query = (pattern: RegExp) => targets.find((t) => pattern.test(t.query ?? ''))?.query ?? '';
    const probability = await run(dashboard, query(/^SELECT mean\("probability"\)/));
    const byEntity = Object.fromEntries(
      probability.map((s) => [s.tags.entity, s.rows.map((r) => r.mean).filter((v) => v !== null)])
    );
    // 10-minute buckets: freezer-01's two points (30 and 25 minutes ago) may share one or not.
    expect(Object.keys(byEntity).sort()).toEqual(['freezer-01', 'freezer-02']);
    expect(byEntity['freezer-02']).toEqual([0.1]);
    expect([[0.35], [0.2, 0.5]]).toContainEqual(byEntity['freezer-01']);
    const threshold = await run(dashboard, query(/max\("threshold"\)/));
    expect(threshold[0].rows.map((r) => r.threshold).filter((v) => v !== null)).toContain(0.42);
    const alerts = await run(dashboard, query(/"alert" = true/));
    expect(alerts[0].rows[0].count).toBe(1);
  });
});

describe('dashboard provisioning', () => {
  it('When Grafana starts, then the provider loads the folder the Grafana image copies the dashboards into', () => {
    const providers = readYaml<{ providers: Array<{ folder: string; type: string; options: { path: string } }> }>(
      'provisioning',
      'dashboards',
      'nocai.yaml'
    ).providers;
    expect(providers).toHaveLength(1);
    expect(providers[0]).toMatchObject({
      folder: 'NOC AI',
      type: 'file',
      options: { path: '/usr/share/grafana/nocai-dashboards' },
    });
    const dockerfile = readText('deploy', 'grafana', 'Dockerfile');
    expect(dockerfile).toMatch(/^COPY dashboards \/usr\/share\/grafana\/nocai-dashboards$/m);
  });
});
