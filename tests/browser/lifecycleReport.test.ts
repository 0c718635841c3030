/**
 * @jest-environment ../inference-backend/src/adapters/onnx/onnxruntimeTestEnvironment.js
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { monthReport, runLifecycleMonth, type LifecycleMonth } from '../support/lifecycleMonth';
import { launchChromium } from './harness/chromium';

/**
 * The acceptance of the lifecycle's report: a month played on the real backend (verdicts,
 * corrections, hourly production accuracy and drift, weekly retraining), then the performance
 * report of that month asked for through the API and opened from disk in Chromium.
 */
describe('the performance report of a simulated month of the lifecycle', () => {
  let month: LifecycleMonth;
  let html: string;
  let dir: string;
  let browser: Browser;

  beforeAll(async () => {
    month = await runLifecycleMonth();
    html = await monthReport(month);
    dir = mkdtempSync(join(tmpdir(), 'nocai-lifecycle-report-'));
    browser = await launchChromium();
  }, 900_000);

  afterAll(async () => {
    await browser?.close();
    await month?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('When the month is over, then its report names the department model’s promotion, its production accuracy and drift, and opens in Chromium with a clean console', async () => {
    expect(month.corrected).toBeGreaterThan(10);
    expect(month.resolved).toBeGreaterThan(100);
    // The MTTR trees were judged on the fresh resolved tickets too (promoted or kept, with the figures).
    const mttr = (await month.backend.influx.client.query(
      month.backend.outputDb,
      `SELECT "decision", "champion_value", "challenger_value" FROM "aiops_models" WHERE "model" = 'mttr' AND "source" = 'decision'`
    ))[0]?.rows ?? [];
    expect(mttr.some((d) => Number(d.champion_value) > 0 && Number(d.challenger_value) > 0)).toBe(true);
    expect(html).toContain('data-model="mttr"');
    expect(html).toContain('data-model="department"');
    expect(html).toMatch(/promoted/);
    expect(html).toMatch(/data-source="production"/);
    const file = join(dir, 'month.html');
    writeFileSync(file, html);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text());
    });
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    expect(problems).toEqual([]);
    const charts = await page.locator('figure.chart svg').count();
    expect(charts).toBeGreaterThan(2);
    await page.close();
  });
});
