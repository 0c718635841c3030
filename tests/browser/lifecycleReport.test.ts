/**
 * @jest-environment ../inference-backend/src/adapters/onnx/onnxruntimeTestEnvironment.js
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { InfluxClient } from '../../inference-backend/src/adapters/influx';
import { bannerValue, killAll, processesOf, signalGroup, startDemo, whenPrinted, type Demo } from '../support/demoProcess';
import { launchChromium } from './harness/chromium';

/**
 * The acceptance of the lifecycle's report: `nocai demo --month` plays a month on the real backend
 * (complaints routed, operators' verdicts and corrections, hourly production accuracy and drift,
 * weekly retraining) and writes the month's performance report, which is opened from disk in
 * Chromium as an analyst would open the mailed file.
 */
describe('nocai demo --month: the performance report of a simulated month of the lifecycle', () => {
  let dir = '';
  let demo: Demo | undefined;
  let output = '';
  let browser: Browser;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nocai-month-'));
    demo = startDemo(dir, ['--month']);
    output = await whenPrinted(demo, 'NOC AI lifecycle month is ready', 1_200_000);
    browser = await launchChromium();
  }, 1_300_000);

  afterAll(async () => {
    await browser?.close();
    if (demo && demo.child.exitCode === null && demo.child.signalCode === null) {
      signalGroup(demo, 'SIGKILL');
      await demo.exited;
    }
    if (dir) {
      killAll(processesOf(dir));
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('When the month is over, then its report names the department model’s promotion, its production accuracy and drift, opens in Chromium with a clean console, and Ctrl-C stops the demo', async () => {
    const corrected = Number(bannerValue(output, /(\d+) corrected by operators/));
    const resolved = Number(bannerValue(output, /(\d+) resolved/));
    expect(corrected).toBeGreaterThan(10);
    expect(resolved).toBeGreaterThan(100);
    const influx = new InfluxClient({ url: bannerValue(output, /influxdb\s+(http:\/\/\S+)/) });
    const database = bannerValue(output, /database (\S+):/);
    // The MTTR trees were judged on the fresh resolved tickets too (promoted or kept, with the figures).
    const mttr =
      (
        await influx.query(
          database,
          `SELECT "decision", "champion_value", "challenger_value" FROM "aiops_models" WHERE "model" = 'mttr' AND "source" = 'decision'`
        )
      )[0]?.rows ?? [];
    expect(mttr.some((d) => Number(d.champion_value) > 0 && Number(d.challenger_value) > 0)).toBe(true);

    const file = bannerValue(output, /report\s+(\S+\.html)/);
    const html = readFileSync(file, 'utf8');
    expect(html).toContain('data-model="mttr"');
    expect(html).toContain('data-model="department"');
    expect(html).toMatch(/promoted/);
    expect(html).toMatch(/data-source="production"/);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    // Waits on what the page shows, with room for a machine busy with other work.
    page.setDefaultTimeout(120_000);
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text());
    });
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    expect(problems).toEqual([]);
    expect(await page.locator('figure.chart svg').count()).toBeGreaterThan(2);
    await page.close();

    // The report the backend serves is the one written to the folder.
    const served = bannerValue(output, /\s(http:\/\/localhost:\d+\/api\/reports\/\S+)/);
    const token = bannerValue(output, /API token\s+([0-9a-f]+)/);
    const response = await fetch(served, { headers: { Authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(html);

    signalGroup(demo!, 'SIGINT');
    expect(await demo!.exited).toBe(0);
  });
});
