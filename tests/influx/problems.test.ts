/**
 * @jest-environment ../inference-backend/src/adapters/onnx/onnxruntimeTestEnvironment.js
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { problemDefinitionSchema } from '@nocai/contract';
import type { ProblemDefinitionInput } from '@nocai/contract';
import { ProblemStore } from '../../inference-backend/src/adapters/files/problemStore';
import { toLineProtocol } from '../../inference-backend/src/adapters/influx';
import type { InfluxClient } from '../../inference-backend/src/adapters/influx';
import { OnnxProblemModel } from '../../inference-backend/src/adapters/onnx/problemModel';
import { runProblemsTrain } from '../../inference-backend/src/commands/problems';
import type { ProblemsTrainFlags } from '../../inference-backend/src/commands/problems';
import type { AuditEntry, AuditEntryInput, AuditSink } from '../../inference-backend/src/domain/audit/audit';
import type { ProblemManifest } from '../../inference-backend/src/domain/problems/manifest';
import { freezerSeriesPoints, generateFreezers } from '../../inference-backend/src/simulator/freezerPrecursors';
import { freshDatabase, testInfluxUrl } from '../support/influx';

/**
 * Predictive alert problems against a real influxd (issue 12): the freezer fixture
 * (`simulator/freezerPrecursors.ts`: a failing compressor's current ramp together with a loading
 * rush precede each warm-up above −18 °C; decoys show one precursor alone) is written as Telegraf
 * would, a problem "temperature above −18 °C for 10 minutes within 2 h" is trained through the
 * `nocai problems train` command's function, and the model must beat the no-skill and the best
 * single-series baselines on the validation period.
 */

class MemorySink implements AuditSink {
  readonly entries: AuditEntryInput[] = [];
  async record(entry: AuditEntryInput): Promise<AuditEntry> {
    this.entries.push(entry);
    return { ...entry, seq: this.entries.length, at: new Date().toISOString(), prevHash: '', hash: '' };
  }
}

const base: ProblemDefinitionInput = {
  name: 'freezer-warm',
  description: 'a freezer above −18 °C for 10 minutes',
  event: { kind: 'threshold', measurement: 'freezer', field: 'temperature_c', operator: '>', value: -18, for: '10m' },
  entity: { tag: 'host', where: { kind: 'freezer' } },
  horizon: '2h',
  interval: '5m',
  variables: { include: ['freezer.*'], exclude: ['freezer.temperature_c'], controllable: ['freezer.setpoint_c'] },
  windows: ['30m', '2h'],
  training: { from: '2026-01-01T03:00:00Z', to: '2026-01-22T00:00:00Z' },
  validation: { from: '2026-01-22T00:00:00Z', to: '2026-01-31T00:00:00Z' },
  department: 'facilities',
  priority: 'P2',
};

// Reduced grids bound the test's cost; `nocai problems train` uses the full ones.
const GRIDS = {
  gbt: [{ kind: 'gbt' as const, maxDepth: 3, nTrees: 60, learningRate: 0.1, minSamplesLeaf: 20 }],
  logistic: [{ kind: 'logistic' as const, C: 1 }],
  random_forest: [
    { kind: 'random_forest' as const, maxDepth: 5, nTrees: 15, minSamplesLeaf: 10, featureFraction: 0.5 },
  ],
};

async function writeFixture(client: InfluxClient, database: string): Promise<void> {
  const lines = freezerSeriesPoints(generateFreezers({ freezers: 3, days: 30 }).points).map(toLineProtocol);
  for (let i = 0; i < lines.length; i += 5000) await client.writeLines(database, lines.slice(i, i + 5000));
}

describe('nocai problems train against InfluxDB', () => {
  let dir: string;
  let flags: ProblemsTrainFlags;
  const audit = new MemorySink();
  const out: string[] = [];
  const err: string[] = [];
  const io = { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t) };

  beforeAll(async () => {
    const { client, database } = await freshDatabase('problems');
    await writeFixture(client, database);
    dir = await mkdtemp(join(tmpdir(), 'nocai-problems-influx-'));
    flags = {
      dir: join(dir, 'problems'),
      models: join(dir, 'models'),
      stateDir: join(dir, 'state'),
      influxUrl: testInfluxUrl(),
      database,
      outputDatabase: 'aiops',
    };
    const store = new ProblemStore(flags.dir);
    await store.create(problemDefinitionSchema.parse(base));
    await store.create(
      problemDefinitionSchema.parse({
        ...base,
        name: 'freezer-thaw',
        event: { ...base.event, value: -5 },
      })
    );
    await store.create(
      problemDefinitionSchema.parse({ ...base, name: 'freezer-typo', event: { ...base.event, field: 'temp_c' } })
    );
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('When a problem with a learnable precursor is trained, then its model beats the baselines on validation and is registered', async () => {
    const code = await runProblemsTrain('freezer-warm', flags, io, { audit, grids: GRIDS });
    expect(err.join('')).not.toContain('nocai problems train:');
    expect(code).toBe(0);
    // Progress on stderr while it runs, the summary on stdout.
    expect(err.some((line) => line.includes('fold 1/3'))).toBe(true);
    expect(out.join('')).toContain('problem-freezer-warm v1 (champion)');

    const dirOf = join(flags.models, 'problem-freezer-warm', 'v1');
    const manifest = JSON.parse(await readFile(join(dirOf, 'manifest.json'), 'utf8')) as ProblemManifest;
    const v = manifest.metrics.validation;
    expect(manifest.entities.seen).toEqual(['freezer-01', 'freezer-02', 'freezer-03']);
    expect(manifest.features.variables).toEqual([
      'freezer.compressor_current_a',
      'freezer.door_open_count',
      'freezer.setpoint_c',
    ]);
    expect(v.prAuc).toBeGreaterThan(v.noSkillPrAuc + 0.3);
    expect(v.prAuc).toBeGreaterThan(v.bestSingleSeries.prAuc);
    expect(v.leadTime.warned).toBeGreaterThan(0);
    expect(v.leadTime.median).toBeGreaterThanOrEqual(30);
    expect(v.prCurve.length).toBeGreaterThan(2);
    expect(v.segments.map((s) => s.entity)).toEqual(manifest.entities.seen);

    // The registered graph answers probabilities in [0, 1] for rows of its width.
    const model = await OnnxProblemModel.load(
      await readFile(join(dirOf, 'model.onnx')),
      manifest.inputs.tensor.dimension
    );
    const probabilities = await model.probabilities(new Float32Array(manifest.inputs.tensor.dimension * 2));
    expect(Array.from(probabilities).every((p) => p >= 0 && p <= 1)).toBe(true);
    expect(audit.entries.at(-1)).toMatchObject({ action: 'model.train', target: 'model:problem-freezer-warm@v1' });
  });

  it('When the event never occurs in the training period, then no model is trained and the reason is given (exit 2)', async () => {
    const errors: string[] = [];
    const code = await runProblemsTrain(
      'freezer-thaw',
      flags,
      { stdout: () => undefined, stderr: (t) => errors.push(t) },
      { audit, grids: GRIDS }
    );
    expect(code).toBe(2);
    expect(errors.at(-1)).toMatch(
      /^nocai problems train: the event occurs 0 times in the training period .* at least 10 \(minEvents\) are needed/
    );
    await expect(readFile(join(flags.models, 'problem-freezer-thaw', 'v1', 'manifest.json'))).rejects.toThrow();
  });

  it('When the event names a field the database lacks, then it is refused naming the field (exit 2)', async () => {
    const errors: string[] = [];
    const code = await runProblemsTrain(
      'freezer-typo',
      flags,
      { stdout: () => undefined, stderr: (t) => errors.push(t) },
      { audit, grids: GRIDS }
    );
    expect(code).toBe(2);
    expect(errors.at(-1)).toBe('nocai problems train: event.field: measurement freezer has no numeric field temp_c\n');
  });
});
