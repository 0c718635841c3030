import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SeriesPage, Ticket, TicketHistoryRow } from '@nocai/contract';
import { plural } from '@nocai/contract';
import { readTableFile } from '../adapters/files/csv';
import type { Clock } from '../domain/series';
import type { Provenance } from '../domain/mlops/manifest';
import { formatInventory, generateInventory, generateTicketHistory, ticketsToJsonl, Topology } from '../simulator';
import { DEFAULT_MODEL_SPECS, trainTarget } from './train';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/**
 * `nocai demo --month`: a month of the model lifecycle on the real backend, played on the backend's
 * clock. Champions are trained on eight months of simulated tickets; then, after security was
 * merged into IT operations, a month of complaints is routed by them, each judged by a simulated
 * operator half an hour later (corrected where the models were wrong, confirmed otherwise, with
 * some false positives and some problems avoided) and resolved when the simulated history says.
 * The backend's own stages run on that clock: production accuracy and drift every hour,
 * retraining every week, the weekly performance report; one more retraining run at the end, then
 * the month's performance report.
 */
export interface MonthFiles {
  dir: string;
  inventoryFile: string;
  historyFile: string;
  modelsDir: string;
}

export interface MonthPlan extends MonthFiles {
  /** Monday midnight UTC four weeks before the last Monday: whole weeks. */
  fromMs: number;
  toMs: number;
  month: TicketHistoryRow[];
  historyTickets: number;
}

export interface MonthResult {
  tickets: number;
  corrected: number;
  resolved: number;
}

/** The backend's clock while the month is played: set by the player, read by every stage. */
export class PlayedClock implements Clock {
  constructor(public now: number) {}
  nowMs(): number {
    return this.now;
  }
}

/** An API client of the backend (the demo's bearer token). */
export interface MonthApi {
  call<T>(path: string, method?: string, body?: unknown): Promise<{ status: number; body: T; location?: string }>;
  /** A page that is not JSON (the HTML report). */
  text(path: string): Promise<string>;
}

export function monthApi(base: string, token: string): MonthApi {
  return {
    async call<T>(path: string, method = 'GET', body?: unknown) {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: {
          Authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return {
        status: res.status,
        body: (text ? JSON.parse(text) : undefined) as T,
        location: res.headers.get('location') ?? undefined,
      };
    },
    async text(path: string) {
      const res = await fetch(`${base}${path}`, { headers: { Authorization: `Bearer ${token}` } });
      if (!res.ok) throw new Error(`GET ${path} answered ${res.status}`);
      return res.text();
    },
  };
}

/**
 * The month's world in `dir`: inventory, eight months of ticket history before the month, the
 * champions trained on that history, and the month's tickets (not yet written anywhere).
 */
export async function prepareMonth(
  dir: string,
  nowMs: number,
  say: (text: string) => void,
  signal?: AbortSignal
): Promise<MonthPlan> {
  await mkdir(dir, { recursive: true });
  const today = Math.floor(nowMs / DAY_MS) * DAY_MS;
  const monday = today - ((new Date(today).getUTCDay() + 6) % 7) * DAY_MS;
  const fromMs = monday - 28 * DAY_MS;
  const toMs = monday;
  const inventory = generateInventory({ seed: 21, sites: 8 });
  const topology = new Topology(inventory);
  const files: MonthFiles = {
    dir,
    inventoryFile: join(dir, 'inventory.yaml'),
    historyFile: join(dir, 'history.jsonl'),
    modelsDir: join(dir, 'models'),
  };
  await writeFile(files.inventoryFile, formatInventory(inventory));
  const history = generateTicketHistory({
    seed: 21,
    topology,
    fromUs: (fromMs - 240 * DAY_MS) * 1000,
    toUs: fromMs * 1000,
    incidents: [],
  });
  await writeFile(files.historyFile, ticketsToJsonl(history));
  const tickets = plural(history.length, 'ticket', { shown: history.length.toLocaleString('en-US') });
  say(`training the champions on ${tickets} of the eight months before`);
  const table = await readTableFile(files.historyFile);
  const provenance: Provenance = {
    createdBy: { kind: 'setup', name: 'nocai demo' },
    reason: 'champion of the nocai demo month, trained on the eight months of simulated tickets before it',
  };
  for (const spec of DEFAULT_MODEL_SPECS.tickets) {
    signal?.throwIfAborted();
    await trainTarget(table, spec, files.modelsDir, { champion: true, provenance });
  }
  const month = generateTicketHistory({
    seed: 22,
    topology,
    fromUs: fromMs * 1000,
    toUs: toMs * 1000,
    incidents: [],
    routingChanges: [
      {
        fromUs: fromMs * 1000,
        eventClass: 'security',
        deviceKinds: inventory.devices.map((d) => d.kind),
        department: 'it_ops',
      },
    ],
  });
  return { ...files, fromMs, toMs, month, historyTickets: history.length };
}

type Step = { atMs: number; kind: 'open' | 'judge' | 'resolve'; i: number };

/**
 * Plays the month on `clock` through the backend's API as operators would use it, then runs one
 * more retraining at the month's end and waits for it.
 */
export async function playMonth(
  api: MonthApi,
  plan: MonthPlan,
  clock: PlayedClock,
  say: (text: string) => void,
  signal?: AbortSignal
): Promise<MonthResult> {
  const { month } = plan;
  // The month as a timeline: each ticket opened, judged half an hour later, resolved when the
  // simulated history says it was.
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
  let judged = 0;
  const expect = async <T>(what: string, answer: Promise<{ status: number; body: T }>, ok: number[] = [200, 201]) => {
    const { status, body } = await answer;
    if (!ok.includes(status)) throw new Error(`${what} answered ${status}: ${JSON.stringify(body).slice(0, 300)}`);
    return body;
  };
  for (const step of steps) {
    // A stop signal ends the month here: the backend then stops with nothing in flight.
    signal?.throwIfAborted();
    clock.now = step.atMs;
    const row = month[step.i];
    if (step.kind === 'open') {
      const { ticket } = await expect(
        'POST /api/complaints',
        api.call<{ ticket: Ticket }>('/api/complaints', 'POST', {
          text: row.description,
          site: row.site,
          host: row.host,
        })
      );
      opened.set(step.i, ticket);
      continue;
    }
    const ticket = opened.get(step.i);
    if (!ticket) continue;
    if (step.kind === 'judge') {
      const truth = { eventClass: row.class, department: row.department, priority: row.priority };
      if (
        ticket.eventClass !== truth.eventClass ||
        ticket.department !== truth.department ||
        ticket.priority !== truth.priority
      ) {
        await expect(
          'a correction',
          api.call(`/api/tickets/${ticket.id}`, 'PATCH', { ...truth, version: ticket.version })
        );
        corrected++;
      } else {
        // A deterministic mix: a few false positives, a few problems prevented, the rest confirmed.
        const verdict = step.i % 17 === 5 ? 'invalid' : step.i % 11 === 3 ? 'avoided' : 'valid';
        await expect('a verdict', api.call(`/api/tickets/${ticket.id}/feedback`, 'POST', { verdict }));
      }
      if (++judged % 50 === 0) {
        say(
          `${judged} of ${plural(month.length, 'ticket')} routed and judged (${new Date(clock.now).toISOString().slice(0, 10)})`
        );
      }
      continue;
    }
    // Resolved by the technician (a false positive was closed by its verdict already).
    let current = (await expect('GET ticket', api.call<{ ticket: Ticket }>(`/api/tickets/${ticket.id}`))).ticket;
    if (current.status === 'closed') continue;
    if (current.status === 'needs_review') {
      current = (
        await expect(
          'reopening for work',
          api.call<{ ticket: Ticket }>(`/api/tickets/${ticket.id}`, 'PATCH', {
            status: 'open',
            version: current.version,
          })
        )
      ).ticket;
    }
    const res = await api.call(`/api/tickets/${ticket.id}`, 'PATCH', { status: 'resolved', version: current.version });
    if (res.status === 200) resolved++;
  }
  // The month is over: one more run of each lifecycle step on its last hours.
  clock.now = plan.toMs + 2 * HOUR_MS;
  type RetrainingState = { running: boolean; latest: { trigger: string; finishedAtMs: number } | null };
  await until(
    async () => !(await api.call<RetrainingState>('/api/retraining')).body.running,
    'the weekly retraining to finish',
    signal
  );
  const before = (await api.call<RetrainingState>('/api/retraining')).body.latest?.finishedAtMs ?? 0;
  await expect('POST /api/retraining', api.call('/api/retraining', 'POST', {}), [200, 202]);
  say('the month is over: a last retraining run…');
  await until(
    async () => {
      const { body } = await api.call<RetrainingState>('/api/retraining');
      return !body.running && body.latest?.trigger === 'user' && body.latest.finishedAtMs >= before;
    },
    'the last retraining run',
    signal
  );
  return { tickets: month.length, corrected, resolved };
}

/**
 * The performance report of the month (HTML), made by the backend once the production figures of
 * the month's last hours are written; also saved as `<plan.dir>/report.html`.
 */
export async function monthReport(
  api: MonthApi,
  plan: MonthPlan,
  signal?: AbortSignal
): Promise<{ html: string; file: string; location: string }> {
  await until(
    async () => {
      const { body } = await api.call<SeriesPage>(`/api/series/models?source=production&from=${plan.toMs}&limit=1`);
      return (body?.rows?.length ?? 0) > 0;
    },
    'the production accuracy of the last hours',
    signal
  );
  const made = await api.call('/api/reports', 'POST', {
    from: plan.fromMs,
    to: plan.toMs + 3 * HOUR_MS,
  });
  if (made.status !== 201) throw new Error(`POST /api/reports answered ${made.status}: ${JSON.stringify(made.body)}`);
  const location = made.location ?? '/api/reports/latest';
  const got = await api.text(location);
  const file = join(plan.dir, 'report.html');
  await writeFile(file, got);
  return { html: got, file, location };
}

/** Waits on a condition (no deadline tied to the machine's speed beyond a generous ten minutes). */
async function until(
  condition: () => Promise<boolean>,
  what: string,
  signal?: AbortSignal,
  timeoutMs = 600_000
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    signal?.throwIfAborted();
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
