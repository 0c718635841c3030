import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MODEL_METRICS_SERIES } from '@nocai/contract';
import type { Browser, Page } from 'playwright-core';

import { InfluxReportSource } from '../../inference-backend/src/adapters/report/influxReportSource';
import { buildReport } from '../../inference-backend/src/adapters/report/reportGenerator';
import { renderReportHtml } from '../../inference-backend/src/adapters/report/renderHtml';
import { freshDatabase } from '../support/influx';
import { WEEK_FROM_MS, WEEK_TO_MS, writeReportScenario } from '../support/reportScenario';
import { launchChromium } from './harness/chromium';

const M = MODEL_METRICS_SERIES;

/**
 * The weekly report as an analyst gets it: a file made from a week of lifecycle points in the test
 * influxd, opened from disk in the system Chromium.
 */
describe('the performance report in a real browser', () => {
  let dir: string;
  let browser: Browser;
  let page: Page;
  let stored: Array<Record<string, unknown>>;
  const problems: string[] = [];
  const requests: string[] = [];
  let fileUrl: string;

  beforeAll(async () => {
    const influx = await freshDatabase('report_browser');
    await writeReportScenario(influx.client, influx.database);
    const report = await buildReport(
      new InfluxReportSource(influx.client, influx.database),
      { fromMs: WEEK_FROM_MS, toMs: WEEK_TO_MS },
      { nowMs: () => WEEK_TO_MS + 3_600_000 }
    );
    stored =
      (
        await influx.client.query(
          influx.database,
          `SELECT * FROM "${M.measurement}" WHERE time >= ${WEEK_FROM_MS}ms AND time < ${WEEK_TO_MS}ms AND "segment" = 'all'`
        )
      )[0]?.rows ?? [];
    dir = mkdtempSync(join(tmpdir(), 'nocai-report-browser-'));
    const file = join(dir, 'week.html');
    writeFileSync(file, renderReportHtml(report));
    fileUrl = pathToFileURL(file).href;

    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    // Waits on what the page shows, with room for a machine busy with other work.
    page.setDefaultTimeout(120_000);
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text());
    });
    page.on('request', (request) => requests.push(request.url()));
    await page.goto(fileUrl, { waitUntil: 'load' });
  });
  afterAll(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('When the file is opened, then the console stays clean and the page asks for nothing but itself', () => {
    expect(problems).toEqual([]);
    expect(requests).toEqual([fileUrl]);
  });

  it('When the page is drawn, then each model has its accuracy chart, and drift and alerts have theirs, as visible SVG', async () => {
    const charts = await page.locator('figure.chart').evaluateAll((figures) =>
      figures.map((figure) => {
        const svg = figure.querySelector('svg');
        const box = svg?.getBoundingClientRect();
        return {
          kind: figure.getAttribute('data-chart'),
          model: figure.closest('section')?.getAttribute('data-model') ?? null,
          width: box?.width ?? 0,
          height: box?.height ?? 0,
          paths: svg?.querySelectorAll('path').length ?? 0,
        };
      })
    );
    expect(charts.map((c) => [c.kind, c.model])).toEqual([
      ['quality', 'department'],
      ['drift', 'department'],
      ['quality', 'mttr'],
      ['alerts', null],
    ]);
    for (const chart of charts) {
      expect(chart.width).toBeGreaterThan(300);
      expect(chart.height).toBeGreaterThan(150);
      expect(chart.paths).toBeGreaterThan(5);
    }
  });

  it('When an analyst reads the evaluations table, then its accuracy cells are the figures stored in aiops_models', async () => {
    const cells = await page.locator('table[data-table="evaluations"] tbody tr').evaluateAll((rows) =>
      rows.map((row) => ({
        model: row.closest('section')?.getAttribute('data-model'),
        timeUs: row.getAttribute('data-time-us'),
        version: row.getAttribute('data-version'),
        source: row.getAttribute('data-source'),
        accuracy: row.querySelector('[data-field="accuracy"]')?.getAttribute('data-value') ?? null,
        shown: row.querySelector('[data-field="accuracy"]')?.textContent ?? null,
      }))
    );
    const department = stored.filter((row) => row[M.tags.model] === 'department' && row[M.tags.source] !== 'decision');
    const byKey = (a: unknown[], b: unknown[]) => a.join(' ').localeCompare(b.join(' '));
    expect(
      cells
        .filter((c) => c.model === 'department')
        .map((c) => [c.timeUs, c.version, c.source, Number(c.accuracy)])
        .sort(byKey)
    ).toEqual(
      department
        .map((row) => [String(row.time), row[M.tags.version], row[M.tags.source], row[M.fields.accuracy]])
        .sort(byKey)
    );
    // What people read is the same number, rounded to three places.
    for (const cell of cells.filter((c) => c.accuracy !== null)) {
      expect(cell.shown).toMatch(/^\d\.\d{3}$/);
      expect(Math.abs(Number(cell.shown) - Number(cell.accuracy))).toBeLessThanOrEqual(0.0005 + 1e-12);
    }
  });
});
