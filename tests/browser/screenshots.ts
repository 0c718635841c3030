/**
 * Screenshots for the docs: `npm run screenshots` from the repository root writes the triage panel, light and
 * dark (docs/screenshots/triage-panel-light.png and -dark.png), and each provisioned dashboard
 * (docs/screenshots/dashboard-<name>.png, see dashboardScreenshots.ts). Same harness as the browser test (real
 * panel, real data source code, real backend with three tickets from complaints), with a private influxd
 * unless NOCAI_TEST_INFLUX_URL names one. The backend first catches up on a simulated hospital power
 * failure (so a ticket carries a root cause) and routes complaints with ticket models trained on the
 * simulated history; the hours before the failure give the dashboards six hours of a living estate. One ticket
 * is validated, the outage acknowledged, assigned, commented on and expanded, so the pictures show a verdict,
 * the workflow and the details. The dashboards are drawn from the same data after that, except Model health:
 * it and the performance report come from `nocai demo --month` (docs/screenshots/model-report.png and
 * dashboard-model-health.png, see reportScreenshot.ts).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { readTableFile } from '../../inference-backend/src/adapters/files/csv';
import { writeSimulationFiles } from '../../inference-backend/src/commands/simulate';
import { DEFAULT_MODEL_SPECS, trainTarget } from '../../inference-backend/src/commands/train';
import { generateInventory } from '../../inference-backend/src/simulator';
import { minuteAgo, runScenario } from '../support/scenario';

import { startLocalInfluxd } from '../../inference-backend/src/adapters/influx/localServer';
import type { TicketsPage } from '@nocai/contract';
import { dashboardNames, screenshotDashboards } from './dashboardScreenshots';
import { MODEL_HEALTH, screenshotReport } from './reportScreenshot';
import { HARNESS_USER } from './harness/constants';
import { startHarnessSession } from './harness/session';

const OUT_DIR = resolve(__dirname, '../../docs/screenshots');
const THEMES = ['light', 'dark'] as const;

async function main() {
  const influxd = process.env.NOCAI_TEST_INFLUX_URL ? undefined : await startLocalInfluxd();
  if (influxd) {
    process.env.NOCAI_TEST_INFLUX_URL = influxd.url;
  }
  const models = await trainTicketModels();
  const scenario = await runScenario(
    // Power comes back ten minutes before the data ends: the outage ticket is still open (an incident
    // resolves a quarter of an hour after its last alert), so the operator can work on it in the pictures.
    { kind: 'power_failure', siteKind: 'hospital', atUs: minuteAgo(60), durationMinutes: 50 },
    // Six hours in all: the NOC triage and device health dashboards show the last six hours.
    { beforeMinutes: 300, afterMinutes: 60 },
    {
      NOCAI_MODELS_DIR: models.modelsDir,
      NOCAI_TICKET_HISTORY: models.historyPath,
      // The estate's data stops where the scenario ends. Without new lines the backend would move on to the
      // wall clock after a minute and, rightly, find every device silent a few minutes later (a power outage
      // at every site); waiting an hour instead keeps the pictures at the moment the data ends.
      NOCAI_IDLE_ADVANCE_MS: String(60 * 60_000),
    }
  );
  const session = await startHarnessSession(scenario.backend);
  try {
    const [, second] = session.tickets;
    const response = await session.backend.call(`/api/tickets/${second.id}/feedback`, {
      method: 'POST',
      body: JSON.stringify({ verdict: 'valid', comment: 'confirmed by the on-call technician' }),
    });
    if (!response.ok) {
      throw new Error(`feedback for the screenshot failed: ${response.status} ${await response.text()}`);
    }
    const outageId = await workOnTheOutage(session);
    mkdirSync(OUT_DIR, { recursive: true });
    for (const theme of THEMES) {
      const page = await session.browser.newPage({ viewport: { width: 1920, height: 900 } });
      await page.goto(`${session.server.url}/?theme=${theme}`);
      await page.waitForSelector('body[data-harness-ready="true"]', { timeout: 30_000 });
      await page
        .locator(`[data-testid="nocai-triage-row"][data-ticket-id="${outageId}"]`)
        .getByTestId('nocai-triage-expand')
        .click();
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
    // The Model health dashboard is drawn from the month of the lifecycle, with the report (below).
    const dashboards = dashboardNames().filter((name) => name !== MODEL_HEALTH);
    for (const file of await screenshotDashboards(session.browser, session.server.url, OUT_DIR, dashboards)) {
      process.stdout.write(`${file}\n`);
    }
    for (const file of await screenshotReport(session.browser, OUT_DIR)) process.stdout.write(`${file}\n`);
  } finally {
    await session.stop();
    await influxd?.stop();
    rmSync(models.dir, { recursive: true, force: true });
  }
}

/**
 * The power outage as an operator has taken it on: acknowledged, assigned to field technicians, a comment.
 * Returns its id. The estate's own incidents of the hours before may have P1 tickets too (some already
 * resolved): the outage is the open P1 ticket with a root cause.
 */
async function workOnTheOutage(session: Awaited<ReturnType<typeof startHarnessSession>>): Promise<string> {
  const page = (await (await session.backend.call('/api/tickets?priority=P1&from=now-1d')).json()) as TicketsPage;
  const outage = page.tickets.find((ticket) => ticket.status === 'open' && ticket.rootCause !== undefined);
  if (!outage) {
    const found = page.tickets.map((ticket) => `${ticket.id} ${ticket.status} (${ticket.title})`).join('; ');
    throw new Error(
      `the screenshot scenario produced no open P1 ticket with a root cause; P1 tickets: ${found || 'none'}`
    );
  }
  const response = await session.backend.call(`/api/tickets/${outage.id}`, {
    method: 'PATCH',
    headers: { 'X-Grafana-User': HARNESS_USER },
    body: JSON.stringify({
      status: 'acknowledged',
      assignee: 'team:field_technicians',
      comment: 'Electrician on the way, on site in 20 minutes',
      version: outage.version,
    }),
  });
  if (!response.ok) {
    throw new Error(`working on the outage for the screenshot failed: ${response.status} ${await response.text()}`);
  }
  return outage.id;
}

/** Department, priority and class models trained on a simulated year of tickets, as the demo does. */
async function trainTicketModels() {
  const dir = mkdtempSync(join(tmpdir(), 'nocai-screenshots-'));
  const simDir = join(dir, 'sim');
  await writeSimulationFiles(
    simDir,
    { seed: 42, inventory: generateInventory({ seed: 42, sites: 4 }) },
    Date.now(),
    365
  );
  const historyPath = join(simDir, 'history', 'tickets.jsonl');
  const tickets = await readTableFile(historyPath);
  const modelsDir = join(dir, 'models');
  for (const spec of DEFAULT_MODEL_SPECS.tickets) await trainTarget(tickets, spec, modelsDir, { champion: true });
  return { dir, modelsDir, historyPath };
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
