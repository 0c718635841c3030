/**
 * @jest-environment ../inference-backend/src/adapters/onnx/onnxruntimeTestEnvironment.js
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEVICE_KINDS, type Ticket, type TicketHistoryRow } from '@nocai/contract';
import { readTableFile } from '../../inference-backend/src/adapters/files/csv';
import { DEFAULT_MODEL_SPECS, trainTarget } from '../../inference-backend/src/commands/train';
import {
  formatInventory,
  generateInventory,
  generateTicketHistory,
  ticketsToJsonl,
  Topology,
} from '../../inference-backend/src/simulator';
import type { RetrainingRun } from '../../inference-backend/src/services/retraining';
import { startTestBackend, type TestBackend } from '../support/service';
import { waitFor } from '../support/wait';

const DAY_MS = 86_400_000;

/**
 * The lifecycle's acceptance: champions trained on eight months of ticket history; then a month in
 * which the security team was merged into IT operations and operators
 * corrected the routing of every ticket the models got wrong and confirmed the rest. The retraining
 * must learn that from the verdicts and promote the department challenger; a challenger trained on
 * shuffled labels must be kept out; a rollback must bring the old champion back into service at once.
 */
// Training the default models under nested CV is CPU-bound: on a machine busy with other work it
// takes several times as long, so every hook and test here has a generous bound (issue 13).
jest.setTimeout(900_000);

describe('retraining from operators’ verdicts (real influxd, real backend, real ONNX models)', () => {
  let backend: TestBackend;
  let dir: string;
  let month: TicketHistoryRow[];
  // Midnight UTC: the simulated days (and so the tickets) do not depend on the hour the test runs.
  const nowMs = Math.floor(Date.now() / DAY_MS) * DAY_MS;
  const reorgMs = nowMs - 30 * DAY_MS;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nocai-retrain-'));
    const inventory = generateInventory({ seed: 21, sites: 8 });
    const topology = new Topology(inventory);
    writeFileSync(join(dir, 'inventory.yaml'), formatInventory(inventory));
    const history = generateTicketHistory({
      seed: 21,
      topology,
      fromUs: (reorgMs - 240 * DAY_MS) * 1000,
      toUs: reorgMs * 1000,
      incidents: [],
    });
    writeFileSync(join(dir, 'history.jsonl'), ticketsToJsonl(history));
    const table = await readTableFile(join(dir, 'history.jsonl'));
    for (const spec of DEFAULT_MODEL_SPECS.tickets)
      await trainTarget(table, spec, join(dir, 'models'), { champion: true });
    month = generateTicketHistory({
      seed: 22,
      topology,
      fromUs: reorgMs * 1000,
      toUs: nowMs * 1000,
      incidents: [],
      routingChanges: [
        { fromUs: reorgMs * 1000, eventClass: 'security', deviceKinds: DEVICE_KINDS, department: 'it_ops' },
      ],
    });
    backend = await startTestBackend({
      NOCAI_MODELS_DIR: join(dir, 'models'),
      NOCAI_INVENTORY: join(dir, 'inventory.yaml'),
      NOCAI_TICKET_HISTORY: join(dir, 'history.jsonl'),
      NOCAI_RETRAIN_INTERVAL_MS: '0',
    });
  }, 900_000);

  afterAll(async () => {
    await backend?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const call = async <T>(path: string, method = 'GET', body?: unknown): Promise<{ status: number; body: T }> => {
    const res = await backend.call(path, { method, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as T };
  };

  const complain = async (row: Pick<TicketHistoryRow, 'description' | 'site' | 'host'>) =>
    (
      await call<{ ticket: Ticket }>('/api/complaints', 'POST', {
        text: row.description,
        site: row.site,
        host: row.host,
      })
    ).body.ticket;

  /** Asks for a run and waits until it has finished; returns the run. */
  const retrain = async (body: unknown = {}): Promise<RetrainingRun> => {
    const before = (await call<{ latest: RetrainingRun | null }>('/api/retraining')).body.latest?.finishedAtMs ?? 0;
    expect((await call('/api/retraining', 'POST', body)).status).toBe(202);
    return waitFor(
      async () => {
        const { body: state } = await call<{
          running: boolean;
          latest: RetrainingRun | null;
          lastFailure: string | null;
        }>('/api/retraining');
        if (state.lastFailure) throw new Error(`retraining failed: ${state.lastFailure}`);
        return state.latest && state.latest.finishedAtMs > before && !state.running ? state.latest : undefined;
      },
      600_000,
      'the retraining run'
    );
  };

  it('When operators corrected a month of routing after a reorganisation, then the department challenger trained with their verdicts beats the champion on the fresh holdout and serves at once', async () => {
    let corrected = 0;
    for (const row of month) {
      const ticket = await complain(row);
      const truth = { eventClass: row.class, department: row.department, priority: row.priority };
      const wrong =
        ticket.eventClass !== truth.eventClass ||
        ticket.department !== truth.department ||
        ticket.priority !== truth.priority;
      if (wrong) {
        const res = await call(`/api/tickets/${ticket.id}`, 'PATCH', { ...truth, version: ticket.version });
        expect(res.status).toBe(200);
        corrected++;
      } else {
        expect((await call(`/api/tickets/${ticket.id}/feedback`, 'POST', { verdict: 'valid' })).status).toBe(200);
      }
    }
    const moved = month.filter((r) => r.class === 'security');
    expect(moved.length).toBeGreaterThan(5);
    expect(corrected).toBeGreaterThanOrEqual(moved.length / 2);

    const run = await retrain();
    const department = run.decisions.find((d) => d.model === 'department');
    expect(department).toMatchObject({ outcome: 'promoted' });
    expect(department!.challenger!.f1!).toBeGreaterThan(department!.champion!.f1!);
    expect(department!.challenger!.accuracy!).toBeGreaterThan(department!.champion!.accuracy!);
    expect(department!.holdoutRows).toBeGreaterThanOrEqual(30);
    // The version says who asked for it through the API, and why, as GET /api/models answers it.
    const made = await call<{ createdBy?: { kind: string; name: string }; reason?: string }>(
      `/api/models/department/versions/${department!.challenger!.version}`
    );
    expect(made.body.createdBy?.kind).toBe('user');
    expect(made.body.reason).toBe(`retraining asked for by ${made.body.createdBy?.name}`);

    // The new champion routes at once, without a restart: a security ticket goes to IT operations.
    const switchFault = moved[moved.length - 1];
    const ticket = await complain(switchFault);
    expect(ticket.modelVersion).toContain(`department@${department!.challenger!.version}`);
    expect(ticket.department).toBe('it_ops');
  });

  it('When a challenger trained on shuffled labels is put through the gate, then it is kept out and the champion keeps serving', async () => {
    const table = await readTableFile(join(dir, 'history.jsonl'));
    const labels = table.rows.map((r) => r.department);
    // A fixed permutation: deterministic, and no row keeps a label by design.
    const shuffled = {
      ...table,
      rows: table.rows.map((r, i) => ({ ...r, department: labels[(i * 7919 + 13) % labels.length] })),
    };
    const spec = DEFAULT_MODEL_SPECS.tickets.find((s) => s.name === 'department')!;
    const bad = await trainTarget(shuffled, spec, join(dir, 'models'));
    const champion = (await call<{ ticket: Ticket }>('/api/complaints', 'POST', { text: 'printer jammed again' })).body
      .ticket.modelVersion;

    const run = await retrain({ challengers: { department: bad.manifest.version } });
    expect(run.decisions).toHaveLength(1);
    expect(run.decisions[0]).toMatchObject({ model: 'department', outcome: 'kept' });
    expect(run.decisions[0].reason).toMatch(/does not beat the champion/);
    const after = (await call<{ ticket: Ticket }>('/api/complaints', 'POST', { text: 'printer jammed again' })).body
      .ticket.modelVersion;
    expect(after).toBe(champion);
  });

  it('When an admin rolls the department model back, then the previous champion serves the next ticket without a restart, and aiops_models and the audit trail hold every step', async () => {
    const before = (await call<{ aliases: { champion: string } }>('/api/models/department')).body.aliases.champion;
    expect(before).not.toBe('v1');
    const res = await call<{ version: string }>('/api/models/department/rollback', 'POST', {
      reason: 'routing complaints from the wards',
    });
    expect(res.status).toBe(200);
    expect((await call<{ aliases: { champion: string } }>('/api/models/department')).body.aliases.champion).toBe('v1');
    const ticket = await complain(month.filter((r) => r.class === 'security')[0]);
    expect(ticket.modelVersion).toContain('department@v1');
    expect(ticket.department).toBe('security');

    // Every evaluation of champion and challenger on the fresh holdout, and every decision, is a point.
    const rows = async (q: string) => (await backend.influx.client.query(backend.outputDb, q))[0]?.rows ?? [];
    const holdout = await rows(
      `SELECT "f1", "holdout_size" FROM "aiops_models" WHERE "model" = 'department' AND "source" = 'holdout' AND "segment" = 'all'`
    );
    expect(holdout.length).toBeGreaterThanOrEqual(4);
    const decisions = await rows(
      `SELECT "decision", "reason" FROM "aiops_models" WHERE "model" = 'department' AND "source" = 'decision'`
    );
    expect(decisions.map((d) => d.decision)).toEqual(['promoted', 'kept']);
    const segments = await rows(
      `SELECT "accuracy" FROM "aiops_models" WHERE "model" = 'department' AND "source" = 'holdout' AND "segment" =~ /^site_kind=/`
    );
    expect(segments.length).toBeGreaterThan(0);

    // And in the audit trail: the challengers set, the promotion, the refusal, the rollback.
    const audit = await call<{ entries: Array<{ action: string; target: string; actor: string }> }>(
      '/api/audit?action=model&limit=1000'
    );
    const actions = audit.body.entries.filter((e) => e.target.startsWith('model:department')).map((e) => e.action);
    expect(actions).toEqual(
      expect.arrayContaining(['model.challenger', 'model.promote', 'model.retrain', 'model.rollback'])
    );
    expect(actions.indexOf('model.promote')).toBeLessThan(actions.lastIndexOf('model.rollback'));
  });

  it('When the retraining is asked to judge a model it does not retrain or a version that does not exist, then it answers 400 or 404 with a sentence', async () => {
    const unknown = await call<{ error: { message: string } }>('/api/retraining', 'POST', {
      challengers: { 'no-such-model': 'v1' },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toMatch(
      /^challengers\.no-such-model is not a model the retraining judges: use one of /
    );
    const missing = await call<{ error: { message: string } }>('/api/retraining', 'POST', {
      challengers: { department: 'v99' },
    });
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toBe('model department has no version v99');
  });
});
