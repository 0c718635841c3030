/**
 * @jest-environment ../inference-backend/src/adapters/onnx/onnxruntimeTestEnvironment.js
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inventorySchema, PROBLEM_SERIES, problemDefinitionSchema } from '@nocai/contract';
import type { ProblemDefinitionInput, Ticket } from '@nocai/contract';
import { ProblemStore } from '../../inference-backend/src/adapters/files/problemStore';
import { toLineProtocol } from '../../inference-backend/src/adapters/influx';
import type { InfluxClient } from '../../inference-backend/src/adapters/influx';
import { ProblemAlarmSource } from '../../inference-backend/src/adapters/influx/problemAlarmSource';
import { InfluxProblemSeries } from '../../inference-backend/src/adapters/influx/problemSeries';
import { DirectWriter } from '../../inference-backend/src/adapters/influx/writer';
import { FileStateStore } from '../../inference-backend/src/adapters/state/fileStateStore';
import type { AuditEntry, AuditEntryInput, AuditSink } from '../../inference-backend/src/domain/audit/audit';
import { IncidentEngine } from '../../inference-backend/src/domain/incidents';
import { productionAccuracy } from '../../inference-backend/src/domain/mlops/productionAccuracy';
import { problemEvent } from '../../inference-backend/src/domain/problems/evidence';
import type { ProblemAlarmRecord } from '../../inference-backend/src/domain/problems/evidence';
import { ticketFromIncident } from '../../inference-backend/src/domain/tickets/ticket';
import { DEFAULT_PROBLEM_STAGE_OPTIONS, ProblemStage } from '../../inference-backend/src/pipeline/problemStage';
import { RegistryProblemCatalog } from '../../inference-backend/src/services/problemServing';
import { ProblemService } from '../../inference-backend/src/services/problemService';
import { freezerSeriesPoints, generateFreezers } from '../../inference-backend/src/simulator/freezerPrecursors';
import type { FreezerPoint } from '../../inference-backend/src/simulator/freezerPrecursors';
import { freshDatabase } from '../support/influx';

/**
 * Serving a predictive alert problem against a real influxd (issue 12 points 3 and 5): the freezer
 * fixture with operators who sometimes pre-empt a warm-up by lowering the set-point (so the
 * set-point is a real remedy) is trained on its first 30 days through the problem service; the
 * three days after are then written hour by hour, as Telegraf would, with the problem stage ticking
 * after each hour on a clock that follows the data. A foreseeable warm-up must be warned of at
 * least 30 minutes ahead, the alert must open a ticket through the incident engine with the
 * problem's department and priority, its top factors and a recommendation naming the set-point,
 * and an `avoided` verdict on it must count as a true positive of the problem's model.
 */

class MemoryAudit implements AuditSink {
  readonly entries: AuditEntryInput[] = [];
  async record(entry: AuditEntryInput): Promise<AuditEntry> {
    this.entries.push(entry);
    return { ...entry, seq: this.entries.length, at: new Date().toISOString(), prevHash: '', hash: '' };
  }
}

const definition: ProblemDefinitionInput = {
  name: 'freezer-warm',
  description: 'a freezer above −18 °C for 10 minutes',
  event: { kind: 'threshold', measurement: 'freezer', field: 'temperature_c', operator: '>', value: -18, for: '10m' },
  entity: { tag: 'host', where: { kind: 'freezer' } },
  horizon: '2h',
  interval: '5m',
  variables: {
    include: ['freezer.*'],
    exclude: ['freezer.temperature_c'],
    controllable: ['freezer.setpoint_c'],
    bounds: { 'freezer.setpoint_c': { min: -26, max: -18 } },
  },
  windows: ['30m', '2h'],
  training: { from: '2026-01-01T03:00:00Z', to: '2026-01-22T00:00:00Z' },
  validation: { from: '2026-01-22T00:00:00Z', to: '2026-01-31T00:00:00Z' },
  // An operator's choice of alert level (the target-precision policy is the training tests' subject).
  threshold: { policy: 'fixed', probability: 0.5 },
  department: 'facilities',
  priority: 'P2',
};

// Reduced grids bound the test's cost; the service's defaults are the full ones.
const GRIDS = {
  gbt: [{ kind: 'gbt' as const, maxDepth: 3, nTrees: 60, learningRate: 0.1, minSamplesLeaf: 20 }],
  logistic: [{ kind: 'logistic' as const, C: 1 }],
  random_forest: [
    { kind: 'random_forest' as const, maxDepth: 5, nTrees: 15, minSamplesLeaf: 10, featureFraction: 0.5 },
  ],
};

const SERVE_FROM_MS = Date.parse('2026-01-31T00:00:00Z');
const SERVE_TO_MS = Date.parse('2026-02-03T00:00:00Z');
const HOUR_MS = 3_600_000;

async function write(client: InfluxClient, database: string, points: readonly FreezerPoint[]): Promise<void> {
  const lines = freezerSeriesPoints(points).map(toLineProtocol);
  for (let i = 0; i < lines.length; i += 5000) await client.writeLines(database, lines.slice(i, i + 5000));
}

describe('the problem stage against InfluxDB', () => {
  let dir: string;
  const alarms: ProblemAlarmRecord[] = [];
  let fixture: ReturnType<typeof generateFreezers>;
  let client: InfluxClient;
  let input: string;
  let output: string;
  let stageErrors: unknown[] = [];

  beforeAll(async () => {
    ({ client, database: input } = await freshDatabase('problemserve'));
    ({ database: output } = await freshDatabase('problemserve_out'));
    dir = await mkdtemp(join(tmpdir(), 'nocai-problem-serving-'));
    fixture = generateFreezers({ freezers: 3, days: 33, precooled: 0.35 });
    await write(
      client,
      input,
      fixture.points.filter((p) => p.timeMs < SERVE_FROM_MS)
    );
    const store = new ProblemStore(join(dir, 'problems'));
    await store.create(problemDefinitionSchema.parse(definition));
    const source = new InfluxProblemSeries(client, input, output);
    const registryDir = join(dir, 'models');
    const service = new ProblemService({ store, source, registryDir, audit: new MemoryAudit(), grids: GRIDS });
    await service.train('freezer-warm', { actor: 'test', role: 'admin', from: 'test' });

    // Live: an hour of data arrives, then the stage runs on a clock that has reached it.
    let nowMs = SERVE_FROM_MS;
    const stage = new ProblemStage({
      catalog: new RegistryProblemCatalog(registryDir, async () =>
        (await store.list()).problems.map((p) => p.definition.name)
      ),
      source,
      sink: new DirectWriter(client, { database: output }),
      store: new FileStateStore(join(dir, 'state')),
      clock: { nowMs: () => nowMs },
      options: { ...DEFAULT_PROBLEM_STAGE_OPTIONS, settleMs: 0 },
      hooks: { onAlarms: (list) => alarms.push(...list), onProblemError: (_p, e) => stageErrors.push(e) },
    });
    for (let hour = SERVE_FROM_MS; hour < SERVE_TO_MS; hour += HOUR_MS) {
      await write(
        client,
        input,
        fixture.points.filter((p) => p.timeMs >= hour && p.timeMs < hour + HOUR_MS)
      );
      nowMs = hour + HOUR_MS;
      while ((await stage.tick()) > 0);
    }
    // Training (a worker) and three days served hour by hour against a real server.
  }, 600_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('When a foreseeable warm-up comes, then it is warned of at least 30 minutes ahead with its factors and a recommendation', () => {
    expect(stageErrors).toEqual([]);
    const served = fixture.truth.filter(
      (t) => t.foreseeable && t.crossingMs > SERVE_FROM_MS + 2 * HOUR_MS && t.crossingMs < SERVE_TO_MS
    );
    expect(served.length).toBeGreaterThan(0);
    const warned = served.filter((t) =>
      alarms.some(
        (a) =>
          a.entity === t.host &&
          a.timeUs / 1000 >= t.crossingMs - 2 * HOUR_MS &&
          a.timeUs / 1000 <= t.crossingMs - 30 * 60_000
      )
    );
    expect(warned.length).toBeGreaterThan(0);
    for (const a of alarms) {
      expect(a.probability).toBeGreaterThanOrEqual(a.threshold);
      expect(a.explanation.length).toBeGreaterThan(0);
      expect(a.recommendation).toContain('freezer.setpoint_c');
    }
    // At least one alert has a remedy: lowering the set-point, within the training range and the bounds.
    const remedies = alarms.filter((a) =>
      /^lower freezer\.setpoint_c from -2\d(\.\d+)? to -2[3-6]/.test(a.recommendation)
    );
    expect(remedies.length).toBeGreaterThan(0);
  });

  it('When the alert reaches the incident engine, then a ticket opens routed as the problem says, and avoided counts as a true positive', () => {
    const inventory = inventorySchema.parse({
      sites: [
        { id: 'plant-1', name: 'Plant 1', kind: 'factory', criticality: 3 },
        { id: 'plant-2', name: 'Plant 2', kind: 'factory', criticality: 3 },
      ],
      devices: ['freezer-01', 'freezer-02', 'freezer-03'].map((host, i) => ({
        host,
        site: `plant-${(i % 2) + 1}`,
        kind: 'sensor',
      })),
    });
    const engine = new IncidentEngine(inventory);
    const tickets = new Map<string, Ticket>();
    for (const alarm of alarms) {
      engine.observeEvents([problemEvent(alarm)]);
      for (const action of engine.advance(alarm.timeUs + 1).ticketActions) {
        tickets.set(
          action.incident.id,
          ticketFromIncident(action.incident, {
            predictMttr: () => ({ p50Seconds: 1800, p90Seconds: 3600 }),
            nowMs: Math.floor(action.atUs / 1000),
          })
        );
      }
    }
    expect(tickets.size).toBeGreaterThan(0);
    // Repeats of an alert on one freezer group into its ticket: never more tickets than alerts.
    expect(tickets.size).toBeLessThanOrEqual(alarms.length);
    const ticket = [...tickets.values()].find((t) => /^lower freezer\.setpoint_c/.test(t.recommendation ?? ''));
    expect(ticket).toBeDefined();
    if (!ticket) return;
    expect(ticket).toMatchObject({ department: 'facilities', priority: 'P2', modelVersion: 'problem-freezer-warm@v1' });
    expect(ticket.title).toMatch(/^Predicted freezer-warm on freezer-0\d within 2 h$/);
    expect(ticket.explanation.length).toBeGreaterThan(0);

    const atMs = SERVE_TO_MS;
    const accuracy = productionAccuracy([ticket], [{ ticketId: ticket.id, verdict: 'avoided', atMs }], {
      fromMs: SERVE_FROM_MS,
      toMs: atMs,
      minVerdicts: 1,
      minGroupVerdicts: 1,
    });
    const model = accuracy.models.find((m) => m.model === 'problem-freezer-warm');
    expect(model).toMatchObject({ version: 'v1', primaryMetric: 'precision', primaryValue: 1 });
    expect(model?.counts.avoided).toBe(1);
  });

  it('When the backend restarts, then the alerts written to aiops_problems are read back as the same evidence', async () => {
    const read = await new ProblemAlarmSource(client, output).read(SERVE_FROM_MS * 1000, SERVE_TO_MS * 1000);
    expect(read.map((a) => [a.entity, a.timeUs, a.recommendation, a.department, a.priority])).toEqual(
      alarms.map((a) => [a.entity, a.timeUs, a.recommendation, a.department, a.priority])
    );
    // One point per entity and evaluated step, each written once.
    const [count] = await client.query(
      output,
      `SELECT count("${PROBLEM_SERIES.fields.probability}") FROM "${PROBLEM_SERIES.measurement}"`
    );
    const steps = (SERVE_TO_MS - SERVE_FROM_MS) / 300_000;
    expect(Number(count.rows[0].count)).toBeGreaterThan(steps * 3 * 0.8);
    expect(Number(count.rows[0].count)).toBeLessThanOrEqual(steps * 3);
  });
});
