import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Ticket, TicketHistoryRow } from '@nocai/contract';
import { readTableFile } from '../../inference-backend/src/adapters/files/csv';
import { DEFAULT_MODEL_SPECS, trainTarget } from '../../inference-backend/src/commands/train';
import { formatInventory, generateInventory, generateTicketHistory, ticketsToJsonl, Topology } from '../../inference-backend/src/simulator';
import { startTestBackend, type TestBackend } from './service';
import { waitFor } from './wait';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

export interface LifecycleMonth {
  backend: TestBackend;
  /** The backend's clock: the month is played on it, ticket by ticket. */
  clock: { now: number; nowMs(): number };
  fromMs: number;
  toMs: number;
  tickets: number;
  corrected: number;
  resolved: number;
  stop(): Promise<void>;
}

/**
 * A month of the model lifecycle on the real backend, on a clock the month is played on: champions
 * trained on eight months of simulated tickets; then, after security was merged into IT operations,
 * a month of complaints routed by the models, each judged by an operator half an hour later
 * (corrected where the models were wrong, confirmed otherwise, with some false positives and some
 * problems avoided). The backend's own stages run on that clock: production accuracy and drift every
 * hour, retraining every week, the weekly performance report. A last retraining run at the end.
 */
export async function runLifecycleMonth(progress: (text: string) => void = () => undefined): Promise<LifecycleMonth> {
  const dir = mkdtempSync(join(tmpdir(), 'nocai-lifecycle-'));
  // Monday midnight UTC, four weeks back: weekly reports cover whole weeks of the month.
  const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;
  const monday = today - ((new Date(today).getUTCDay() + 6) % 7) * DAY_MS;
  const fromMs = monday - 28 * DAY_MS;
  const toMs = monday;
  const inventory = generateInventory({ seed: 21, sites: 8 });
  const topology = new Topology(inventory);
  writeFileSync(join(dir, 'inventory.yaml'), formatInventory(inventory));
  const history = generateTicketHistory({ seed: 21, topology, fromUs: (fromMs - 240 * DAY_MS) * 1000, toUs: fromMs * 1000, incidents: [] });
  writeFileSync(join(dir, 'history.jsonl'), ticketsToJsonl(history));
  progress(`training the champions on ${history.length} tickets`);
  const table = await readTableFile(join(dir, 'history.jsonl'));
  for (const spec of DEFAULT_MODEL_SPECS.tickets) await trainTarget(table, spec, join(dir, 'models'), { champion: true });
  const month: TicketHistoryRow[] = generateTicketHistory({
    seed: 22,
    topology,
    fromUs: fromMs * 1000,
    toUs: toMs * 1000,
    incidents: [],
    routingChanges: [{ fromUs: fromMs * 1000, eventClass: 'security', deviceKinds: inventory.devices.map((d) => d.kind), department: 'it_ops' }],
  });

  const clock = { now: fromMs, nowMs: () => clock.now };
  const backend = await startTestBackend(
    {
      NOCAI_MODELS_DIR: join(dir, 'models'),
      NOCAI_INVENTORY: join(dir, 'inventory.yaml'),
      NOCAI_TICKET_HISTORY: join(dir, 'history.jsonl'),
      NOCAI_ACCURACY_MIN_VERDICTS: '10',
    },
    undefined,
    { clock }
  );
  const call = async <T>(path: string, method = 'GET', body?: unknown) => {
    const res = await backend.call(path, { method, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as T };
  };
  // The month as a timeline: each ticket opened, judged half an hour later, resolved when the
  // simulated history says it was.
  type Step = { atMs: number; kind: 'open' | 'judge' | 'resolve'; i: number };
  const steps: Step[] = month.flatMap((row, i) => {
    const opened = Date.parse(row.opened_at);
    return [
      { atMs: opened, kind: 'open' as const, i },
      { atMs: opened + HOUR_MS / 2, kind: 'judge' as const, i },
      { atMs: Math.max(Date.parse(row.resolved_at), opened + HOUR_MS / 2 + 60_000), kind: 'resolve' as const, i },
    ];
  });
  steps.sort((a, b) => a.atMs - b.atMs || a.i - b.i);
  const opened = new Map<number, Ticket>();
  let corrected = 0;
  let resolved = 0;
  let done = 0;
  for (const step of steps) {
    clock.now = step.atMs;
    const row = month[step.i];
    if (step.kind === 'open') {
      const { body } = await call<{ ticket: Ticket }>('/api/complaints', 'POST', { text: row.description, site: row.site, host: row.host });
      opened.set(step.i, body.ticket);
      continue;
    }
    const ticket = opened.get(step.i)!;
    if (step.kind === 'judge') {
      const truth = { eventClass: row.class, department: row.department, priority: row.priority };
      if (ticket.eventClass !== truth.eventClass || ticket.department !== truth.department || ticket.priority !== truth.priority) {
        await call(`/api/tickets/${ticket.id}`, 'PATCH', { ...truth, version: ticket.version });
        corrected++;
      } else {
        // Deterministic mix: a few false positives, a few problems prevented, the rest confirmed.
        const verdict = step.i % 17 === 5 ? 'invalid' : step.i % 11 === 3 ? 'avoided' : 'valid';
        await call(`/api/tickets/${ticket.id}/feedback`, 'POST', { verdict });
      }
      if (++done % 50 === 0) progress(`${done} of ${month.length} tickets routed and judged`);
      continue;
    }
    // Resolved by the technician (a false positive was closed by its verdict already).
    let current = (await call<{ ticket: Ticket }>(`/api/tickets/${ticket.id}`)).body.ticket;
    if (current.status === 'closed') continue;
    if (current.status === 'needs_review') {
      current = (await call<{ ticket: Ticket }>(`/api/tickets/${ticket.id}`, 'PATCH', { status: 'open', version: current.version })).body.ticket;
    }
    const res = await call(`/api/tickets/${ticket.id}`, 'PATCH', { status: 'resolved', version: current.version });
    if (res.status === 200) resolved++;
  }
  // The month is over: one more run of each lifecycle step on its last hour.
  clock.now = toMs + 2 * HOUR_MS;
  await waitFor(async () => ((await call<{ running: boolean }>('/api/retraining')).body.running ? undefined : true), 600_000, 'retraining idle');
  const before = (await call<{ latest: { finishedAtMs: number } | null }>('/api/retraining')).body.latest?.finishedAtMs ?? 0;
  await call('/api/retraining', 'POST', {});
  await waitFor(
    async () => {
      const { body } = await call<{ running: boolean; latest: { trigger: string; finishedAtMs: number } | null }>('/api/retraining');
      return !body.running && body.latest?.trigger === 'user' && body.latest.finishedAtMs >= before ? true : undefined;
    },
    600_000,
    'the last retraining run'
  );
  progress(`month played: ${month.length} tickets, ${corrected} corrected, ${resolved} resolved`);
  return {
    backend,
    clock,
    fromMs,
    toMs,
    tickets: month.length,
    corrected,
    resolved,
    stop: async () => {
      await backend.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The performance report the backend makes of the month (HTML), once its production figures of the
 * month's last hour are written.
 */
export async function monthReport(month: LifecycleMonth): Promise<string> {
  const { backend } = month;
  await waitFor(
    async () =>
      ((
        await backend.influx.client.query(
          backend.outputDb,
          `SELECT count("accuracy") FROM "aiops_models" WHERE "source" = 'production' AND time >= ${month.toMs}ms`
        )
      )[0]?.rows.length ?? 0) > 0
        ? true
        : undefined,
    120_000,
    'the production accuracy of the last hour'
  );
  const made = await backend.call('/api/reports', {
    method: 'POST',
    body: JSON.stringify({ from: month.fromMs, to: month.toMs + 3 * HOUR_MS }),
  });
  if (made.status !== 201) throw new Error(`POST /api/reports answered ${made.status}: ${await made.text()}`);
  const got = await backend.call(made.headers.get('location') ?? '');
  if (got.status !== 200) throw new Error(`the report answered ${got.status}`);
  return got.text();
}
