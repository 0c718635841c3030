/**
 * @jest-environment ./src/adapters/onnx/onnxruntimeTestEnvironment.js
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OnnxMttrModel, writeMttrBundle } from '../adapters/onnx/mttrModel';
import { predictGbt } from '../domain/mlops/gbt';
import type { GbtModel } from '../domain/mlops/gbt';
import { trainMttrModel } from '../domain/mlops/mttr';
import type { MttrModel } from '../domain/mlops/mttr';
import { mttrFeatures, type MttrTicketInput } from '../domain/mlops/mttrFeatures';
import { expectedTreeValue } from '../domain/mlops/treeShap';
import { generateInventory } from '../simulator/inventory';
import { Simulation } from '../simulator/simulation';
import { generateTicketHistory } from '../simulator/tickets';
import { OnnxMttrPredictor, OnnxTextRouter, type RoutingClassifier } from './onnxModels';
import type { MttrInput } from './ports';

function simulatedTickets(seed: number, days: number) {
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

/** What the ensemble answers before seeing a ticket: SHAP's base value. */
const baseValueOf = (ensemble: GbtModel) =>
  ensemble.trees.reduce((sum, tree) => sum + expectedTreeValue(tree), ensemble.baseValue);

const ticketOf = (input: MttrInput): MttrTicketInput => ({
  openedAt: input.openedAtMs,
  eventClass: input.eventClass as MttrTicketInput['eventClass'],
  department: input.department as MttrTicketInput['department'],
  priority: input.priority as MttrTicketInput['priority'],
  siteKind: input.siteKind as MttrTicketInput['siteKind'],
  deviceKind: input.deviceKind as MttrTicketInput['deviceKind'],
  fromIncident: input.fromIncident,
});

describe('the MTTR champion behind the predictor port', () => {
  const rows = simulatedTickets(42, 240);
  let model: MttrModel;
  let served: OnnxMttrModel;
  let dir: string;
  beforeAll(async () => {
    model = trainMttrModel(rows, { createdAt: new Date('2025-01-02T00:00:00Z') }).model;
    dir = await mkdtemp(join(tmpdir(), 'mttr-port-'));
    // The bundle as the registry serves it: trees read back from model.onnx.
    await writeMttrBundle(dir, model);
    served = await OnnxMttrModel.load(dir);
  });
  afterAll(async () => {
    await served?.release();
    await rm(dir, { recursive: true, force: true });
  });

  const fridayEvening: MttrInput = {
    eventClass: 'hardware',
    department: 'field_technicians',
    priority: 'P4',
    siteKind: 'factory',
    deviceKind: 'plc',
    openedAtMs: Date.parse('2024-11-15T19:00:00Z'),
    fromIncident: false,
  };

  it('When a ticket is predicted, then it carries its five strongest factors, numeric inputs with their value and categories without', async () => {
    const prediction = await new OnnxMttrPredictor(served).predict(fridayEvening);

    const factors = prediction.explanation ?? [];
    expect(factors).toHaveLength(5);
    const strengths = factors.map((factor) => Math.abs(factor.weight));
    expect(strengths).toEqual([...strengths].sort((a, b) => b - a));
    for (const factor of factors) {
      if (factor.feature.includes('=')) expect(factor.value).toBeUndefined();
      else expect(typeof factor.value).toBe('number');
    }
    const everything = (await new OnnxMttrPredictor(served, { explainTop: Infinity }).predict(fridayEvening))
      .explanation;
    expect(everything?.find((factor) => factor.feature === 'hour_of_day')?.value).toBe(19);
    expect(everything?.find((factor) => factor.feature === 'priority=P4')?.value).toBeUndefined();
    expect(prediction.modelVersion).toBe(`mttr@${model.manifest.version}`);
  });

  it("When every factor of a ticket is listed, then they and the P50 ensemble's base value add up to the P50 model's raw output, not the P90's", async () => {
    const predictor = new OnnxMttrPredictor(served, { explainTop: Infinity });
    const inputs: MttrInput[] = rows.slice(-25).map((row) => ({
      eventClass: row.class,
      department: row.department,
      priority: row.priority,
      siteKind: row.site_kind,
      deviceKind: row.device_kind,
      openedAtMs: Date.parse(row.opened_at),
      fromIncident: row.incident_id !== '',
    }));
    for (const input of [fridayEvening, ...inputs]) {
      const prediction = await predictor.predict(input);
      const x = mttrFeatures(model.manifest.featureSchema, ticketOf(input));
      const sum = (prediction.explanation ?? []).reduce(
        (total, factor) => total + factor.weight,
        baseValueOf(model.p50)
      );

      // log1p(seconds): what the P50 trees add up to, before the graph's expm1.
      expect(Math.abs(sum - predictGbt(model.p50, x))).toBeLessThan(1e-6);
      // The ticket's P50 as served (float32 seconds from onnxruntime).
      expect(Math.abs(sum - Math.log1p(prediction.p50Seconds))).toBeLessThan(1e-4);
      // The P90 ensemble is another model: its output (even where the two nearly cross) is not what these explain.
      expect(Math.abs(sum - predictGbt(model.p90, x))).toBeGreaterThan(1e-4);
    }
  });
});

/**
 * A routing model answering `label`, whose explanation names the label it is asked about: enough to tell which
 * model's reasons a routing carries.
 */
const modelAnswering = (name: string, label: string): RoutingClassifier => ({
  modelVersion: `${name}@v1`,
  labels: [label],
  inputOf: (record) => ({ text: record.title ?? '', context: {} }),
  predict: async (inputs) =>
    inputs.map(() => ({ label, confidence: 0.8, probabilities: { [label]: 0.8 }, modelVersion: `${name}@v1` })),
  explain: (_input, options) => [{ feature: `${name} leans to ${options?.label ?? '?'}`, weight: 1 }],
  close: async () => undefined,
});

describe('the routing champions behind the text router port', () => {
  it("When a text is routed, then its explanation is the department model's and its class explanation the class model's", async () => {
    const router = new OnnxTextRouter(
      modelAnswering('ticket-class', 'power'),
      modelAnswering('department', 'field_technicians'),
      modelAnswering('priority', 'P2')
    );
    const routed = await router.route({ text: 'UPS on battery', siteKind: 'hospital', deviceKind: 'ups' });
    expect(routed).toMatchObject({ eventClass: 'power', department: 'field_technicians', priority: 'P2' });
    expect(routed.explanation).toEqual([{ feature: 'department leans to field_technicians', weight: 1 }]);
    expect(routed.classExplanation).toEqual([{ feature: 'ticket-class leans to power', weight: 1 }]);
  });
});
