import { createHash } from 'node:crypto';
import type { Ticket } from '@nocai/contract';
import { readYaml } from '../grafana/repo';
import { startTestBackend, type TestBackend } from '../support/service';

interface ProvisionedRule {
  uid: string;
  title: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  data: Array<{ model: { query?: string } }>;
}

const rules = readYaml<{ groups: Array<{ folder: string; rules: ProvisionedRule[] }> }>(
  'provisioning',
  'alerting',
  'rules.yaml'
).groups.flatMap((g) => g.rules.map((rule) => ({ ...rule, folder: g.folder })));

/** The series labels a rule's GROUP BY adds to its alerts, with a plausible value each. */
function seriesLabels(rule: ProvisionedRule): Record<string, string> {
  const query = rule.data.find((d) => d.model.query)?.model.query ?? '';
  const groupBy = /GROUP BY (.+)$/i.exec(query)?.[1] ?? '';
  const sample: Record<string, string> = {
    site: 'hosp-01',
    department: 'field_technicians',
    device_kind: 'power_switch',
    host: 'hosp-01-ps-01',
    metric: 'sensors.temperature_c',
    model: 'department',
    version: '3',
    alias: 'champion',
    feature: 'text',
  };
  return Object.fromEntries(
    [...groupBy.matchAll(/"([^"]+)"/g)].map((m) => [m[1], sample[m[1]] ?? 'x']).filter(([name]) => name !== 'time')
  );
}

/** What Grafana 12's webhook contact point posts for one firing (or resolved) alert of `rule`. */
function grafanaPayload(rule: ProvisionedRule & { folder: string }, status: 'firing' | 'resolved') {
  const labels: Record<string, string> = {
    ...rule.labels,
    ...seriesLabels(rule),
    alertname: rule.title,
    grafana_folder: rule.folder,
  };
  const render = (template: string) =>
    template
      .replace(/\{\{\s*\$labels\.(\w+)\s*\}\}/g, (_m, name: string) => labels[name] ?? '')
      .replace(/\{\{\s*\$values\.(\w+)\s*\}\}/g, '1');
  const annotations = Object.fromEntries(Object.entries(rule.annotations).map(([k, v]) => [k, render(v)]));
  const now = new Date();
  const fingerprint = createHash('sha256')
    .update(JSON.stringify(Object.entries(labels).sort()))
    .digest('hex')
    .slice(0, 16);
  const alert = {
    status,
    labels,
    annotations,
    startsAt: new Date(now.getTime() - 60_000).toISOString(),
    endsAt: status === 'resolved' ? now.toISOString() : '0001-01-01T00:00:00Z',
    generatorURL: `http://grafana:3000/alerting/grafana/${rule.uid}/view?orgId=1`,
    fingerprint,
    silenceURL: `http://grafana:3000/alerting/silence/new?alertmanager=grafana&matcher=__alert_rule_uid__%3D${rule.uid}`,
    dashboardURL: '',
    panelURL: '',
    values: { B: 1, C: 1 },
    valueString: `[ var='B' labels={site=hosp-01} value=1 ], [ var='C' labels={site=hosp-01} value=1 ]`,
  };
  return {
    receiver: 'nocai-webhook',
    status,
    orgId: 1,
    alerts: [alert],
    groupLabels: { alertname: rule.title, site: labels.site ?? '' },
    commonLabels: labels,
    commonAnnotations: annotations,
    externalURL: 'http://grafana:3000/',
    version: '1',
    groupKey: `{}/{nocai_rule="true"}:{alertname="${rule.title}"}`,
    truncatedAlerts: 0,
    title: `[${status.toUpperCase()}:1] ${rule.title} (${rule.folder})`,
    state: status === 'firing' ? 'alerting' : 'ok',
    message: `**${status}**\n\nValue: B=1, C=1\nLabels:\n - alertname = ${rule.title}\n`,
  };
}

describe("the alert intake and the product's own rules", () => {
  let backend: TestBackend;
  beforeAll(async () => {
    backend = await startTestBackend({ NOCAI_WEBHOOK_TOKEN: 'hook-token' });
  });
  afterAll(() => backend?.stop());

  const intake = (body: unknown) =>
    backend.call('/api/alerts/grafana', {
      method: 'POST',
      auth: false,
      headers: { Authorization: 'Bearer hook-token', 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });

  it.each(rules.map((r) => [r.title, r] as const))(
    '%s: when Grafana posts its alert to the intake anyway, then no ticket results',
    async (_title, rule) => {
      for (const status of ['firing', 'resolved'] as const) {
        const res = await intake(grafanaPayload(rule, status));
        expect(res.status).toBe(202);
        expect(await res.json()).toEqual({ tickets: [], ignored: 1, unmatched: 0, refused: [] });
      }
      const stored = await backend.influx.client.query(
        backend.outputDb,
        `SELECT count(ticket_id) FROM aiops_tickets WHERE "source" = 'grafana_alert'`
      );
      expect(stored[0]?.rows[0]?.count ?? 0).toBe(0);
    }
  );

  it('When a payload mixes a device rule of your own with a product rule, then only the device alert becomes a ticket', async () => {
    const product = grafanaPayload({ ...rules[0] }, 'firing');
    const own = {
      ...product.alerts[0],
      labels: { alertname: 'PLC temperature high', site: 'plant-02', nocai_intake: 'true', severity: 'warning' },
      annotations: { summary: 'PLC temperature above 70 °C on line 3' },
      fingerprint: 'a1b2c3d4e5f60718',
    };
    const res = await intake({ ...product, alerts: [product.alerts[0], own] });
    expect(res.status).toBe(202);
    const body = (await res.json()) as { tickets: Ticket[]; ignored: number };
    expect(body.ignored).toBe(1);
    expect(body.tickets.map((t) => t.id)).toEqual(['GRA-a1b2c3d4e5f60718']);
  });
});
