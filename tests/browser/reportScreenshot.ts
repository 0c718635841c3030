/**
 * The picture of the performance report for the docs: docs/screenshots/model-report.png. The report is
 * made from the lifecycle week of tests/support/reportScenario.ts (written to a fresh database of the
 * influxd at NOCAI_TEST_INFLUX_URL, or a private one) and opened from disk in the system Chromium, as
 * an analyst would open the mailed file. `npm run screenshots` calls it; on its own:
 * `npx ts-node -P tests/browser/tsconfig.json tests/browser/reportScreenshot.ts`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';

import { startLocalInfluxd } from '../../inference-backend/src/adapters/influx/localServer';
import { InfluxReportSource } from '../../inference-backend/src/adapters/report/influxReportSource';
import { buildReport } from '../../inference-backend/src/adapters/report/reportGenerator';
import { renderReportHtml } from '../../inference-backend/src/adapters/report/renderHtml';
import { freshDatabase } from '../support/influx';
import { WEEK_FROM_MS, WEEK_TO_MS, writeReportScenario } from '../support/reportScenario';
import { launchChromium } from './harness/chromium';

/** Writes `<outDir>/model-report.png` and returns its path. */
export async function screenshotReport(browser: Browser, outDir: string): Promise<string> {
  const influx = await freshDatabase('report_shot');
  await writeReportScenario(influx.client, influx.database);
  const report = await buildReport(
    new InfluxReportSource(influx.client, influx.database),
    { fromMs: WEEK_FROM_MS, toMs: WEEK_TO_MS },
    { nowMs: () => WEEK_TO_MS + 3_600_000 }
  );
  const dir = mkdtempSync(join(tmpdir(), 'nocai-report-shot-'));
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  try {
    const file = join(dir, 'report.html');
    writeFileSync(file, renderReportHtml(report));
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    if (problems.length > 0) throw new Error(`the report page reported errors: ${problems.join('; ')}`);
    mkdirSync(outDir, { recursive: true });
    const out = join(outDir, 'model-report.png');
    await page.screenshot({ path: out, fullPage: true });
    return out;
  } finally {
    await page.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const influxd = process.env.NOCAI_TEST_INFLUX_URL ? undefined : await startLocalInfluxd();
  if (influxd) process.env.NOCAI_TEST_INFLUX_URL = influxd.url;
  const browser = await launchChromium();
  try {
    process.stdout.write(`${await screenshotReport(browser, resolve(__dirname, '../../docs/screenshots'))}\n`);
  } finally {
    await browser.close();
    await influxd?.stop();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
