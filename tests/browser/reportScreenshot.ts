/**
 * The pictures of the model lifecycle for the docs: the performance report (docs/screenshots/model-report.png)
 * that `nocai demo --month` makes of a simulated month of the lifecycle (its own private InfluxDB), opened
 * from disk in the system Chromium as an analyst would open the mailed file, and the Model health dashboard
 * drawn from that month's series (docs/screenshots/dashboard-model-health.png, by the screenshot harness
 * pointed at the month's backend and InfluxDB). `npm run screenshots` calls it; on its own (after `npm run build:backend`):
 * `npx ts-node -P tests/browser/tsconfig.json tests/browser/reportScreenshot.ts`.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';

import { bannerValue, killAll, processesOf, signalGroup, startDemo, whenPrinted } from '../support/demoProcess';
import { screenshotDashboards } from './dashboardScreenshots';
import { buildHarness } from './harness/build';
import { launchChromium } from './harness/chromium';
import { INFLUX_DATASOURCE_UIDS } from './harness/constants';
import { startHarnessServer } from './harness/server';

export const MODEL_HEALTH = 'model-health';

/** Writes `<outDir>/model-report.png` and `<outDir>/dashboard-model-health.png`; returns their paths. */
export async function screenshotReport(browser: Browser, outDir: string): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'nocai-report-shot-'));
  const demo = startDemo(dir, ['--month']);
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  // Waits on what the page shows, with room for a machine busy with other work.
  page.setDefaultTimeout(120_000);
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  try {
    const output = await whenPrinted(demo, 'NOC AI lifecycle month is ready', 1_200_000);
    const file = bannerValue(output, /report\s+(\S+\.html)/);
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    if (problems.length > 0) throw new Error(`the report page reported errors: ${problems.join('; ')}`);
    mkdirSync(outDir, { recursive: true });
    const out = join(outDir, 'model-report.png');
    // The overview and the first model: the whole page of a month is several screens long.
    await page.screenshot({ path: out, clip: { x: 0, y: 0, width: 1200, height: 1700 } });
    const server = await startHarnessServer(
      await buildHarness(),
      bannerValue(output, /backend\s+(http:\/\/localhost:\d+)/),
      bannerValue(output, /API token\s+([0-9a-f]+)/),
      {
        url: bannerValue(output, /influxdb\s+(http:\/\/\S+)/),
        databases: {
          [INFLUX_DATASOURCE_UIDS.telegraf]: 'telegraf',
          [INFLUX_DATASOURCE_UIDS.aiops]: bannerValue(output, /database (\S+):/),
        },
      }
    );
    try {
      return [out, ...(await screenshotDashboards(browser, server.url, outDir, [MODEL_HEALTH]))];
    } finally {
      await server.close();
    }
  } finally {
    await page.close();
    if (demo.child.exitCode === null && demo.child.signalCode === null) {
      signalGroup(demo, 'SIGINT');
      await demo.exited;
    }
    killAll(processesOf(dir));
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const browser = await launchChromium();
  try {
    for (const file of await screenshotReport(browser, resolve(__dirname, '../../docs/screenshots'))) {
      process.stdout.write(`${file}\n`);
    }
  } finally {
    await browser.close();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
