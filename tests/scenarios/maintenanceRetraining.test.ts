/**
 * @jest-environment ../inference-backend/src/adapters/onnx/onnxruntimeTestEnvironment.js
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { INPUT } from '@nocai/contract';
import type { InfluxClient } from '../../inference-backend/src/adapters/influx';
import { readSensorHistory } from '../../inference-backend/src/adapters/influx/failureHistory';
import { DirectWriter } from '../../inference-backend/src/adapters/influx/writer';
import { listVersions, readAliases } from '../../inference-backend/src/adapters/registry/modelRegistry';
import {
  MAINTENANCE_MODEL,
  REMAINING_LIFE_MODEL,
  trainMaintenanceModel,
} from '../../inference-backend/src/commands/maintenanceModel';
import type { AuditEntryInput } from '../../inference-backend/src/domain/audit/audit';
import type { SeriesPoint } from '../../inference-backend/src/domain/series';
import { failureSplit, type SensorHistory } from '../../inference-backend/src/services/maintenanceRetraining';
import { RetrainingJob, type RetrainingDecision } from '../../inference-backend/src/services/retraining';
import {
  MAINTENANCE_COLUMNS,
  MAINTENANCE_STEP_MS,
  maintenanceEpisodes,
  maintenanceHistory,
} from '../../inference-backend/src/simulator/maintenanceHistory';
import { freshDatabase } from '../support/influx';

const DAY_MS = 86_400_000;
/** A fixed end: the simulated histories, and so the models and figures, are the same on every run. */
const END_MS = Date.UTC(2026, 3, 1);
const PRODUCTION = { seed: 2, days: 21, plcs: 8, endUs: END_MS * 1000 };

/** The sensors of the simulated PLCs as Telegraf would store them (10-minute means: one reading per bucket), halts included as gaps. */
function sensorPoints(rows: ReadonlyArray<Record<string, string>>): SeriesPoint[] {
  const S = INPUT.sensors;
  return rows.map((row) => ({
    measurement: S.measurement,
    // The inventory names a device `<site>-<kind>-<n>`.
    tags: {
      [S.tags.host]: row.host,
      [S.tags.site]: row.host.slice(0, row.host.lastIndexOf('-plc-')),
      [S.tags.kind]: 'plc',
    },
    fields: Object.fromEntries(MAINTENANCE_COLUMNS.map((c) => [c, Number(row[c])])),
    timeUs: Number(row.t) * 1000,
  }));
}

describe('retraining the PLC failure model from the failures production recorded (real influxd, real ONNX models)', () => {
  let dir: string;
  let client: InfluxClient;
  let database: string;
  const points: SeriesPoint[] = [];
  const audit: AuditEntryInput[] = [];
  const registry = () => join(dir, 'models');

  const history = async (fromMs: number, toMs: number): Promise<SensorHistory> => ({
    series: await readSensorHistory(client, database, MAINTENANCE_COLUMNS, MAINTENANCE_STEP_MS, fromMs, toMs),
    fromMs,
    toMs,
  });
  const job = (fromMs: number, toMs: number, nowMs: number) =>
    new RetrainingJob({
      registryDir: registry(),
      logger: pino({ level: 'silent' }),
      nowMs: () => nowMs,
      sources: { history: async () => undefined, labels: async () => [], sensorHistory: () => history(fromMs, toMs) },
      writePoints: async (p) => {
        points.push(...p);
        await new DirectWriter(client, { database }).write(p);
      },
      audit: {
        record: async (entry) => (audit.push(entry), { ...entry, seq: audit.length, at: '', prevHash: '', hash: '' }),
      },
    });
  const decisionOf = (decisions: RetrainingDecision[], model = MAINTENANCE_MODEL) =>
    decisions.find((d) => d.model === model)!;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nocai-maintenance-retrain-'));
    // The champion: what `nocai setup` trains, on a smaller simulated estate to keep the test short.
    await trainMaintenanceModel(registry(), { seed: 1, plcs: 8, days: 20 });
    ({ client, database } = await freshDatabase('maintenance_retrain'));
    const sink = new DirectWriter(client, { database });
    const rows = maintenanceHistory(PRODUCTION);
    for (let i = 0; i < rows.length; i += 5000) await sink.write(sensorPoints(rows.slice(i, i + 5000)));
  }, 600_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('When the sensor history in InfluxDB holds the PLCs’ halts, then every halt is found where its series stopped', async () => {
    const fromMs = END_MS - PRODUCTION.days * DAY_MS;
    const split = failureSplit(await history(fromMs, END_MS), 0.3);
    // The truth behind the simulation: halts whose silence lies inside the window.
    const truth = maintenanceEpisodes(PRODUCTION).filter((e) => e.haltUs / 1000 > fromMs && e.backUs / 1000 < END_MS);
    expect(truth.length).toBeGreaterThanOrEqual(8);
    expect(split.halts.train + split.halts.holdout).toBe(truth.length);
    expect(split.halts.holdout).toBeGreaterThan(0);
    // Every labelled `yes` row lies within a day before a true halt of its PLC.
    const yes = split.all.filter((r) => r.fails_within_24h === 'yes');
    expect(yes.length).toBeGreaterThan(0);
    for (const row of yes) {
      const t = Number(row.t);
      expect(
        truth.some(
          (e) => e.host === row.host && e.haltUs / 1000 > t && e.haltUs / 1000 - t <= DAY_MS + MAINTENANCE_STEP_MS
        )
      ).toBe(true);
    }
  });

  it('When the weekly run finds enough failures, then a challenger trained on them is judged against the champion on the fresh slice, and the decision is written and audited', async () => {
    const run = await job(END_MS - PRODUCTION.days * DAY_MS, END_MS, END_MS).run({ kind: 'schedule', actor: 'nocai' });
    const decision = decisionOf(run.decisions);
    expect(['promoted', 'kept']).toContain(decision.outcome);
    expect(decision.challenger?.version).toBe('v2');
    expect(decision.champion?.version).toBe('v1');
    expect(decision.holdoutRows).toBeGreaterThanOrEqual(30);
    expect(decision.trainRows).toBeGreaterThan(decision.holdoutRows);
    // A model of halts learnt from production, not a constant: it finds the failures of the fresh slice.
    expect(decision.challenger!.f1!).toBeGreaterThan(0.6);
    expect(decision.reason).toMatch(/f1 \d\.\d{3} \(v2\) vs \d\.\d{3} \(v1\) on \d+ fresh rows/);
    const champion = (await readAliases(registry(), MAINTENANCE_MODEL)).champion;
    expect(champion).toBe(decision.outcome === 'promoted' ? 'v2' : 'v1');

    const stored =
      (
        await client.query(
          database,
          `SELECT "decision", "reason" FROM "aiops_models" WHERE "model" = '${MAINTENANCE_MODEL}' AND "source" = 'decision'`
        )
      )[0]?.rows ?? [];
    expect(stored.map((r) => r.reason)).toContain(decision.reason);
    const holdout =
      (
        await client.query(
          database,
          `SELECT "f1" FROM "aiops_models" WHERE "model" = '${MAINTENANCE_MODEL}' AND "source" = 'holdout' AND "segment" = 'device_kind=plc'`
        )
      )[0]?.rows ?? [];
    expect(holdout).toHaveLength(2);
    const actions = audit.filter((e) => e.target.startsWith(`model:${MAINTENANCE_MODEL}`)).map((e) => e.action);
    expect(actions).toContain('model.challenger');
    expect(actions).toContain(decision.outcome === 'promoted' ? 'model.promote' : 'model.retrain');

    // The remaining-life regressor, trained beside it on the same rows, went through the same gate on its MAE.
    const life = decisionOf(run.decisions, REMAINING_LIFE_MODEL);
    expect(['promoted', 'kept']).toContain(life.outcome);
    expect(life.challenger?.version).toBe('v2');
    expect(life.champion?.maeSeconds).toBeGreaterThan(0);
    expect(life.challenger!.maeSeconds!).toBeLessThan(12 * 3600);
    expect(life.reason).toMatch(/mae_s \d+ min \(v2\) vs \d+ min \(v1\)/);
  });

  it('When the window holds too few failures, then no challenger is trained and the skip is recorded with the counts', async () => {
    const versions = await listVersions(registry(), MAINTENANCE_MODEL);
    const champion = (await readAliases(registry(), MAINTENANCE_MODEL)).champion;
    // Two quiet days of sensors: fewer halts than the three a challenger needs before the fresh slice.
    const [fromMs, toMs] = [END_MS - 7 * DAY_MS, END_MS - 5 * DAY_MS];
    expect(
      maintenanceEpisodes(PRODUCTION).filter((e) => e.haltUs / 1000 > fromMs && e.haltUs / 1000 < toMs).length
    ).toBeLessThan(3);
    const run = await job(fromMs, toMs, END_MS + DAY_MS).run({ kind: 'schedule', actor: 'nocai' });
    const decision = decisionOf(run.decisions);
    expect(decision.outcome).toBe('skipped');
    expect(decision.reason).toMatch(
      /^too few PLC failures recorded from .+: \d+ before the fresh slice \(at least 3 needed to learn\) and \d+ in it/
    );
    expect(await listVersions(registry(), MAINTENANCE_MODEL)).toEqual(versions);
    expect((await readAliases(registry(), MAINTENANCE_MODEL)).champion).toBe(champion);
    const stored =
      (
        await client.query(
          database,
          `SELECT "decision", "reason" FROM "aiops_models" WHERE "model" = '${MAINTENANCE_MODEL}' AND "source" = 'decision'`
        )
      )[0]?.rows ?? [];
    expect(stored.map((r) => r.reason)).toContain(decision.reason);
    expect(audit.some((e) => e.action === 'model.retrain' && e.reason === decision.reason)).toBe(true);
    expect(decisionOf(run.decisions, REMAINING_LIFE_MODEL)).toMatchObject({
      outcome: 'skipped',
      reason: decision.reason,
    });
  });
});
