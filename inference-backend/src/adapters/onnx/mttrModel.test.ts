/**
 * @jest-environment ./src/adapters/onnx/onnxruntimeTestEnvironment.js
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TicketHistoryRow } from '@nocai/contract';
import { explainMttr, predictMttr, trainMttrModel } from '../../domain/mlops/mttr';
import type { MttrModel } from '../../domain/mlops/mttr';
import { MTTR_FEATURE_VERSION, mttrInputOf, type MttrTicketInput } from '../../domain/mlops/mttrFeatures';
import { generateInventory } from '../../simulator/inventory';
import { Simulation } from '../../simulator/simulation';
import { generateTicketHistory, ticketsToJsonl } from '../../simulator/tickets';
import { loadMttrBundle, MTTR_MANIFEST_FILE, OnnxMttrModel, trainDefaultMttr, writeMttrBundle } from './mttrModel';

function simulatedTickets(seed: number, days: number): TicketHistoryRow[] {
  const sim = new Simulation({ seed, inventory: generateInventory({ seed }) });
  const toUs = Date.UTC(2025, 0, 1) * 1000;
  const fromUs = toUs - days * 86_400_000_000;
  return generateTicketHistory({
    seed,
    topology: sim.topology,
    fromUs,
    toUs,
    incidents: sim.incidentsBetween(fromUs, toUs),
  });
}

const relativeError = (a: number, b: number) => Math.abs(a - b) / Math.max(1, Math.abs(b));

describe('MTTR model served by onnxruntime', () => {
  const rows = simulatedTickets(42, 365);
  let model: MttrModel;
  let dir: string;
  beforeAll(async () => {
    model = trainMttrModel(rows, { createdAt: new Date('2025-01-02T00:00:00Z') }).model;
    dir = await mkdtemp(join(tmpdir(), 'mttr-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('When 300 held-out tickets go through the exported ONNX, then P50 and P90 match the TypeScript forward pass', async () => {
    const served = await OnnxMttrModel.fromModel(model);
    const inputs = rows.slice(-300).map(mttrInputOf);

    const predictions = await served.predict(inputs);

    expect(predictions).toHaveLength(300);
    predictions.forEach((prediction, i) => {
      const expected = predictMttr(model, inputs[i]);
      expect(relativeError(prediction.p50Seconds, expected.p50Seconds)).toBeLessThan(1e-3);
      expect(relativeError(prediction.p90Seconds, expected.p90Seconds)).toBeLessThan(1e-3);
      expect(prediction.p90Seconds).toBeGreaterThanOrEqual(prediction.p50Seconds);
      expect(prediction.modelVersion).toBe(model.manifest.version);
    });
    await served.release();
  });

  it('When a bundle is written and loaded, then it predicts and explains like the trained model', async () => {
    await writeMttrBundle(dir, model);
    const manifest = JSON.parse(await readFile(join(dir, MTTR_MANIFEST_FILE), 'utf8'));
    const served = await OnnxMttrModel.load(dir);
    const input = mttrInputOf(rows[rows.length - 1]);

    expect(manifest).toMatchObject({
      name: 'mttr',
      version: model.manifest.version,
      quantiles: [0.5, 0.9],
      featureSchema: { version: MTTR_FEATURE_VERSION },
      trainingWindow: model.manifest.trainingWindow,
      dataHash: model.manifest.dataHash,
    });
    expect(manifest.metrics.holdout.p90Coverage).toBeGreaterThan(0);
    const [prediction] = await served.predict([input]);
    expect(relativeError(prediction.p50Seconds, predictMttr(model, input).p50Seconds)).toBeLessThan(1e-3);
    const why = served.explain(input, { top: 4 });
    expect(why).toHaveLength(4);
    const expected = explainMttr(model, input, { top: 4 });
    expect(why.map((w) => w.feature)).toEqual(expected.map((w) => w.feature));
    why.forEach((w, i) => expect(w.weight).toBeCloseTo(expected[i].weight, 4));
    await served.release();
  });

  it('When model.onnx and manifest.json come from different trainings, then loading refuses', async () => {
    const other = trainMttrModel(rows.slice(0, 1500), { createdAt: new Date('2025-01-03T00:00:00Z') }).model;
    const mixed = join(dir, 'mixed');
    await writeMttrBundle(mixed, model);
    await writeFile(join(mixed, MTTR_MANIFEST_FILE), JSON.stringify(other.manifest));

    await expect(loadMttrBundle(mixed)).rejects.toThrow(/model.onnx is version/);
  });

  it("When one byte of a written bundle's model.onnx is flipped, then loading refuses it as tampered", async () => {
    const tampered = join(dir, 'tampered');
    await writeMttrBundle(tampered, model);
    const file = join(tampered, 'model.onnx');
    const bytes = await readFile(file);
    bytes[Math.floor(bytes.length / 2)] ^= 0x01;
    await writeFile(file, bytes);

    await expect(OnnxMttrModel.load(tampered)).rejects.toThrow(
      `${file} does not match the sha256 recorded in its manifest: refusing to load a tampered or damaged model`
    );
  });

  it('When a model registered before the department columns came from the history is loaded, then it serves as it did, own departments included', async () => {
    // Written by the code of mttr-features/1 with what it predicted then; see fixtures/README.md.
    const fixture = join(__dirname, 'fixtures', 'mttr-features-1');
    const recorded: Array<{ input: MttrTicketInput; p50Seconds: number; p90Seconds: number }> = JSON.parse(
      await readFile(join(fixture, 'predictions.json'), 'utf8')
    );
    const served = await OnnxMttrModel.load(fixture);

    const predictions = await served.predict(recorded.map((r) => r.input));

    expect(served.manifest.featureSchema.version).toBe('mttr-features/1');
    expect(recorded.map((r) => r.input.department)).toContain('noc_tier2');
    predictions.forEach((prediction, i) => {
      expect(prediction.p50Seconds).toBe(recorded[i].p50Seconds);
      expect(prediction.p90Seconds).toBe(recorded[i].p90Seconds);
    });
    await served.release();
  });

  it('When the demo trains from a tickets.jsonl, then a served bundle lands in the folder and progress counts trees', async () => {
    const history = join(dir, 'tickets.jsonl');
    await writeFile(history, ticketsToJsonl(simulatedTickets(7, 120)));
    const progress: number[] = [];

    const trained = await trainDefaultMttr(history, join(dir, 'demo'), 'v1', (built, total) =>
      progress.push(built / total)
    );

    expect(progress[progress.length - 1]).toBe(1);
    expect(progress.length).toBe(2 * trained.bundle.model.manifest.hyperParameters.nTrees);
    const served = await OnnxMttrModel.load(join(dir, 'demo'));
    const [prediction] = await served.predict([mttrInputOf(simulatedTickets(7, 2)[0])]);
    expect(prediction.p50Seconds).toBeGreaterThan(60);
    // The registry version it is stored as, which tickets name (mttr@v1) and production accuracy matches to the champion.
    expect(served.version).toBe('v1');
    expect(prediction.modelVersion).toBe('v1');
    expect(trained.report.holdout.rows).toBeGreaterThan(0);
    await served.release();
  });
});
