import type { Ticket } from '@nocai/contract';
import type { Browser } from 'playwright-core';

import { testInfluxUrl } from '../../support/influx';
import { startTestBackend, type TestBackend, TEST_TOKEN } from '../../support/service';
import { buildHarness } from './build';
import { launchChromium } from './chromium';
import { INFLUX_DATASOURCE_UIDS } from './constants';
import { type HarnessServer, startHarnessServer } from './server';

/**
 * Distinct complaints, so the backend routes them to different departments and priorities. Their sites
 * are sites of the simulated inventory: a backend with an inventory refuses a complaint naming another.
 */
export const COMPLAINTS = [
  { text: 'The UPS in the server room is on battery, input voltage lost since 10 minutes', site: 'hosp-01' },
  { text: 'Ransomware note found on the reception PC, files encrypted', site: 'hotel-01' },
  { text: 'Core switch uplink flapping, users on floor 3 lose the network every few minutes', site: 'fact-01' },
];

export interface HarnessSession {
  backend: TestBackend;
  server: HarnessServer;
  browser: Browser;
  tickets: Ticket[];
  stop(): Promise<void>;
}

/**
 * The real backend (on the test influxd, or one the caller started) with three more tickets, the
 * bundled page behind its proxy (the InfluxDB data sources read the backend's input and output databases,
 * as the provisioned ones read Telegraf's and the backend's), and Chromium.
 */
export async function startHarnessSession(existing?: TestBackend): Promise<HarnessSession> {
  const [backend, bundleDir] = await Promise.all([existing ?? startTestBackend(), buildHarness()]);
  const tickets: Ticket[] = [];
  for (const complaint of COMPLAINTS) {
    const response = await backend.call('/api/complaints', { method: 'POST', body: JSON.stringify(complaint) });
    if (response.status !== 201) {
      throw new Error(`creating a ticket failed: ${response.status} ${await response.text()}`);
    }
    tickets.push(((await response.json()) as { ticket: Ticket }).ticket);
  }
  const server = await startHarnessServer(bundleDir, backend.service.url, TEST_TOKEN, {
    url: testInfluxUrl(),
    databases: {
      [INFLUX_DATASOURCE_UIDS.telegraf]: backend.influx.database,
      [INFLUX_DATASOURCE_UIDS.aiops]: backend.outputDb,
    },
  });
  const browser = await launchChromium();
  let stopped = false;
  return {
    backend,
    server,
    browser,
    tickets,
    stop: async () => {
      if (stopped) {
        return;
      }
      stopped = true;
      await Promise.allSettled([browser.close(), server.close()]);
      await backend.stop().catch(() => undefined);
    },
  };
}
