/**
 * @jest-environment ../inference-backend/src/adapters/onnx/onnxruntimeTestEnvironment.js
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DRIFT_SERIES, OUTPUT } from '@nocai/contract';
import { InfluxWriter } from '../../inference-backend/src/adapters/influx';
import type { InfluxClient } from '../../inference-backend/src/adapters/influx';
import { InfluxDriftSource } from '../../inference-backend/src/adapters/influx/driftSource';
import { createLogger } from '../../inference-backend/src/adapters/logger';
import { RegistryProfiles } from '../../inference-backend/src/adapters/registry/profileStore';
import { trainLineModelsOnSimulation } from '../../inference-backend/src/commands/train';
import type { SeriesPoint } from '../../inference-backend/src/domain/series';
import { DEFAULT_DRIFT_STAGE_OPTIONS, DriftStage } from '../../inference-backend/src/pipeline/driftStage';
import type { FeatureDrift } from '../../inference-backend/src/pipeline/driftStage';
import { generateInventory, Simulation } from '../../inference-backend/src/simulator';
import { labelledLinesOf } from '../../inference-backend/src/simulator/labelledLines';
import type { LabelledLine } from '../../inference-backend/src/simulator/labelledLines';
import { freshDatabase } from '../support/influx';
import { readYaml } from '../grafana/repo';
import { outputDatabaseOf, startTestBackend } from '../support/service';
import { waitFor } from '../support/wait';

const HOUR_US = 3_600_000_000;
const DAY_US = 24 * HOUR_US;
/** The line models learn from a fixed simulated week; the monitored day is the one after it. */
const TRAINING_END_US = Date.UTC(2026, 0, 8) * 1000;
const TRAINING_DAYS = 7;
const SEED = 42;

/** The simulator's lines of one day after the training week, from the same world (another period of it). */
function dayOfLines(startUs: number): LabelledLine[] {
  const simulation = new Simulation({
    seed: SEED,
    inventory: generateInventory({ seed: SEED, sites: 4 }),
    metricsIntervalSeconds: 3600,
    sensorIntervalSeconds: 3600,
  });
  const lines: LabelledLine[] = [];
  for (let t = startUs; t < startUs + DAY_US; t += 6 * HOUR_US)
    lines.push(...labelledLinesOf(simulation.topology, simulation.generate(t, t + 6 * HOUR_US)));
  return lines;
}

/** A classified line as the log stage writes it to aiops_events (the line's true class and decision stand for the predictions). */
function eventPoint(line: LabelledLine, timeUs: number): SeriesPoint {
  const E = OUTPUT.events;
  return {
    measurement: E.measurement,
    tags: {
      [E.tags.hostname]: line.hostname,
      [E.tags.appname]: line.appname,
      [E.tags.severity]: line.severity,
      [E.tags.siteKind]: line.site_kind,
      [E.tags.deviceKind]: line.device_kind,
      [E.tags.eventClass]: line.class,
    },
    fields: { [E.fields.message]: line.message, [E.fields.decision]: line.decision, [E.fields.template]: '' },
    timeUs,
  };
}

type Row = Record<string, unknown>;

async function driftRows(client: InfluxClient, database: string, atMs: number): Promise<Map<string, Row>> {
  const series = await client.query(
    database,
    `SELECT * FROM "${DRIFT_SERIES.measurement}" WHERE time = ${atMs * 1000}u GROUP BY "model", "feature", "kind"`
  );
  return new Map(series.map((s) => [`${s.tags.model}/${s.tags.feature}`, s.rows[0]]));
}

describe('drift stage against a real influxd (line models trained on a simulated week → aiops_events → aiops_drift)', () => {
  let modelsDir = '';
  let client: InfluxClient;
  let database = '';
  beforeAll(async () => {
    modelsDir = mkdtempSync(join(tmpdir(), 'nocai-drift-models-'));
    await trainLineModelsOnSimulation(
      generateInventory({ seed: SEED, sites: 4 }),
      TRAINING_END_US,
      TRAINING_DAYS,
      modelsDir,
      { by: 'the drift scenario test', seed: SEED }
    );
    ({ client, database } = await freshDatabase('drift'));
  }, 300_000);
  afterAll(() => rmSync(modelsDir, { recursive: true, force: true }));

  it('When the day after training has the training mix, then nothing drifts; when a new template family makes 30% of the lines, then template_mix drifts within one evaluation and the untouched inputs do not', async () => {
    const writer = new InfluxWriter(client, { database });
    const lines = dayOfLines(TRAINING_END_US);
    const step = DAY_US / lines.length;
    await writer.write(lines.map((line, i) => eventPoint(line, TRAINING_END_US + Math.floor(i * step))));
    await writer.flush();

    let nowMs = (TRAINING_END_US + DAY_US) / 1000;
    const drifted: Array<{ model: string; features: FeatureDrift[] }> = [];
    const stage = new DriftStage({
      models: new RegistryProfiles(modelsDir),
      source: new InfluxDriftSource(client, database),
      sink: writer,
      clock: { nowMs: () => nowMs },
      logger: createLogger('silent'),
      options: DEFAULT_DRIFT_STAGE_OPTIONS,
      hooks: { onDrift: (model, features) => void drifted.push({ model: model.name, features }) },
    });

    // Arrange/act 1: the training-like day.
    await stage.tick();
    const calm = await driftRows(client, database, nowMs);
    const features = ['template_mix', 'predicted_class', 'severity', 'device_kind', 'appname'];
    for (const feature of features) expect(calm.get(`event-class/${feature}`)).toBeDefined();
    expect(calm.get('event-decision/site_kind')).toBeDefined();
    const detected = [...calm].filter(([, row]) => row[DRIFT_SERIES.fields.driftDetected] === true).map(([key]) => key);
    expect(detected).toEqual([]);
    expect(drifted).toEqual([]);
    expect(Number(calm.get('event-class/template_mix')?.[DRIFT_SERIES.fields.unseenShare])).toBeLessThan(0.05);

    // Arrange/act 2: a new firmware's messages, with the tags of lines drawn from the same day, make 30% of the next day.
    const nextDay = dayOfLines(TRAINING_END_US + DAY_US);
    const added = Math.round((nextDay.length * 0.3) / 0.7);
    const firmware = Array.from({ length: added }, (_, i) => ({
      ...nextDay[(i * 7919) % nextDay.length],
      message: `fwupd[${1000 + (i % 97)}]: module ${i % 13} watchdog expired after ${200 + (i % 50)} ms, restarting stack rev ${i % 5}`,
    }));
    const mixed = [...nextDay, ...firmware];
    const mixedStep = DAY_US / mixed.length;
    // Interleaved in time, as a new firmware's chatter would be.
    const order = mixed.map((_, i) => i).sort((x, y) => ((x * 2654435761) % 1000003) - ((y * 2654435761) % 1000003));
    await writer.write(
      order.map((index, k) => eventPoint(mixed[index], TRAINING_END_US + DAY_US + Math.floor(k * mixedStep)))
    );
    await writer.flush();
    nowMs = (TRAINING_END_US + 2 * DAY_US) / 1000;
    const points = await stage.tick();

    // Assert: one evaluation (the interval has passed) flags the template mix of both line models, nothing else.
    expect(points).toBeGreaterThan(0);
    const shifted = await driftRows(client, database, nowMs);
    const mix = shifted.get('event-class/template_mix');
    expect(mix?.[DRIFT_SERIES.fields.driftDetected]).toBe(true);
    expect(Number(mix?.[DRIFT_SERIES.fields.unseenShare])).toBeGreaterThan(0.25);
    expect(Number(mix?.[DRIFT_SERIES.fields.unseenShare])).toBeLessThan(0.35);
    expect(shifted.get('event-decision/template_mix')?.[DRIFT_SERIES.fields.driftDetected]).toBe(true);
    for (const feature of ['severity', 'device_kind', 'appname', 'predicted_class']) {
      expect([feature, shifted.get(`event-class/${feature}`)?.[DRIFT_SERIES.fields.driftDetected]]).toEqual([
        feature,
        false,
      ]);
    }
    expect(drifted.map((d) => [d.model, d.features.map((f) => f.feature)])).toEqual([
      ['event-class', ['template_mix']],
      ['event-decision', ['template_mix']],
    ]);

    // The provisioned "drift detected" rule's own query, over the evaluation's time: it pages on
    // the drifted feature of each model and on nothing else.
    const rule = readYaml<{
      groups: Array<{ rules: Array<{ uid: string; data: Array<{ model: { query?: string } }> }> }>;
    }>('provisioning', 'alerting', 'rules.yaml')
      .groups.flatMap((g) => g.rules)
      .find((r) => r.uid === 'nocai-drift-detected');
    const query = (rule?.data.find((d) => d.model.query)?.model.query ?? '').replace(
      '$timeFilter',
      `time >= ${nowMs - 3_600_000}ms AND time <= ${nowMs}ms`
    );
    const paged = await client.query(database, query);
    expect(paged.map((series) => `${series.tags.model}/${series.tags.feature}`).sort()).toEqual([
      'event-class/template_mix',
      'event-decision/template_mix',
    ]);
    await writer.close();
  });

  it('When the backend is configured to retrain on drift and its line models see a new template family, then the drift is written and a retraining run is asked for by it', async () => {
    const { client: inputClient, database: input } = await freshDatabase('drift_svc');
    const output = outputDatabaseOf(input);
    await inputClient.query(output, `CREATE DATABASE "${output}"`);
    const writer = new InfluxWriter(inputClient, { database: output });
    const day = dayOfLines(TRAINING_END_US);
    const firmware = Array.from({ length: Math.round(day.length * 0.5) }, (_, i) => ({
      ...day[(i * 7919) % day.length],
      message: `fwupd[${1000 + (i % 97)}]: module ${i % 13} watchdog expired after ${200 + (i % 50)} ms, restarting stack rev ${i % 5}`,
    }));
    const mixed = [...day, ...firmware];
    // The last 23 hours before now: the drift stage's window is the last day.
    const endUs = Date.now() * 1000 - 60_000_000;
    const step = (23 * HOUR_US) / mixed.length;
    await writer.write(mixed.map((line, k) => eventPoint(line, endUs - 23 * HOUR_US + Math.floor(k * step))));
    await writer.close();

    const backend = await startTestBackend(
      {
        NOCAI_MODELS_DIR: modelsDir,
        NOCAI_DRIFT_RETRAIN: 'true',
        NOCAI_RETRAIN_INTERVAL_MS: '0',
        NOCAI_ACCURACY_INTERVAL_MS: '0',
      },
      { client: inputClient, database: input }
    );
    try {
      const run = await waitFor(
        async () => {
          const state = (await (await backend.call('/api/retraining')).json()) as {
            latest: { trigger: string; decisions: unknown[] } | null;
          };
          return state.latest ?? undefined;
        },
        120_000,
        'a retraining run asked for by drift'
      );
      expect(run.trigger).toBe('drift');
      const drift = (await (
        await backend.call('/api/series/drift?model=event-class&feature=template_mix&from=now-1h')
      ).json()) as {
        rows: Array<{ fields: Record<string, unknown> }>;
      };
      expect(drift.rows.some((row) => row.fields[DRIFT_SERIES.fields.driftDetected] === true)).toBe(true);
    } finally {
      await backend.stop();
    }
  });
});
