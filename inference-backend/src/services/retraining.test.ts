/**
 * @jest-environment ./src/adapters/onnx/onnxruntimeTestEnvironment.js
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { TicketHistoryRow } from '@nocai/contract';
import { readTableFile, type Table } from '../adapters/files/csv';
import { listVersions, readAliases } from '../adapters/registry/modelRegistry';
import { runModels } from '../commands/models';
import { DEFAULT_MODEL_SPECS, trainTarget } from '../commands/train';
import type { AuditEntryInput } from '../domain/audit/audit';
import type { SeriesPoint } from '../domain/series';
import { generateInventory, generateTicketHistory, ticketsToJsonl, Topology } from '../simulator';
import { failureLabelOptions } from './maintenanceRetraining';
import { retrainedModels, RetrainingJob, retrainingProvenance } from './retraining';

const DAY_MS = 86_400_000;
const END_MS = Date.UTC(2026, 5, 1);

/** A ticket row as `labelRows` makes it from an operator's verdict. */
const labelled = (row: TicketHistoryRow): Record<string, string> => ({
  ...row,
  verdict: 'valid',
  label_source: 'feedback',
});

describe('the retraining job’s refusals and challengers (real registry, real trainer, real onnxruntime)', () => {
  let dir: string;
  let history: Table;
  let month: TicketHistoryRow[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nocai-retraining-'));
    const topology = new Topology(generateInventory({ seed: 3, sites: 5 }));
    const rows = generateTicketHistory({
      seed: 3,
      topology,
      fromUs: (END_MS - 150 * DAY_MS) * 1000,
      toUs: (END_MS - 30 * DAY_MS) * 1000,
      incidents: [],
    });
    // No maintenance tickets before: the operators' labels will bring that class in.
    writeFileSync(join(dir, 'history.jsonl'), ticketsToJsonl(rows.filter((r) => r.department !== 'maintenance')));
    history = await readTableFile(join(dir, 'history.jsonl'));
    await trainTarget(
      history,
      DEFAULT_MODEL_SPECS.tickets.find((s) => s.name === 'department')!,
      join(dir, 'models'),
      { champion: true }
    );
    month = generateTicketHistory({
      seed: 4,
      topology,
      fromUs: (END_MS - 30 * DAY_MS) * 1000,
      toUs: END_MS * 1000,
      incidents: [],
    });
  }, 600_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const job = (labels: Array<Record<string, string>>) => {
    const points: SeriesPoint[] = [];
    const audit: AuditEntryInput[] = [];
    const retraining = new RetrainingJob({
      registryDir: join(dir, 'models'),
      logger: pino({ level: 'silent' }),
      nowMs: () => END_MS,
      sources: { history: async () => history, labels: async () => labels },
      writePoints: async (p) => void points.push(...p),
      audit: {
        record: async (entry) => (audit.push(entry), { ...entry, seq: audit.length, at: '', prevHash: '', hash: '' }),
      },
    });
    return { retraining, points, audit };
  };

  it('When the service serves a 12-hour failure model, then the retraining judges plc-failure-12h, not the 24-hour one', async () => {
    const retraining = new RetrainingJob({
      registryDir: join(dir, 'models'),
      logger: pino({ level: 'silent' }),
      nowMs: () => END_MS,
      sources: { history: async () => history, labels: async () => [] },
      maintenanceHorizonH: 12,
    });
    expect(retraining.models).toContain('plc-failure-12h');
    expect(retraining.models).not.toContain('plc-failure-24h');
    expect(retrainedModels(12)).toEqual(retraining.models);
    // Without a sensor history wired, the run says so for the served failure model.
    const run = await retraining.run({ kind: 'user', actor: 'ana' }, {});
    expect(run.decisions.find((d) => d.model === 'plc-failure-12h')).toMatchObject({
      outcome: 'skipped',
      reason: 'no sensor history is wired to the retraining',
    });
    expect(failureLabelOptions(12)).toMatchObject({ horizonH: 12, target: 'fails_within_12h' });
  });

  it('When the fresh holdout is too small to decide, then no challenger is trained, the champion stays, and the reason is written and audited', async () => {
    const { retraining, points, audit } = job(month.slice(0, 20).map(labelled));
    const run = await retraining.run({ kind: 'schedule', actor: 'nocai' });
    const department = run.decisions.find((d) => d.model === 'department')!;
    expect(department.outcome).toBe('skipped');
    expect(department.reason).toBe('holdout of 6 labelled tickets is under 30: too small to decide');
    expect(await listVersions(join(dir, 'models'), 'department')).toEqual(['v1']);
    expect((await readAliases(join(dir, 'models'), 'department')).champion).toBe('v1');
    const decision = points.find((p) => p.tags.model === 'department' && p.tags.source === 'decision');
    // Written as the run answers it: a run with no challenger to judge is skipped, not a challenger kept out.
    expect(decision?.fields).toMatchObject({ decision: 'skipped', reason: department.reason });
    expect(audit.find((e) => e.target === 'model:department')).toMatchObject({
      action: 'model.retrain',
      reason: department.reason,
    });
  });

  it('When the operators’ labels bring a class with too few rows to learn, then no challenger is trained and the reason names the class', async () => {
    const rows = month.filter((r) => r.department !== 'maintenance').map(labelled);
    const maintenance = month.find((r) => r.department === 'maintenance')!;
    // One maintenance ticket among the older labels (the training part), none in the holdout.
    rows.splice(5, 0, labelled({ ...maintenance, opened_at: rows[4].opened_at }));
    const { retraining } = job(rows);
    const run = await retraining.run({ kind: 'user', actor: 'alice' });
    const department = run.decisions.find((d) => d.model === 'department')!;
    expect(department.outcome).toBe('skipped');
    expect(department.reason).toBe(
      'too few labels to learn department=maintenance (1): each class needs 3 training rows'
    );
    expect(await listVersions(join(dir, 'models'), 'department')).toEqual(['v1']);
  });

  // Last: it adds a version to the registry the tests above expect to hold v1 only.
  it('When the schedule trains a challenger, then nocai models show names the schedule as its maker and the trigger as reason', async () => {
    const { retraining } = job(month.filter((r) => r.department !== 'maintenance').map(labelled));
    const run = await retraining.run({ kind: 'schedule', actor: 'nocai' });
    const department = run.decisions.find((d) => d.model === 'department')!;
    expect(department.challenger?.version).toBe('v2');
    const shown = { out: '', stdout: (t: string) => void (shown.out += t), stderr: () => undefined };
    expect(
      await runModels({ action: 'show', dir: join(dir, 'models'), name: 'department', version: 'v2' }, shown)
    ).toBe(0);
    expect(shown.out).toContain(' by schedule:retraining schedule\n');
    expect(shown.out).toContain('reason: scheduled retraining\n');
    expect(shown.out).toMatch(/hyperparameters: \{"C":/);
    // Asked for through the API, the version names the person instead.
    expect(retrainingProvenance({ kind: 'user', actor: 'alice' })).toEqual({
      createdBy: { kind: 'user', name: 'alice' },
      reason: 'retraining asked for by alice',
    });
  }, 600_000);
});
