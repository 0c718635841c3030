/**
 * Screenshots of the triage panel, light and dark, for the docs: `npm run screenshots` from the repository
 * root writes docs/screenshots/triage-panel-light.png and -dark.png. Same harness as the browser test (real
 * panel, real data source code, real backend with three tickets from complaints), with a private influxd
 * unless NOCAI_TEST_INFLUX_URL names one. One ticket is validated and the most urgent one expanded, so the
 * pictures show a verdict and the details.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { startLocalInfluxd } from '../../inference-backend/src/adapters/influx/localServer';
import { startHarnessSession } from './harness/session';

const OUT_DIR = resolve(__dirname, '../../docs/screenshots');
const THEMES = ['light', 'dark'] as const;

async function main() {
  const influxd = process.env.NOCAI_TEST_INFLUX_URL ? undefined : await startLocalInfluxd();
  if (influxd) {
    process.env.NOCAI_TEST_INFLUX_URL = influxd.url;
  }
  const session = await startHarnessSession();
  try {
    const [, second] = session.tickets;
    const response = await session.backend.call(`/api/tickets/${second.id}/feedback`, {
      method: 'POST',
      body: JSON.stringify({ verdict: 'valid', comment: 'confirmed by the on-call technician' }),
    });
    if (!response.ok) {
      throw new Error(`feedback for the screenshot failed: ${response.status} ${await response.text()}`);
    }
    mkdirSync(OUT_DIR, { recursive: true });
    for (const theme of THEMES) {
      const page = await session.browser.newPage({ viewport: { width: 1640, height: 900 } });
      await page.goto(`${session.server.url}/?theme=${theme}`);
      await page.waitForSelector('body[data-harness-ready="true"]', { timeout: 30_000 });
      await page.getByTestId('nocai-triage-expand').first().click();
      await page.getByTestId('nocai-triage-details').waitFor();
      // Icons load asynchronously; wait until every requested SVG has arrived. Then move the pointer off
      // the table so no row is drawn hovered.
      await page.waitForLoadState('networkidle');
      await page.mouse.move(0, 0);
      const file = join(OUT_DIR, `triage-panel-${theme}.png`);
      await page.getByRole('region', { name: 'Triage panel' }).screenshot({ path: file });
      await page.close();
      process.stdout.write(`${file}\n`);
    }
  } finally {
    await session.stop();
    await influxd?.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
