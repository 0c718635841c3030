/**
 * @jest-environment ../inference-backend/src/adapters/onnx/onnxruntimeTestEnvironment.js
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SeriesPage, Ticket, TicketDetailResponse } from '@nocai/contract';
import { trainLineModelsOnSimulation } from '../../inference-backend/src/commands/train';
import { generateInventory } from '../../inference-backend/src/simulator';
import { runScenario, minuteAgo, scenarioTickets, type ScenarioRun } from '../support/scenario';

const MINUTE_MS = 60_000;

const TRAINING_END_US = Date.UTC(2026, 0, 1) * 1000;

/**
 * Every scenario runs twice: with the rule classifier the backend falls back on, and with the
 * ONNX line champions (event-class, event-decision) the demo serves, trained on four simulated
 * weeks that end before the scenario's window.
 */
describe.each([
  ['the rule classifier', false],
  ['the ONNX line champions', true],
])('scenarios through the real pipeline (simulator → influxd → backend → tickets) with %s', (_label, onnx) => {
  const runs: ScenarioRun[] = [];
  let modelsDir: string | undefined;
  let env: Record<string, string> = {};
  beforeAll(async () => {
    if (!onnx) return;
    modelsDir = mkdtempSync(join(tmpdir(), 'nocai-line-models-'));
    // A fixed period, so that every run serves the same models.
    await trainLineModelsOnSimulation(generateInventory({ seed: 42, sites: 4 }), TRAINING_END_US, 28, modelsDir, {
      by: 'the scenario tests',
    });
    env = { NOCAI_MODELS_DIR: modelsDir };
  }, 600_000);
  afterAll(async () => {
    for (const run of runs) await run.backend.stop();
    if (modelsDir) rmSync(modelsDir, { recursive: true, force: true });
  });
  const track = (run: ScenarioRun) => (runs.push(run), run);
  const siteOf = (run: ScenarioRun, kind: string) => run.inventory.sites.find((s) => s.kind === kind)?.id ?? '';

  it('(a) When a hospital loses power at a given minute, then one P1 ticket for field technicians names the power switch and that minute and groups its dependants', async () => {
    const atUs = minuteAgo(90);
    const run = track(
      await runScenario(
        { kind: 'power_failure', siteKind: 'hospital', atUs, durationMinutes: 45 },
        { beforeMinutes: 60, afterMinutes: 90 },
        env
      )
    );
    const hospital = siteOf(run, 'hospital');
    const powerSwitch = run.inventory.devices.find((d) => d.site === hospital && d.kind === 'power_switch')?.host;
    const tickets = scenarioTickets(
      run,
      (await run.tickets()).filter((t) => t.site === hospital)
    );
    expect(tickets).toHaveLength(1);
    const [ticket] = tickets;
    expect(ticket).toMatchObject({ priority: 'P1', department: 'field_technicians', eventClass: 'power' });
    expect(ticket.rootCause?.host).toBe(powerSwitch);
    expect(ticket.rootCause?.deviceKind).toBe('power_switch');
    // The ticket is named after the switch, not after whichever dependant alerted first.
    expect(ticket.id).toMatch(new RegExp(`^inc-${hospital}-${powerSwitch}-\\d+$`));
    expect(ticket.modelVersion).toMatch(onnx ? /event-class@v\d+\+event-decision@v\d+/ : /^rules-/);
    // Within one reporting interval (the switch reports every minute) of 12:00.
    expect(Math.abs((ticket.rootCause?.silentSinceMs ?? 0) - atUs / 1000)).toBeLessThanOrEqual(MINUTE_MS);
    expect(ticket.rootCause?.description).toContain(String(powerSwitch));
    expect(ticket.rootCause?.dependants.length).toBeGreaterThan(1);
    expect(ticket.relatedAlertCount).toBeGreaterThan(1);
    expect(ticket.mttrP90Seconds > ticket.mttrP50Seconds || ticket.mttrNote !== undefined).toBe(true);
    // Its whole history is stored, though it was opened and updated within one catch-up batch:
    // an `opened` point first, then one point per change, versions in order without a gap.
    const [history] = await run.backend.influx.client.query(
      run.backend.outputDb,
      `SELECT "version", "change" FROM "aiops_tickets" WHERE "ticket_id" = '${ticket.id}' ORDER BY time ASC`
    );
    const versions = (history?.rows ?? []).map((row) => Number(row.version));
    expect(history?.rows[0]?.change).toBe('opened');
    expect(versions).toEqual(versions.map((_, i) => i + 1));
    expect(versions.length).toBeGreaterThan(1);
    // Its detail lists the alerts that made it: from the incident's devices, within its time.
    const detail = (await (await run.backend.call(`/api/tickets/${ticket.id}`)).json()) as TicketDetailResponse;
    expect(detail.relatedAlerts.length).toBeGreaterThan(1);
    for (const alert of detail.relatedAlerts) {
      expect(ticket.hosts).toContain(alert.hostname);
      expect(alert.timeUs / 1000).toBeGreaterThanOrEqual(ticket.openedAtMs);
      expect(['alert', 'needs_review']).toContain(alert.decision);
    }
    // The dependants' silences are blamed on the switch, not ticketed one by one; the API serves them.
    const silences = (await (
      await run.backend.call(`/api/series/silences?site=${hospital}&state=silent&from=0`)
    ).json()) as SeriesPage;
    const blamed = silences.rows.filter((r) => r.fields.root_cause_host === powerSwitch);
    expect(blamed.length).toBeGreaterThan(1);
    expect(blamed.every((r) => r.tags.site === hospital && r.tags.host !== '')).toBe(true);
  });

  it('(b) When power flickers for 3 minutes, then no ticket opens and its events are marked false_alarm', async () => {
    const atUs = minuteAgo(30);
    const run = track(
      await runScenario(
        { kind: 'power_flicker', siteKind: 'factory', atUs, durationMinutes: 3 },
        { beforeMinutes: 30, afterMinutes: 30 },
        env
      )
    );
    const factory = siteOf(run, 'factory');
    // A rare background alert of a dependant during the flicker (a Modbus timeout on a PLC behind the
    // switch, as at 04:08 UTC on 2026-11-27) is evidence that the flicker did harm: the ticket it
    // brings is not the flicker's alone, and is set aside like the tickets of other background lines.
    const flickerEndMs = atUs / 1000 + 8 * 60_000;
    const harmed = (t: Ticket) =>
      run.backgroundLines.some(
        (e) =>
          (t.hosts ?? [t.host]).includes(e.hostname) &&
          e.timeUs / 1000 >= t.openedAtMs &&
          e.timeUs / 1000 <= flickerEndMs
      );
    const tickets = scenarioTickets(
      run,
      (await run.tickets()).filter((t) => t.site === factory)
    );
    expect(tickets.filter((t) => !harmed(t))).toEqual([]);
    const marked = await run.backend.influx.client.query(
      run.backend.outputDb,
      `SELECT count(message) FROM aiops_events WHERE site = '${factory}' AND decision = 'false_alarm'`
    );
    // Its events are false alarms unless a dependant's alert made the flicker a ticket.
    const falseAlarms = Number(marked[0]?.rows[0]?.count ?? 0);
    if (tickets.some(harmed)) expect(falseAlarms).toBe(0);
    else expect(falseAlarms).toBeGreaterThan(0);
  });

  it('(c) When a PLC overheats over hours, then a hardware ticket goes to maintenance', async () => {
    const atUs = minuteAgo(200);
    const inventory = generateInventory({ seed: 42, sites: 4 });
    const factory = inventory.sites.find((s) => s.kind === 'factory')?.id;
    const plc = inventory.devices.find((d) => d.site === factory && d.kind === 'plc')?.host;
    const run = track(
      await runScenario(
        { kind: 'overheating', host: plc, atUs, durationMinutes: 120 },
        { beforeMinutes: 30, afterMinutes: 200 },
        env
      )
    );
    const root = run.incidents.find((i) => i.kind === 'overheating')?.rootHost;
    expect(root).toBe(plc);
    // A background fault of the PLC (a program error the simulator sends at any hour) may open a
    // ticket of its own while it overheats: the overheating's ticket is the one no such line opened.
    const tickets = scenarioTickets(
      run,
      (await run.tickets()).filter((t: Ticket) => t.site === factory && t.host === root)
    );
    expect(tickets.length).toBeGreaterThanOrEqual(1);
    expect(tickets[0]).toMatchObject({ department: 'maintenance' });
    expect(['hardware', 'environment']).toContain(tickets[0].eventClass);
  });

  it('(d) When a server is brute-forced, then a security ticket opens', async () => {
    const atUs = minuteAgo(40);
    const run = track(
      await runScenario(
        { kind: 'brute_force', siteKind: 'hotel', atUs, durationMinutes: 20 },
        { beforeMinutes: 20, afterMinutes: 40 },
        env
      )
    );
    const hotel = siteOf(run, 'hotel');
    const tickets = scenarioTickets(
      run,
      (await run.tickets()).filter((t) => t.site === hotel)
    );
    expect(tickets).toHaveLength(1);
    expect(tickets[0]).toMatchObject({ eventClass: 'security', department: 'security' });
    expect(tickets[0].relatedAlertCount).toBeGreaterThan(5);
  });
});
