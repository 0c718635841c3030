/**
 * The picture of the performance report for the docs: docs/screenshots/model-report.png. The report is
 * the one the backend makes of a simulated month of the lifecycle (tests/support/lifecycleMonth.ts,
 * against the influxd at NOCAI_TEST_INFLUX_URL, or a private one) and opened from disk in the system
 * Chromium, as an analyst would open the mailed file. `npm run screenshots` calls it; on its own:
 * `npx ts-node -P tests/browser/tsconfig.json tests/browser/reportScreenshot.ts`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';

import { startLocalInfluxd } from '../../inference-backend/src/adapters/influx/localServer';
import { monthReport, runLifecycleMonth } from '../support/lifecycleMonth';
import { launchChromium } from './harness/chromium';

/** Writes `<outDir>/model-report.png` and returns its path. */
export async function screenshotReport(browser: Browser, outDir: string): Promise<string> {
  const month = await runLifecycleMonth((text) => process.stderr.write(`report: ${text}\n`));
  let html: string;
  try {
    html = await monthReport(month);
  } finally {
    await month.stop();
  }
  const dir = mkdtempSync(join(tmpdir(), 'nocai-report-shot-'));
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  try {
    const file = join(dir, 'report.html');
    writeFileSync(file, html);
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    if (problems.length > 0) throw new Error(`the report page reported errors: ${problems.join('; ')}`);
    mkdirSync(outDir, { recursive: true });
    const out = join(outDir, 'model-report.png');
    // The overview and the first model: the whole page of a month is several screens long.
    await page.screenshot({ path: out, clip: { x: 0, y: 0, width: 1200, height: 1700 } });
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
