import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

import type { Browser } from 'playwright-core';

const DASHBOARD_DIR = resolve(__dirname, '../../dashboards');

/** The provisioned dashboards by file name: `noc-triage` for dashboards/noc-triage.json. */
export function dashboardNames(): string[] {
  return readdirSync(DASHBOARD_DIR)
    .filter((file) => file.endsWith('.json'))
    .map((file) => file.slice(0, -'.json'.length))
    .sort();
}

/**
 * One screenshot per provisioned dashboard (or of `names`), in Grafana's default dark theme, as the harness
 * page served at `serverUrl` lays it out (see harness/dashboard/DashboardPage.tsx):
 * docs/screenshots/dashboard-<name>.png. Returns the files written.
 */
export async function screenshotDashboards(
  browser: Browser,
  serverUrl: string,
  outDir: string,
  names: readonly string[] = dashboardNames()
): Promise<string[]> {
  const files: string[] = [];
  for (const name of names) {
    const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    // Waits on what the page shows, with room for a machine busy with other work.
    page.setDefaultTimeout(120_000);
    // A render error leaves the page blank without the error marker: keep what the page reported to say why.
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') {
        problems.push(message.text());
      }
    });
    try {
      await page.goto(`${serverUrl}/?theme=dark&dashboard=${encodeURIComponent(name)}`);
      await page
        .waitForSelector('body[data-harness-ready="true"], body[data-harness-error]', { timeout: 60_000 })
        .catch((error: unknown) => {
          throw new Error(`dashboard ${name} did not render: ${problems.join('; ') || String(error)}`);
        });
      const error = await page.evaluate(() => document.body.dataset.harnessError);
      if (error) {
        throw new Error(`dashboard ${name} did not render: ${error}`);
      }
      // Icons load asynchronously and uPlot draws after layout: wait until the network is quiet.
      await page.waitForLoadState('networkidle');
      await page.mouse.move(0, 0);
      const file = join(outDir, `dashboard-${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      files.push(file);
    } finally {
      await page.close();
    }
  }
  return files;
}
