import { ALERT_THRESHOLDS, DEPARTMENTS, INPUT, INTAKE_LABEL, PRODUCT_RULE_LABEL } from '@nocai/contract';
import type { InfluxClient } from '../../inference-backend/src/adapters/influx';
import { toLineProtocol } from '../../inference-backend/src/adapters/influx/lineProtocol';
import type { SeriesPoint } from '../../inference-backend/src/domain/series';
import { DEFAULT_ACCURACY_STAGE_OPTIONS } from '../../inference-backend/src/pipeline/accuracyStage';
import { PLC_TEMPERATURE_FOR, PLC_TEMPERATURE_LIMIT_C } from '../../inference-backend/src/simulator/sensorLimits';
import { freshDatabase } from '../support/influx';
import { interpolateInfluxQuery } from './grafanaInfluxQL';
import { checkInfluxQuery } from './influxql';
import { bracedVariables, listFiles, provisionedDatasources, readText, readYaml } from './repo';
import { contractCatalog } from './seriesCatalog';

interface RuleQuery {
  refId: string;
  datasourceUid: string;
  relativeTimeRange?: { from: number; to: number };
  model: {
    refId?: string;
    datasource?: { type?: string; uid?: string };
    type?: string;
    expression?: string;
    query?: string;
    rawQuery?: boolean;
    intervalMs?: number;
    conditions?: Array<{ evaluator: { type: string; params: number[] } }>;
  };
}

interface Rule {
  uid: string;
  title: string;
  condition: string;
  data: RuleQuery[];
  for?: string;
  noDataState?: string;
  execErrState?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

interface RuleGroup {
  orgId: number;
  name: string;
  folder: string;
  interval: string;
  rules: Rule[];
}

interface AlertingFile {
  apiVersion: number;
  groups?: RuleGroup[];
  contactPoints?: Array<{
    orgId: number;
    name: string;
    receivers: Array<{ uid: string; type: string; settings: Record<string, unknown> }>;
  }>;
  policies?: Array<{ orgId: number; receiver: string; group_by?: string[]; routes?: Route[] }>;
}

const EXPRESSION_UID = '__expr__';
/** Prometheus-style durations, which Grafana parses for `interval` and `for`. */
const DURATION = /^(\d+(ms|s|m|h|d|w|y))+$/;

const files = listFiles('provisioning/alerting', ['.yaml', '.yml']);
const parsed: Array<[string, AlertingFile]> = files.map((file) => [
  file,
  readYaml<AlertingFile>('provisioning', 'alerting', file),
]);
const groups = parsed.flatMap(([, f]) => f.groups ?? []);
const rules = groups.flatMap((g) => g.rules);
const contactPoints = parsed.flatMap(([, f]) => f.contactPoints ?? []);
const policies = parsed.flatMap(([, f]) => f.policies ?? []);
const provisionedUids = new Set(provisionedDatasources().map((ds) => ds.uid));
const catalog = contractCatalog();
/** The database each InfluxDB data source reads: Telegraf's inputs, or the backend's aiops_* results. */
const databaseOfUid = new Map(provisionedDatasources().map((ds) => [ds.uid, String(ds.jsonData?.dbName ?? '')]));
const INPUT_MEASUREMENTS = new Set<string>(Object.values(INPUT).map((series) => series.measurement));

function queryOf(rule: Rule): string {
  return rule.data.find((d) => d.datasourceUid !== EXPRESSION_UID)?.model.query ?? '';
}

function thresholdOf(rule: Rule): { type: string; value: number } | undefined {
  const threshold = rule.data.find((d) => d.refId === rule.condition)?.model;
  const evaluator = threshold?.conditions?.[0]?.evaluator;
  return evaluator ? { type: evaluator.type, value: evaluator.params[0] } : undefined;
}

function ruleReading(measurement: string): Rule {
  const found = rules.filter((r) => checkInfluxQuery(queryOf(r), catalog).measurements.includes(measurement));
  expect(found).toHaveLength(1);
  return found[0];
}

describe('provisioned alert rules', () => {
  it('When Grafana reads provisioning/alerting, then every file is apiVersion 1 and rules exist', () => {
    expect(parsed.length).toBeGreaterThan(0);
    for (const [, file] of parsed) expect(file.apiVersion).toBe(1);
    expect(rules.length).toBeGreaterThanOrEqual(5);
  });

  it('When groups are loaded, then each has an org, a name, a folder and a valid interval', () => {
    for (const group of groups) {
      expect(group.orgId).toBe(1);
      expect(group.name.trim()).not.toBe('');
      expect(group.folder).toBe('NOC AI');
      expect(group.interval).toMatch(DURATION);
    }
    const names = groups.map((g) => g.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('When rules are loaded, then their uids are unique and valid Grafana uids', () => {
    const uids = rules.map((r) => r.uid);
    expect(new Set(uids).size).toBe(uids.length);
    for (const uid of uids) expect(uid).toMatch(/^[A-Za-z0-9_-]{1,40}$/);
  });

  it.each(rules.map((r) => [r.title, r] as const))(
    '%s: its queries run on provisioned data sources and its condition exists',
    (_t, rule) => {
      const refIds = rule.data.map((d) => d.refId);
      expect(refIds).toContain(rule.condition);
      for (const query of rule.data) {
        if (query.datasourceUid === EXPRESSION_UID) {
          // Expressions (reduce, threshold, math) must read a query or expression of the same rule.
          expect(refIds).toContain(query.model.expression);
          expect(['reduce', 'threshold', 'math', 'resample', 'classic_conditions']).toContain(query.model.type);
        } else {
          expect(provisionedUids).toContain(query.datasourceUid);
          // Raw sensor and host readings live in Telegraf's database, the backend's results in aiops.
          const [measurement] = checkInfluxQuery(query.model.query ?? '', catalog).measurements;
          expect(query.datasourceUid).toBe(INPUT_MEASUREMENTS.has(measurement) ? 'influx-telegraf' : 'influx-aiops');
          expect(databaseOfUid.get(query.datasourceUid)).toBe(INPUT_MEASUREMENTS.has(measurement) ? 'telegraf' : 'aiops');
          expect(query.model.datasource?.uid).toBe(query.datasourceUid);
          expect(query.model.rawQuery).toBe(true);
          expect(query.relativeTimeRange?.from).toBeGreaterThan(0);
        }
        expect(query.model.refId).toBe(query.refId);
      }
    }
  );

  it.each(rules.map((r) => [r.title, r] as const))(
    '%s: its InfluxQL uses only names declared in contract/',
    (_t, rule) => {
      const check = checkInfluxQuery(queryOf(rule), catalog);
      expect(check.problems).toEqual([]);
      // Alert rules have no dashboard to fill in template variables.
      expect(check.variables).toEqual([]);
      expect(queryOf(rule)).toContain('$timeFilter');
    }
  );

  it.each(rules.map((r) => [r.title, r] as const))(
    '%s: states, duration and texts are ones Grafana accepts',
    (_t, rule) => {
      expect(['NoData', 'Alerting', 'OK', 'KeepLast']).toContain(rule.noDataState);
      expect(['Error', 'Alerting', 'OK', 'KeepLast']).toContain(rule.execErrState);
      expect(rule.for ?? '0s').toMatch(DURATION);
      expect(rule.annotations?.summary?.trim()).toBeTruthy();
      expect(rule.labels?.severity).toMatch(/^(critical|warning)$/);
    }
  );

  it('When a P1 ticket opens, then a rule counts P1 tickets that became open over 5 minutes and fires above 0', () => {
    const rule = ruleReading('aiops_tickets');
    expect(queryOf(rule)).toMatch(/"priority" = 'P1'/);
    expect(queryOf(rule)).toMatch(/"status" = 'open'/);
    // An assignment or a comment on an open P1 ticket writes an open point too, and must not page again.
    expect(queryOf(rule)).toMatch(/\("change" = 'opened' OR "change" = 'status'\)/);
    expect(rule.data[0].relativeTimeRange?.from).toBe(300);
    expect(thresholdOf(rule)).toEqual({ type: 'gt', value: 0 });
  });

  it('When an anomaly score stays high, then the rule pages only after 5 minutes above the contract threshold', () => {
    const rule = ruleReading('aiops_anomalies');
    expect(queryOf(rule)).toContain('"score"');
    expect(rule.for).toBe('5m');
    expect(thresholdOf(rule)).toEqual({ type: 'gt', value: ALERT_THRESHOLDS.anomalyScore });
  });

  it('When a device is likely to fail, then a rule pages on its latest failure probability above the contract threshold, to maintenance', () => {
    const rule = ruleReading('aiops_maintenance');
    expect(queryOf(rule)).toContain('"failure_probability"');
    expect(thresholdOf(rule)).toEqual({ type: 'gt', value: ALERT_THRESHOLDS.maintenanceRisk });
    expect(rule.labels?.department).toBe('maintenance');
  });

  it('When a device goes silent, then a rule fires on aiops_silences in state silent', () => {
    const rule = ruleReading('aiops_silences');
    expect(queryOf(rule)).toMatch(/"state" = 'silent'/);
    expect(thresholdOf(rule)).toEqual({ type: 'gt', value: 0 });
  });

  it('When model accuracy drops, then a rule fires under the contract floor', () => {
    const rule = ruleReading('aiops_models');
    expect(queryOf(rule)).toContain('"accuracy"');
    expect(thresholdOf(rule)).toEqual({ type: 'lt', value: ALERT_THRESHOLDS.modelAccuracyFloor });
  });

  it('When production accuracy of the champion rests on enough verdicts, then only that figure can page', () => {
    const query = queryOf(ruleReading('aiops_models'));
    expect(query).toMatch(/"source" = 'production'/);
    expect(query).toMatch(/"segment" = 'all'/);
    expect(query).toMatch(/"alias" = 'champion'/);
    // The stage writes a thinner figure all the same (with its count): the rule's floor is the stage's.
    expect(query).toContain(`"holdout_size" >= ${DEFAULT_ACCURACY_STAGE_OPTIONS.minVerdicts}`);
    expect(query).toMatch(/GROUP BY "model", "version"$/);
    // A window of a few hourly runs: a version rolled back stops paging soon after.
    const from = ruleReading('aiops_models').data[0].relativeTimeRange?.from ?? 0;
    expect(from * 1000).toBeGreaterThanOrEqual(2 * DEFAULT_ACCURACY_STAGE_OPTIONS.intervalMs);
    expect(from * 1000).toBeLessThanOrEqual(6 * DEFAULT_ACCURACY_STAGE_OPTIONS.intervalMs);
  });

  it('When input drift is detected, then a rule fires on the backend\'s own judgement (drift_detected), not on PSI alone', () => {
    const rule = ruleReading('aiops_drift');
    expect(queryOf(rule)).toContain('"drift_detected" = true');
    expect(queryOf(rule)).toMatch(/GROUP BY "model", "feature"/);
    expect(thresholdOf(rule)).toEqual({ type: 'gt', value: 0 });
  });
});

describe('sensor threshold rules (the example users copy)', () => {
  const file = 'sensor-thresholds.yaml';
  const sensorRules = (parsed.find(([name]) => name === file)?.[1].groups ?? []).flatMap((g) => g.rules);

  it('When users look for simple threshold alerts, then a commented example file holds them, apart from the product rules', () => {
    expect(files).toContain(file);
    const text = readText('provisioning', 'alerting', file);
    // Says what it is for, where its numbers come from and how to adapt it, before any rule.
    const header = text.slice(0, text.indexOf('apiVersion'));
    expect(header).toMatch(/copy/i);
    expect(header).toContain('sensorLimits.ts');
    expect(sensorRules.length).toBeGreaterThan(0);
    for (const rule of sensorRules) {
      expect(INPUT_MEASUREMENTS.has(checkInfluxQuery(queryOf(rule), catalog).measurements[0])).toBe(true);
    }
  });

  it("When a PLC's CPU module runs hot, then the rule pages on its minute means above the simulator's limit, for the simulator's duration, to maintenance", () => {
    const rule = ruleReading('sensors');
    expect(queryOf(rule)).toContain('mean("temperature_c")');
    expect(queryOf(rule)).toContain(`"kind" = 'plc'`);
    expect(queryOf(rule)).toMatch(/GROUP BY time\(1m\), "site", "host"/);
    expect(thresholdOf(rule)).toEqual({ type: 'gt', value: PLC_TEMPERATURE_LIMIT_C });
    expect(rule.for).toBe(PLC_TEMPERATURE_FOR);
    expect(rule.labels?.department).toBe('maintenance');
    // The texts people read name the same limit.
    expect(rule.annotations?.summary).toContain(`${PLC_TEMPERATURE_LIMIT_C} °C`);
  });
});

describe('alert rule queries against a real influxd', () => {
  const MINUTE_MS = 60_000;
  const nowMs = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS;
  let client: InfluxClient;
  let database: string;

  /** A's query as Grafana sends it when the rule is evaluated now, over the rule's own time range. */
  const runA = (rule: Rule) => {
    const a = rule.data.find((d) => d.datasourceUid !== EXPRESSION_UID);
    const fromS = a?.relativeTimeRange?.from ?? 0;
    const query = interpolateInfluxQuery(queryOf(rule), {
      fromMs: nowMs - fromS * 1000,
      toMs: nowMs,
      intervalMs: a?.model.intervalMs ?? MINUTE_MS,
    });
    return client.query(database, query);
  };

  beforeAll(async () => {
    ({ client, database } = await freshDatabase('grafana_rules'));
    const reading = (host: string, kind: string, minutesAgo: number, temperature: number): SeriesPoint => ({
      measurement: INPUT.sensors.measurement,
      tags: { host, site: 'fact-02', kind },
      fields: { temperature_c: temperature, vibration_mm_s: 2, pressure_kpa: 400, power_w: 120 },
      timeUs: (nowMs - minutesAgo * MINUTE_MS) * 1000,
    });
    const points = [3, 2, 1].flatMap((ago) => [
      reading('fact-02-plc-01', 'plc', ago, PLC_TEMPERATURE_LIMIT_C + 4 - ago),
      reading('fact-02-plc-02', 'plc', ago, 47),
      // A room sensor as hot as the PLC: not a PLC, not this rule's business.
      reading('fact-02-sensor-01', 'sensor', ago, PLC_TEMPERATURE_LIMIT_C + 5),
    ]);
    await client.writeLines(database, points.map(toLineProtocol));
  });

  it.each(rules.map((r) => [r.title, r] as const))('%s: its query runs on influxd as Grafana sends it', async (_t, rule) => {
    await expect(runA(rule)).resolves.toBeDefined();
  });

  it('When one PLC runs above the limit and another below, then only the hot PLC is over the threshold after reduce', async () => {
    const rule = ruleReading('sensors');
    const series = await runA(rule);
    // B (reduce last, dropping nulls) and C (threshold) as Grafana applies them, per series.
    const last = series.map((s) => {
      const values = s.rows.map((r) => r.mean).filter((v): v is number => typeof v === 'number');
      return [s.tags.host, values.at(-1)] as const;
    });
    expect(last.map(([host]) => host).sort()).toEqual(['fact-02-plc-01', 'fact-02-plc-02']);
    const threshold = thresholdOf(rule)?.value ?? Number.NaN;
    const firing = last.filter(([, value]) => value !== undefined && value > threshold).map(([host]) => host);
    expect(firing).toEqual(['fact-02-plc-01']);
  });
});

type Matcher = [string, '=' | '!=' | '=~' | '!~', string];
interface Route {
  receiver?: string;
  object_matchers?: Matcher[];
  continue?: boolean;
  routes?: Route[];
}

/** Grafana's routing: the first child route whose matchers all hold (depth first), else the parent's receiver. */
function receiverFor(labels: Record<string, string>, route: Route, inherited?: string): string | undefined {
  const receiver = route.receiver ?? inherited;
  for (const child of route.routes ?? []) {
    const matches = (child.object_matchers ?? []).every(([name, op, value]) => {
      const actual = labels[name] ?? '';
      if (op === '=') return actual === value;
      if (op === '!=') return actual !== value;
      const re = new RegExp(`^(?:${value})$`);
      return op === '=~' ? re.test(actual) : !re.test(actual);
    });
    if (matches) return receiverFor(labels, child, receiver);
  }
  return receiver;
}

describe('provisioned notifications', () => {
  const names = new Set(contactPoints.map((cp) => cp.name));
  const root = policies[0] as Route & { group_by?: string[] };

  it('When an alert fires, then the root policy and every route send it to an existing contact point, grouped by alertname and site', () => {
    expect(policies).toHaveLength(1);
    const walk = (route: Route): void => {
      if (route.receiver) expect(names).toContain(route.receiver);
      for (const child of route.routes ?? []) walk(child);
    };
    walk(root);
    expect(root.group_by).toEqual(expect.arrayContaining(['alertname', 'site']));
  });

  it.each(rules.map((r) => [r.title, r] as const))(
    '%s: carries the product label and notifies people, never the backend intake',
    (_t, rule) => {
      expect(rule.labels?.[PRODUCT_RULE_LABEL]).toBe('true');
      // Series labels the rule's GROUP BY adds, with each department the ticket rule may carry.
      for (const department of [undefined, ...DEPARTMENTS]) {
        const labels: Record<string, string> = { ...rule.labels, alertname: rule.title, grafana_folder: 'NOC AI', site: 'hosp-01' };
        if (department) labels.department = department;
        const receiver = receiverFor(labels, root);
        expect(receiver).not.toBe('nocai-webhook');
        expect(contactPoints.find((cp) => cp.name === receiver)?.receivers[0].type).toBe('email');
        if (department) expect(receiver).toBe(`nocai-${department.replace(/_/g, '-')}`);
      }
    }
  );

  it('When a rule of your own is labelled nocai_intake=true, then it goes to the backend intake; without it, to the NOC', () => {
    expect(receiverFor({ alertname: 'PLC temperature', [INTAKE_LABEL]: 'true' }, root)).toBe('nocai-webhook');
    expect(receiverFor({ alertname: 'PLC temperature' }, root)).toBe('nocai-noc');
  });

  it('When the webhook target is configured, then it comes from NOCAI_ALERT_WEBHOOK_URL', () => {
    const webhook = contactPoints.find((cp) => cp.name === 'nocai-webhook');
    expect(webhook?.receivers).toHaveLength(1);
    expect(webhook?.receivers[0]).toMatchObject({
      uid: 'nocai-webhook',
      type: 'webhook',
      settings: {
        url: '${NOCAI_ALERT_WEBHOOK_URL}',
        // The webhook-only token, never the API token: the URL may point at a third party.
        authorization_scheme: 'Bearer',
        authorization_credentials: '${NOCAI_WEBHOOK_TOKEN}',
      },
    });
  });

  it('When Grafana expands ${VAR} in the alerting files, then only the webhook URL, its token and the notification addresses are involved', () => {
    // Annotations such as {{ $labels.site }} are alert templates, not environment variables.
    const variables = files.flatMap((file) => bracedVariables(readText('provisioning', 'alerting', file)));
    const notify = ['NOC', ...DEPARTMENTS.map((d) => d.toUpperCase())].map((d) => `NOCAI_NOTIFY_${d}`);
    expect([...new Set(variables)].sort()).toEqual(['NOCAI_ALERT_WEBHOOK_URL', 'NOCAI_WEBHOOK_TOKEN', ...notify].sort());
  });
});
