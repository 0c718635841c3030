import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GroundTruthEvent, GroundTruthIncident, Inventory, Ticket, TicketsPage } from '@nocai/contract';
import { InfluxWriter, type InfluxClient } from '../../inference-backend/src/adapters/influx';
import {
  formatInventory,
  generateInventory,
  runBackfill,
  type ScenarioSpec,
} from '../../inference-backend/src/simulator';
import { freshDatabase } from './influx';
import { outputDatabaseOf, startTestBackend, type TestBackend } from './service';
import { waitForCount } from './wait';

const MINUTE_US = 60_000_000;

export interface ScenarioRun {
  backend: TestBackend;
  inventory: Inventory;
  incidents: GroundTruthIncident[];
  /**
   * Rare lines outside the injected scenario (anything but routine chatter), whether the
   * simulator's world calls them worth a ticket or noise: a ticket one of them opens is the
   * classifier's reading of the background (an application's lone exception on a server the
   * rule classifier pages on), which the classifier benches measure, not the scenario's.
   */
  backgroundLines: GroundTruthEvent[];
  syslogLines: number;
  /** Every ticket the backend holds, latest state. */
  tickets(): Promise<Ticket[]>;
}

/**
 * A whole minute `minutesAgo` before now. Scenarios end at about now: the backend treats the
 * end of the data as the present, and data that stopped a day ago would read as every device
 * going silent then.
 */
export function minuteAgo(minutesAgo: number): number {
  return (Math.floor(Date.now() / 60_000) - minutesAgo) * 60_000_000;
}

/**
 * Simulates the estate around one injected scenario (no automatic incidents), writes it to the
 * test influxd as Telegraf would, runs the real backend over it and waits until every syslog
 * line has been processed.
 */
export async function runScenario(
  scenario: Omit<ScenarioSpec, 'atUs'> & { atUs: number },
  window: { beforeMinutes: number; afterMinutes: number },
  env: Record<string, string> = {},
  /** Runs once the telemetry is written and before the backend starts (e.g. to store older tickets). */
  beforeStart?: (influx: { client: InfluxClient; outputDb: string }) => Promise<void>
): Promise<ScenarioRun> {
  const inventory = generateInventory({ seed: 42, sites: 4 });
  const dir = mkdtempSync(join(tmpdir(), 'nocai-scenario-'));
  const inventoryPath = join(dir, 'inventory.yaml');
  writeFileSync(inventoryPath, formatInventory(inventory));
  const endUs = scenario.atUs + window.afterMinutes * MINUTE_US;
  const startUs = scenario.atUs - window.beforeMinutes * MINUTE_US;
  const lookbackMs = Math.ceil((Date.now() * 1000 - startUs) / 1000) + 60_000;
  const influx = await freshDatabase('scenario_in');
  const incidents: GroundTruthIncident[] = [];
  const backgroundLines: GroundTruthEvent[] = [];
  const sink = new InfluxWriter(influx.client, { database: influx.database, batchSize: 5000 });
  const result = await runBackfill(
    {
      seed: 42,
      inventory,
      days: (endUs - startUs) / (1440 * MINUTE_US),
      endUs,
      incidentsPerSiteDay: 0,
      scenarios: [scenario],
      truth: {
        writeIncidents: async (i) => void incidents.push(...i),
        writeEvents: async (events) => {
          for (const e of events) if (e.incidentId === null && e.eventClass !== 'informational') backgroundLines.push(e);
        },
      },
    },
    sink
  );
  await beforeStart?.({ client: influx.client, outputDb: outputDatabaseOf(influx.database) });
  // The data is complete before the backend starts, as after an outage: one deterministic catch-up.
  const backend = await startTestBackend(
    {
      NOCAI_INVENTORY: inventoryPath,
      NOCAI_START_LOOKBACK_MS: String(lookbackMs),
      NOCAI_POLL_INTERVAL_MS: '50',
      ...env,
    },
    influx
  );
  const outputCount = async () => {
    const series = await backend.influx.client.query(backend.outputDb, 'SELECT count(message) FROM aiops_events');
    return Number(series[0]?.rows[0]?.count ?? 0);
  };
  // However long a busy machine takes, as long as the pipeline moves.
  await waitForCount(outputCount, result.syslogLines, 'lines processed');
  // Written is not yet committed: the batch of the last line saves its state and hands its tickets
  // over after its writes, then counts its lines (nocai_pipeline_lines_read_total) as its last step.
  const linesCommitted = async () => {
    const text = await (await backend.call('/metrics')).text();
    return Number(/^nocai_pipeline_lines_read_total\{stage="logs"\} (\d+)/m.exec(text)?.[1] ?? 0);
  };
  await waitForCount(linesCommitted, result.syslogLines, 'lines committed');
  return {
    backend,
    inventory,
    incidents,
    backgroundLines,
    syslogLines: result.syslogLines,
    tickets: async () => {
      const page = (await (await backend.call('/api/tickets?limit=1000&from=0')).json()) as TicketsPage;
      return page.tickets;
    },
  };
}

/**
 * The tickets left once those opened at the estate's own rare background lines are set aside:
 * the scenario window is placed relative to the clock, so a rare line (a failed sensor probe, an
 * application's exception) may fall inside it, and its ticket is not the scenario's.
 */
export function scenarioTickets(run: ScenarioRun, tickets: Ticket[]): Ticket[] {
  // Matched by device and the instant the ticket opened (its first alert), not by class: the truth
  // names the class of the fault (a failed probe is hardware), the classifier may read it otherwise.
  return tickets.filter(
    (t) =>
      !run.backgroundLines.some(
        (e) => e.hostname === t.host && Math.abs(Math.floor(e.timeUs / 1000) - t.openedAtMs) <= BACKGROUND_MATCH_MS
      )
  );
}

/** A ticket opened within this of a background line of its device is that line's ticket. */
const BACKGROUND_MATCH_MS = 1000;
