import type { Ticket } from '@nocai/contract';
import { ALERT_THRESHOLDS } from '@nocai/contract';
import { generateInventory } from '../../inference-backend/src/simulator';
import { minuteAgo, runScenario, scenarioTickets, type ScenarioRun } from '../support/scenario';

const MINUTE_MS = 60_000;
/** An explanation feature that names a metric (the metric stage's evidence). */
const METRIC_FEATURE = /^(cpu|mem|disk|net|system|sensors)\./;

/**
 * The metric stage against a real influxd: the simulator's Telegraf metrics and sensors (one
 * sample a minute per series), scored by the same detector `nocai anomalies` runs, written to
 * aiops_anomalies, and its anomaly episodes joined to the incident engine.
 */
describe('metric stage through the real pipeline (simulator → influxd → backend → aiops_anomalies, tickets)', () => {
  let run: ScenarioRun | undefined;
  afterAll(async () => {
    await run?.backend.stop();
  });

  it('When a PLC overheats, then its temperature scores above the alert threshold before it halts, one hardware ticket names the sensor, and no other device gets an anomaly ticket', async () => {
    const inventory = generateInventory({ seed: 42, sites: 4 });
    const factory = inventory.sites.find((s) => s.kind === 'factory')?.id ?? '';
    const plc = inventory.devices.find((d) => d.site === factory && d.kind === 'plc')?.host ?? '';
    const rampMinutes = 150;
    // A day and a bit before the fault: the stage learns each series for a day before it scores it.
    const before = 26 * 60;
    // The ramp starts at the latest 20:00 UTC that leaves it time to end: the simulated machines
    // cool down in the evening then, so the rise is the fault's own. Placed at whatever hour the
    // test runs, it could fall in the morning warm-up, which a detector rightly calls routine.
    const nowMinute = Math.floor(Date.now() / MINUTE_MS);
    let startMinute = Math.floor(nowMinute / 1440) * 1440 + 20 * 60;
    while (nowMinute - startMinute < rampMinutes + 30) startMinute -= 1440;
    const after = nowMinute - startMinute;
    const atUs = minuteAgo(after);
    const haltMs = atUs / 1000 + rampMinutes * MINUTE_MS;
    // The detector learns each series from the start of the data.
    const lookbackMs = Date.now() - (atUs / 1000 - before * MINUTE_MS) + MINUTE_MS;
    run = await runScenario(
      { kind: 'overheating', host: plc, atUs, durationMinutes: rampMinutes },
      { beforeMinutes: before, afterMinutes: after },
      { NOCAI_METRIC_LOOKBACK_MS: String(lookbackMs) }
    );
    const { client } = run.backend.influx;
    const db = run.backend.outputDb;

    const scored = await client.query(
      db,
      `SELECT count(score) FROM aiops_anomalies WHERE metric = 'sensors.temperature_c' AND host = '${plc}'`
    );
    expect(Number(scored[0]?.rows[0]?.count ?? 0)).toBeGreaterThan(after);
    const beforeHalt = await client.query(
      db,
      `SELECT score, value, upper FROM aiops_anomalies WHERE metric = 'sensors.temperature_c' AND host = '${plc}' ` +
        `AND score >= ${ALERT_THRESHOLDS.anomalyScore} AND time < ${haltMs}ms`
    );
    // A rising temperature, above the band the detector expected, before the PLC halts.
    const high = (beforeHalt[0]?.rows ?? []).filter((r) => Number(r.value) > Number(r.upper));
    expect(high.length).toBeGreaterThan(0);

    const tickets = scenarioTickets(run, await run.tickets());
    const onPlc = tickets.filter((t: Ticket) => t.host === plc);
    expect(onPlc).toHaveLength(1);
    expect(onPlc[0].eventClass).toBe('hardware');
    expect(onPlc[0].explanation.map((e) => e.feature)).toContain('sensors.temperature_c');

    // No false storms: the other devices of four sites (hours of scored samples each, through
    // their daily rhythm) get no anomaly ticket.
    const anomalyTickets = tickets.filter((t) => t.host !== plc && t.explanation.some((e) => METRIC_FEATURE.test(e.feature)));
    expect(anomalyTickets.map((t) => `${t.host}: ${t.title} (${t.explanation.map((e) => e.feature).join(', ')})`)).toEqual([]);
  }, 600_000);
});
