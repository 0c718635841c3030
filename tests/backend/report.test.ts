import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DRIFT_SERIES,
  FEEDBACK_SERIES,
  MAINTENANCE_SERIES,
  MODEL_METRICS_SERIES,
  PROBLEM_SERIES,
  TICKET_SERIES,
} from '@nocai/contract';
import { createApp } from '../../inference-backend/src/adapters/http/app';
import { createReportRouter } from '../../inference-backend/src/adapters/http/reportRoutes';
import type { InfluxClient } from '../../inference-backend/src/adapters/influx';
import type { EventsRepository } from '../../inference-backend/src/adapters/influx/eventsRepository';
import type { SeriesRepository } from '../../inference-backend/src/adapters/influx/seriesRepository';
import { createLogger } from '../../inference-backend/src/adapters/logger';
import { Metrics } from '../../inference-backend/src/adapters/metrics/metrics';
import { InfluxReportSource } from '../../inference-backend/src/adapters/report/influxReportSource';
import { buildReport, ReportGenerator } from '../../inference-backend/src/adapters/report/reportGenerator';
import { EVALUATION_METRICS, type PerformanceReport } from '../../inference-backend/src/adapters/report/reportModel';
import { ReportStore } from '../../inference-backend/src/adapters/report/reportStore';
import { runCli } from '../../inference-backend/src/cli';
import type { TicketService } from '../../inference-backend/src/services/ticketService';
import { freshDatabase, testInfluxUrl } from '../support/influx';
import { WEEK_FROM_MS, WEEK_TO_MS, writeReportScenario } from '../support/reportScenario';

const M = MODEL_METRICS_SERIES;
const RANGE = { fromMs: WEEK_FROM_MS, toMs: WEEK_TO_MS };
const GENERATED_AT_MS = WEEK_TO_MS + 2 * 3_600_000;
const clock = { nowMs: () => GENERATED_AT_MS };
const TOKEN = 'report-test-token';

/** The points of a measurement in the week, queried plainly (no report code involved). */
async function pointsOf(client: InfluxClient, database: string, measurement: string) {
  const q = `SELECT * FROM "${measurement}" WHERE time >= ${WEEK_FROM_MS}ms AND time < ${WEEK_TO_MS}ms`;
  return (await client.query(database, q))[0]?.rows ?? [];
}

/** Every `<tr>` of the tables `table` in the HTML: its attributes and its cells' `data-field` → `data-value`. */
function tableRows(
  html: string,
  table: string
): Array<{ attrs: Record<string, string>; values: Record<string, number> }> {
  const rows: Array<{ attrs: Record<string, string>; values: Record<string, number> }> = [];
  for (const [, body] of html.matchAll(new RegExp(`<table data-table="${table}"[^>]*>([\\s\\S]*?)</table>`, 'g'))) {
    for (const [, attrText, cells] of body.matchAll(/<tr([^>]*)>([\s\S]*?)<\/tr>/g)) {
      const attrs = Object.fromEntries([...attrText.matchAll(/data-([a-z-]+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
      const values = Object.fromEntries(
        [...cells.matchAll(/data-field="([A-Za-z0-9]+)" data-value="([^"]+)"/g)].map((m) => [m[1], Number(m[2])])
      );
      if (Object.keys(attrs).length > 0) rows.push({ attrs, values });
    }
  }
  return rows;
}

describe('the performance report against InfluxDB', () => {
  let influx: Awaited<ReturnType<typeof freshDatabase>>;
  let report: PerformanceReport;
  let models: Array<Record<string, unknown>>;
  let dir: string;

  beforeAll(async () => {
    influx = await freshDatabase('report');
    await writeReportScenario(influx.client, influx.database);
    report = await buildReport(new InfluxReportSource(influx.client, influx.database), RANGE, clock);
    models = await pointsOf(influx.client, influx.database, M.measurement);
    dir = mkdtempSync(join(tmpdir(), 'nocai-report-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("When the week is reported, then every overall evaluation's figures are the ones stored in aiops_models, and nothing outside the week", async () => {
    const stored = models
      .filter((row) => row[M.tags.segment] === 'all' && row[M.tags.source] !== 'decision')
      .map((row) => ({
        model: row[M.tags.model],
        timeUs: row.time,
        version: row[M.tags.version],
        source: row[M.tags.source],
        metrics: Object.fromEntries(
          EVALUATION_METRICS.filter((key) => typeof row[M.fields[key]] === 'number').map((key) => [
            key,
            row[M.fields[key]],
          ])
        ),
      }));
    const reported = report.models.flatMap((m) =>
      m.evaluations.map((e) => ({
        model: m.model,
        timeUs: e.timeUs,
        version: e.version,
        source: e.source,
        metrics: e.metrics,
      }))
    );
    const key = (e: { model: unknown; timeUs: unknown; version: unknown; source: unknown }) =>
      `${String(e.model)} ${String(e.timeUs)} ${String(e.version)} ${String(e.source)}`;
    expect(reported.sort((a, b) => key(a).localeCompare(key(b)))).toEqual(
      stored.sort((a, b) => key(a).localeCompare(key(b)))
    );
    // 2 + 49 + 116 production points and four holdout evaluations of the department router, one of MTTR.
    expect(reported).toHaveLength(49 + 116 + 4 + 1);
    expect(reported.some((e) => e.version === 'v0')).toBe(false);
  });

  it('When a challenger was promoted and a worse one kept out, then the champion, the decisions and their figures are those stored', async () => {
    const department = report.models.find((m) => m.model === 'department');
    expect(department?.champion).toBe('v2');
    const stored = models.filter((row) => row[M.tags.source] === 'decision');
    expect(
      department?.decisions.map((d) => [
        d.timeUs,
        d.decision,
        d.championVersion,
        d.championValue,
        d.challengerVersion,
        d.challengerValue,
        d.reason,
      ])
    ).toEqual(
      stored.map((row) => [
        row.time,
        row[M.fields.decision],
        row[M.fields.championVersion],
        row[M.fields.championValue],
        row[M.fields.challengerVersion],
        row[M.fields.challengerValue],
        row[M.fields.reason],
      ])
    );
  });

  it("When groups were evaluated, then each group's figures are the stored ones and gap and ratio are to the stored overall figure", async () => {
    const mttr = report.models.find((m) => m.model === 'mttr');
    const table = mttr?.segments[0];
    expect(table?.comparedMetric).toBe('maeSeconds');
    const overall = models.find((row) => row[M.tags.model] === 'mttr' && row[M.tags.segment] === 'all');
    expect(table?.overall).toBe(overall?.[M.fields.maeSeconds]);
    const groups = models
      .filter((row) => row[M.tags.model] === 'mttr' && row[M.tags.segment] !== 'all')
      .sort((a, b) => String(a[M.tags.segment]).localeCompare(String(b[M.tags.segment])));
    expect(table?.rows.map((r) => [r.segment, r.metrics.maeSeconds, r.gap])).toEqual(
      groups.map((row) => [
        row[M.tags.segment],
        row[M.fields.maeSeconds],
        Number(row[M.fields.maeSeconds]) - Number(overall?.[M.fields.maeSeconds]),
      ])
    );
    // The department router's last production evaluation (Sunday 23:00) and its facilities group.
    const production = report.models
      .find((m) => m.model === 'department')
      ?.segments.find((t) => t.source === 'production');
    const lastHour = models
      .filter((row) => row[M.tags.source] === 'production' && row[M.tags.segment] === 'department=facilities')
      .at(-1);
    expect(production?.timeUs).toBe(lastHour?.time);
    expect(production?.rows.map((r) => r.metrics.accuracy)).toEqual([lastHour?.[M.fields.accuracy]]);
  });

  it('When inputs were checked for drift, then each shows its latest check, its highest PSI and how often it drifted', async () => {
    const rows = await pointsOf(influx.client, influx.database, DRIFT_SERIES.measurement);
    const department = report.models.find((m) => m.model === 'department');
    for (const feature of ['site_kind', 'template_mix']) {
      const own = rows.filter((row) => row[DRIFT_SERIES.tags.feature] === feature);
      const reported = department?.drift.find((d) => d.feature === feature);
      expect(reported).toMatchObject({
        timeUs: own.at(-1)?.time,
        psi: own.at(-1)?.[DRIFT_SERIES.fields.psi],
        method: own.at(-1)?.[DRIFT_SERIES.fields.method],
        statistic: own.at(-1)?.[DRIFT_SERIES.fields.statistic],
        driftDetected: own.at(-1)?.[DRIFT_SERIES.fields.driftDetected],
        maxPsi: Math.max(...own.map((row) => Number(row[DRIFT_SERIES.fields.psi]))),
        evaluations: own.length,
        detections: own.filter((row) => row[DRIFT_SERIES.fields.driftDetected] === true).length,
      });
    }
    expect(department?.drift.find((d) => d.feature === 'template_mix')?.driftDetected).toBe(true);
  });

  it('When tickets were opened and judged, then alerts per class count openings and the last verdict of each ticket', async () => {
    const opened = (await pointsOf(influx.client, influx.database, TICKET_SERIES.measurement)).filter(
      (row) => row[TICKET_SERIES.tags.change] === 'opened'
    );
    const verdicts = new Map<string, Record<string, unknown>>();
    for (const row of await pointsOf(influx.client, influx.database, FEEDBACK_SERIES.measurement)) {
      verdicts.set(String(row[FEEDBACK_SERIES.fields.ticketId]), row);
    }
    for (const counts of report.alerts.byClass) {
      const last = [...verdicts.values()].filter((row) => row[FEEDBACK_SERIES.tags.eventClass] === counts.eventClass);
      const n = (verdict: string) => last.filter((row) => row[FEEDBACK_SERIES.tags.verdict] === verdict).length;
      expect(counts).toMatchObject({
        raised: opened.filter((row) => row[TICKET_SERIES.tags.eventClass] === counts.eventClass).length,
        validated: n('valid'),
        invalidated: n('invalid'),
        avoided: n('avoided'),
      });
    }
    expect(report.alerts.total.raised).toBe(24);
  });

  it("When alerts, alarms and tickets' estimates were explained, then each model's summary aggregates exactly the stored top factors", async () => {
    type Factor = { feature: string; weight: number };
    const parse = (text: unknown) => JSON.parse(String(text)) as Factor[];
    const alerts = (await pointsOf(influx.client, influx.database, PROBLEM_SERIES.measurement)).filter(
      (row) => row[PROBLEM_SERIES.fields.alert] === true
    );
    const alarms = (await pointsOf(influx.client, influx.database, MAINTENANCE_SERIES.measurement)).filter(
      (row) => row[MAINTENANCE_SERIES.fields.alarm] === true
    );
    const opened = (await pointsOf(influx.client, influx.database, TICKET_SERIES.measurement)).filter(
      (row) => row[TICKET_SERIES.tags.change] === 'opened' && typeof row[TICKET_SERIES.fields.mttrFactors] === 'string'
    );
    const cases = [
      {
        model: 'problem-freezer',
        kind: 'alert',
        rows: alerts,
        field: PROBLEM_SERIES.fields.explanation,
        versions: ['2', '3'],
      },
      {
        model: 'plc-failure',
        kind: 'alarm',
        rows: alarms,
        field: MAINTENANCE_SERIES.fields.topFactors,
        versions: ['1'],
      },
      { model: 'mttr', kind: 'ticket', rows: opened, field: TICKET_SERIES.fields.mttrFactors, versions: ['v1'] },
    ];
    // Risky maintenance points that raised no alarm, status changes and baseline estimates are not explained predictions.
    expect(alarms.length).toBeGreaterThan(3);
    expect(opened).toHaveLength(16);
    for (const { model, kind, rows, field, versions } of cases) {
      const summary = report.models.find((m) => m.model === model)?.explanations;
      expect(summary).toMatchObject({ kind, predictions: rows.length, versions, truncated: false });
      const factors = rows.map((row) => parse(row[field]));
      const total = factors.flat().reduce((sum, f) => sum + Math.abs(f.weight), 0);
      for (const line of summary?.factors ?? []) {
        const listed = factors.flatMap((list) => list.filter((f) => f.feature === line.feature));
        expect(line.count).toBe(listed.length);
        expect(line.firstCount).toBe(factors.filter((list) => list[0].feature === line.feature).length);
        expect(line.meanContribution).toBeCloseTo(listed.reduce((sum, f) => sum + f.weight, 0) / listed.length, 12);
        expect(line.share).toBeCloseTo(listed.reduce((sum, f) => sum + Math.abs(f.weight), 0) / total, 12);
      }
      expect(summary?.distinctFactors).toBe(new Set(factors.flat().map((f) => f.feature)).size);
    }
    // What a reader sees first: the freezer's alerts were driven by the temperature trend, the PLC's by vibration.
    const top = (model: string) => report.models.find((m) => m.model === model)?.explanations?.factors[0].feature;
    expect(top('problem-freezer')).toBe('freezer.temp_c:slope');
    expect(top('plc-failure')).toBe('sensors.vibration_mm_s');
    expect(
      report.models.find((m) => m.model === 'mttr')?.explanations?.factors.find((f) => f.feature === 'priority=P2')
    ).toMatchObject({ count: 16, raisedCount: 16, meanContribution: expect.closeTo(0.31, 12) });
  });

  it('When `nocai report` writes the file, then its table cells carry the same figures as aiops_models', async () => {
    const out = join(dir, 'week.html');
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      await runCli([
        'node',
        'nocai',
        'report',
        '--from',
        '2024-05-06',
        '--to',
        '2024-05-13T00:00Z',
        '--out',
        out,
        '--influx-url',
        testInfluxUrl(),
        '--database',
        influx.database,
      ]);
    } finally {
      stderr.mockRestore();
    }
    expect(process.exitCode ?? 0).toBe(0);
    const html = readFileSync(out, 'utf8');
    const evaluations = tableRows(html, 'evaluations');
    const stored = models.filter((row) => row[M.tags.segment] === 'all' && row[M.tags.source] !== 'decision');
    expect(evaluations).toHaveLength(stored.length);
    for (const row of stored) {
      const cells = evaluations.find(
        (r) =>
          r.attrs['time-us'] === String(row.time) &&
          r.attrs.version === row[M.tags.version] &&
          r.attrs.source === row[M.tags.source]
      );
      for (const key of ['accuracy', 'f1', 'maeSeconds', 'holdoutSize', 'validCount'] as const) {
        expect(cells?.values[key]).toBe(typeof row[M.fields[key]] === 'number' ? row[M.fields[key]] : undefined);
      }
    }
    const decisions = tableRows(html, 'decisions');
    expect(decisions.map((r) => r.values.challengerValue)).toEqual([0.88, 0.3]);
    // The reason's markup is text on the page.
    expect(html).toContain('the challenger &lt;b&gt;loses&lt;/b&gt; &amp; is kept out');
    // Each explaining model's SHAP summary: its inputs' shares as the report computed them.
    for (const model of ['problem-freezer', 'plc-failure', 'mttr']) {
      const table =
        new RegExp(`<table data-table="factors" data-model="${model}"[^>]*>([\\s\\S]*?)</table>`).exec(html)?.[1] ?? '';
      const shares = [...table.matchAll(/data-field="share" data-value="([^"]+)"/g)].map((m) => Number(m[1]));
      expect(shares).toEqual(report.models.find((m) => m.model === model)?.explanations?.factors.map((f) => f.share));
    }
  });

  describe('GET and POST /api/reports', () => {
    let server: Server;
    let base: string;
    beforeAll(async () => {
      const unused = {} as unknown;
      const generator = new ReportGenerator({
        source: new InfluxReportSource(influx.client, influx.database),
        store: new ReportStore(join(dir, 'reports')),
        clock,
      });
      const app = createApp({
        logger: createLogger('silent'),
        metrics: new Metrics(),
        clock,
        events: unused as EventsRepository,
        series: unused as SeriesRepository,
        tickets: unused as TicketService,
        checkInflux: async () => undefined,
        auth: { apiToken: TOKEN, allowAnonymous: false },
        routers: [{ path: '/reports', router: createReportRouter({ generator, clock }) }],
      });
      server = await new Promise<Server>((resolve) => {
        const s = app.listen(0, '127.0.0.1', () => resolve(s));
      });
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/reports`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    const call = (path: string, init: RequestInit = {}) =>
      fetch(`${base}${path}`, {
        ...init,
        headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json', ...init.headers },
      });

    it('When no report was made yet, then /latest answers 404 with a sentence saying how to make one', async () => {
      const response = await call('/latest');
      expect(response.status).toBe(404);
      const body = (await response.json()) as { error: { message: string } };
      expect(body.error.message).toMatch(/^no report has been generated yet: .*POST \/api\/reports/);
    });

    it('When one is asked for, then it is made, listed, and /latest serves it as HTML that may fetch nothing', async () => {
      const made = await call('/', { method: 'POST', body: JSON.stringify({ from: '2024-05-06', to: '2024-05-13' }) });
      expect(made.status).toBe(201);
      const { report: info } = (await made.json()) as { report: { id: string; from: string; to: string; url: string } };
      expect(info).toMatchObject({ from: '2024-05-06T00:00:00.000Z', to: '2024-05-13T00:00:00.000Z' });
      expect(made.headers.get('location')).toBe(info.url);

      const list = (await (await call('/')).json()) as { reports: Array<{ id: string }> };
      expect(list.reports.map((r) => r.id)).toEqual([info.id]);

      const latest = await call('/latest');
      expect(latest.status).toBe(200);
      expect(latest.headers.get('content-type')).toMatch(/^text\/html/);
      expect(latest.headers.get('content-security-policy')).toBe(
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
      );
      const html = await latest.text();
      const production = tableRows(html, 'evaluations').filter((r) => r.attrs.source === 'production');
      expect(production.map((r) => r.values.accuracy)).toEqual(
        models
          .filter((row) => row[M.tags.source] === 'production' && row[M.tags.segment] === 'all')
          .map((row) => row[M.fields.accuracy])
      );
      expect((await call(`/${info.id}`)).status).toBe(200);
    });

    it('When the range or the id is wrong, or the token missing, then 400, 404 and 401 say why', async () => {
      const backwards = await call('/', {
        method: 'POST',
        body: JSON.stringify({ from: '2024-05-13', to: '2024-05-06' }),
      });
      expect(backwards.status).toBe(400);
      expect(((await backwards.json()) as { error: { message: string } }).error.message).toMatch(
        /^the range must end after it starts/
      );
      const missing = await call('/', { method: 'POST', body: JSON.stringify({ from: '2024-05-13' }) });
      expect(missing.status).toBe(400);
      expect(((await missing.json()) as { error: { message: string } }).error.message).toMatch(
        /^to must be an ISO 8601 date or time/
      );
      expect((await call('/report-..%2F..%2Fetc')).status).toBe(404);
      expect((await fetch(`${base}/latest`)).status).toBe(401);
    });
  });
});
