/**
 * @jest-environment ./src/adapters/onnx/onnxruntimeTestEnvironment.js
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { TicketHistoryRow } from '@nocai/contract';
import { readTableFile, type Table } from '../adapters/files/csv';
import { OnnxMttrModel } from '../adapters/onnx/mttrModel';
import { setAlias } from '../adapters/registry/modelRegistry';
import { OTHER_DEPARTMENT_COLUMN } from '../domain/mlops/mttrFeatures';
import { generateInventory, generateTicketHistory, ticketsToJsonl, Topology } from '../simulator';
import type { MttrInput } from './ports';
import { OnnxMttrPredictor } from './onnxModels';
import { RetrainingJob } from './retraining';

const DAY_MS = 86_400_000;
const END_MS = Date.UTC(2026, 5, 1);
/** A champion registered before the department columns came from the history (see the fixture's README). */
const OLD_CHAMPION = join(__dirname, '..', 'adapters', 'onnx', 'fixtures', 'mttr-features-1');

/**
 * The organisation's second-line NOC: half of the network tickets go to it, and it takes six times
 * as long to resolve them (a ticket resolved by people, as the labels bring them).
 */
function withOwnDepartment(rows: readonly TicketHistoryRow[]): Array<Record<string, string>> {
  let networkTickets = 0;
  return rows.map((row) => {
    if (row.department !== 'network_ops' || networkTickets++ % 2 === 0) return { ...row, auto_resolved: 'false' };
    const openedMs = Date.parse(row.opened_at);
    const resolvedAt = new Date(openedMs + 6 * (Date.parse(row.resolved_at) - openedMs)).toISOString();
    return { ...row, department: 'noc_tier2', resolved_at: resolvedAt, auto_resolved: 'false' };
  });
}

describe('the MTTR trees retrained on tickets of the organisation’s own departments (real registry, real trainer, real onnxruntime)', () => {
  let dir: string;
  let history: Table;
  let resolved: Array<Record<string, string>>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nocai-mttr-retraining-'));
    cpSync(OLD_CHAMPION, join(dir, 'models', 'mttr', 'v1'), { recursive: true });
    await setAlias(join(dir, 'models'), 'mttr', 'champion', 'v1');
    const topology = new Topology(generateInventory({ seed: 3, sites: 5 }));
    const ticketsOf = (seed: number, fromDay: number, toDay: number) =>
      generateTicketHistory({
        seed,
        topology,
        fromUs: (END_MS - fromDay * DAY_MS) * 1000,
        toUs: (END_MS - toDay * DAY_MS) * 1000,
        incidents: [],
      });
    // The history the champion came from knows the six departments only.
    writeFileSync(join(dir, 'history.jsonl'), ticketsToJsonl(ticketsOf(3, 200, 100)));
    history = await readTableFile(join(dir, 'history.jsonl'));
    resolved = withOwnDepartment(ticketsOf(4, 100, 0));
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('When a department of its own resolves much slower, then the challenger gives it its own, longer estimate and an unseen department falls into "other"', async () => {
    const retraining = new RetrainingJob({
      registryDir: join(dir, 'models'),
      logger: pino({ level: 'silent' }),
      nowMs: () => END_MS,
      sources: { history: async () => history, labels: async () => [], resolved: async () => resolved },
    });

    const run = await retraining.run({ kind: 'user', actor: 'ana' });

    const mttr = run.decisions.find((d) => d.model === 'mttr');
    // The old champion was scored on the same fresh tickets, own department included.
    expect(mttr?.champion).toMatchObject({ version: 'v1', rows: mttr?.holdoutRows });
    expect(mttr?.challenger?.version).toBe('v2');
    const model = await OnnxMttrModel.load(join(dir, 'models', 'mttr', 'v2'));
    const names = model.manifest.featureSchema.features.map((f) => f.name);
    expect(names).toEqual(expect.arrayContaining(['department=network_ops', 'department=noc_tier2']));
    expect(names).toContain(OTHER_DEPARTMENT_COLUMN);
    const predictor = new OnnxMttrPredictor(model);
    const ticket = (department: string): MttrInput => ({
      eventClass: 'network',
      department,
      priority: 'P3',
      siteKind: 'hospital',
      deviceKind: 'router',
      openedAtMs: Date.UTC(2026, 5, 2, 10),
      fromIncident: false,
    });
    const [network, tier2, unseen] = await Promise.all(
      ['network_ops', 'noc_tier2', 'noc_tier3'].map((d) => predictor.predict(ticket(d)))
    );

    expect(tier2.p50Seconds).toBeGreaterThan(2 * network.p50Seconds);
    // Its own estimate, not the one every department without a column of its own gets.
    expect(tier2.p50Seconds).toBeGreaterThan(2 * unseen.p50Seconds);
    expect((tier2.explanation ?? []).map((f) => f.feature)).toContain('department=noc_tier2');
    // Never seen in training: no column of its own, estimated rather than refused.
    expect(unseen.p50Seconds).toBeGreaterThan(0);
    expect(unseen.modelVersion).toBe('mttr@v2');
    await model.release();
  }, 600_000);
});
