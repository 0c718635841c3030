/**
 * @jest-environment ../inference-backend/src/adapters/onnx/onnxruntimeTestEnvironment.js
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { OUTPUT, type EventClass, type Ticket } from '@nocai/contract';
import type { Table } from '../../inference-backend/src/adapters/files/csv';
import type { InfluxClient } from '../../inference-backend/src/adapters/influx';
import { EventsRepository } from '../../inference-backend/src/adapters/influx/eventsRepository';
import { readFeedback } from '../../inference-backend/src/adapters/influx/feedbackLabels';
import { readLineLabels } from '../../inference-backend/src/adapters/influx/lineLabels';
import { TicketsRepository } from '../../inference-backend/src/adapters/influx/ticketsRepository';
import { DirectWriter } from '../../inference-backend/src/adapters/influx/writer';
import { loadModel, readAliases } from '../../inference-backend/src/adapters/registry/modelRegistry';
import { DEFAULT_MODEL_SPECS, trainTarget } from '../../inference-backend/src/commands/train';
import type { AuditEntryInput } from '../../inference-backend/src/domain/audit/audit';
import type { RegistryManifest } from '../../inference-backend/src/domain/mlops/manifest';
import type { SeriesPoint } from '../../inference-backend/src/domain/series';
import { nextState } from '../../inference-backend/src/domain/tickets';
import { MedianMttrBaseline, RuleTextRouter } from '../../inference-backend/src/services/baselineModels';
import { routingClassifierOf } from '../../inference-backend/src/services/onnxModels';
import { RetrainingJob, type RetrainingRun } from '../../inference-backend/src/services/retraining';
import { TicketService } from '../../inference-backend/src/services/ticketService';
import { generateInventory, Simulation, Topology, type SimDevice } from '../../inference-backend/src/simulator';
import { labelledLinesOf, type LabelledLine } from '../../inference-backend/src/simulator/labelledLines';
import { freshDatabase } from '../support/influx';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** A fixed end: the simulated lines, and so the models and figures, are the same on every run. */
const END_MS = Date.UTC(2026, 4, 1);
const PRODUCTION_DAYS = 10;
const CORPUS_DAYS = 5;
const INCIDENT_MS = 4 * HOUR_MS;

type Line = Omit<LabelledLine, 'criticality'> & { site: string };

/** The family's variants: the words a text model can learn it by once masking has removed paths and numbers. */
const VOLUMES = ['/mnt/backup', '/mnt/vm-images', '/srv/db-dumps', '/snapshots/nightly'];
const SNAPSHOT_NOTES = ['snapshot reserve in use', 'snapshot retention keeps it full', 'snapshot pool at target fill'];

/**
 * A new backup tool keeps snapshot volumes on the servers full by design, and the disk monitor
 * reports them like any filling disk: a family of lines the champion never saw, in the words of a
 * real alert. The champion calls them alerts; they are harmless, so every incident ticket they
 * open is invalidated by an operator.
 */
function noisyLine(device: SimDevice, timeMs: number, i: number): Line {
  const percent = 91 + ((i * 7) % 9);
  return {
    time: new Date(timeMs).toISOString(),
    hostname: device.host,
    appname: 'diskmon',
    severity: 'warning',
    message: `filesystem ${VOLUMES[i % VOLUMES.length]} is ${percent}% full (${((100 - percent) * 0.4).toFixed(1)} GB free), ${SNAPSHOT_NOTES[(i >> 2) % SNAPSHOT_NOTES.length]}`,
    device_kind: device.kind,
    site_kind: device.site.kind,
    site: device.site.id,
    class: 'software',
    decision: 'noise',
  };
}

function simulatedLines(topology: Topology, simulation: Simulation, fromMs: number, toMs: number): Line[] {
  const lines: Line[] = [];
  const stepMs = 6 * HOUR_MS;
  for (let t = fromMs; t < toMs; t += stepMs) {
    for (const l of labelledLinesOf(topology, simulation.generate(t * 1000, Math.min(t + stepMs, toMs) * 1000))) {
      const { criticality: _criticality, ...line } = l;
      lines.push({ ...line, site: topology.device(l.hostname)?.site.id ?? '' });
    }
  }
  return lines;
}

const tableOf = (lines: readonly Line[]): Table => ({
  columns: Object.keys(lines[0]),
  rows: lines.map((l) => Object.fromEntries(Object.entries(l).map(([k, v]) => [k, String(v)]))),
});

/** What the champions of `registryDir` say of `lines`: the decision (alert or noise) and the class. */
async function classify(registryDir: string, lines: readonly Line[], decisionVersion = 'champion') {
  const load = async (name: string, version: string) =>
    routingClassifierOf(name, await loadModel<RegistryManifest>(registryDir, name, version));
  const [eventClass, decision] = await Promise.all([
    load('event-class', 'champion'),
    load('event-decision', decisionVersion),
  ]);
  try {
    const records = lines.map((l) => ({ ...l }) as unknown as Record<string, string>);
    const classes = await eventClass.predict(records.map((r) => eventClass.inputOf(r)));
    const decisions = await decision.predict(records.map((r) => decision.inputOf(r)));
    return lines.map((_, i) => ({ eventClass: classes[i].label as EventClass, alert: decisions[i].label !== 'noise' }));
  } finally {
    await Promise.all([eventClass.close(), decision.close()]);
  }
}

/** The aiops_events point the log stage writes for a line it classified (see pipeline/logStage.ts). */
function eventPoint(line: Line, eventClass: string, decision: string): SeriesPoint {
  const tags = OUTPUT.events.tags;
  const fields = OUTPUT.events.fields;
  return {
    measurement: OUTPUT.events.measurement,
    tags: {
      [tags.hostname]: line.hostname,
      [tags.appname]: line.appname,
      [tags.facility]: 'local0',
      [tags.severity]: line.severity,
      [tags.site]: line.site,
      [tags.siteKind]: line.site_kind,
      [tags.deviceKind]: line.device_kind,
      [tags.eventClass]: eventClass,
    },
    fields: {
      [fields.decision]: decision,
      [fields.templateId]: '',
      [fields.template]: '',
      [fields.message]: line.message,
      [fields.confidence]: 0.9,
      [fields.modelVersion]: 'event-class@v1+event-decision@v1',
    },
    timeUs: Date.parse(line.time) * 1000,
  };
}

const share = (xs: readonly boolean[]) => xs.filter(Boolean).length / Math.max(1, xs.length);

// Training the default models under nested CV is CPU-bound: on a machine busy with other work it
// takes several times as long, so every hook and test here has a generous bound (issue 13).
jest.setTimeout(900_000);

describe('retraining the line models from operators’ verdicts on incident tickets (real influxd, real ONNX models)', () => {
  let dir: string;
  let client: InfluxClient;
  let database: string;
  let topology: Topology;
  let simulation: Simulation;
  let corpus: Table;
  let retraining: RetrainingJob;
  let first: RetrainingRun;
  const points: SeriesPoint[] = [];
  let jobNowMs = END_MS;
  const audit: AuditEntryInput[] = [];
  const registry = () => join(dir, 'models');
  const servers = () => topology.devices.filter((d) => d.kind === 'server');
  const noisyBetween = (fromMs: number, toMs: number, everyMs: number, offset: number) =>
    Array.from({ length: Math.floor((toMs - fromMs) / everyMs) }, (_, i) =>
      noisyLine(servers()[(i + offset) % servers().length], fromMs + i * everyMs + ((i * 61_000) % everyMs), i + offset)
    );

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nocai-line-retrain-'));
    const inventory = generateInventory({ seed: 31, sites: 4 });
    topology = new Topology(inventory);
    simulation = new Simulation({ seed: 31, inventory, metricsIntervalSeconds: 3600, sensorIntervalSeconds: 3600 });
    const productionFromMs = END_MS - PRODUCTION_DAYS * DAY_MS;
    // The champions learn a week of simulated syslog before production starts: the corpus the retraining combines the labels with.
    corpus = tableOf(simulatedLines(topology, simulation, productionFromMs - CORPUS_DAYS * DAY_MS, productionFromMs));
    for (const spec of DEFAULT_MODEL_SPECS.events) await trainTarget(corpus, spec, registry(), { champion: true });

    // Production: the log stage's events of two weeks (what the champions said of each line), and
    // incident tickets opened by the lines they called alerts, judged by operators a few hours later.
    ({ client, database } = await freshDatabase('line_retrain'));
    const sink = new DirectWriter(client, { database });
    const clock = { now: productionFromMs, nowMs: () => clock.now };
    const tickets = new TicketsRepository(client, database, sink, clock);
    const service = new TicketService({
      tickets,
      events: { related: async () => [] },
      router: new RuleTextRouter(),
      mttr: new MedianMttrBaseline([]),
      similar: () => undefined,
      clock,
      options: { reviewThreshold: 0 },
    });
    const real = simulatedLines(topology, simulation, productionFromMs, END_MS).filter((l) => l.decision !== 'noise');
    // The family fires on some server every four minutes: each server logs it a few times an hour.
    const noisy = noisyBetween(productionFromMs, END_MS, 4 * 60_000, 0);
    const lines = [...real, ...noisy].sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
    const said = await classify(registry(), lines);
    await sink.write(lines.map((line, i) => eventPoint(line, said[i].eventClass, said[i].alert ? 'alert' : 'noise')));
    // One incident per host and four hours, opened by its first line the champion called an alert;
    // the lines of its host until an operator judges it, at the end of those hours, join it.
    const noisyIds = new Set(noisy.map((l) => `${l.hostname}@${l.time}`));
    const openUntil = new Map<string, number>();
    const steps: Array<{ atMs: number; run: () => Promise<void> }> = [];
    lines.forEach((line, i) => {
      const atMs = Date.parse(line.time);
      if (!said[i].alert || (openUntil.get(line.hostname) ?? 0) > atMs) return;
      openUntil.set(line.hostname, atMs + INCIDENT_MS);
      const harmless = noisyIds.has(`${line.hostname}@${line.time}`);
      let opened: Ticket | undefined;
      steps.push({
        atMs,
        run: async () => {
          [opened] = await tickets.save([
            nextState(
              {
                id: `INC-${i}`,
                openedAtMs: atMs,
                updatedAtMs: atMs,
                status: 'open',
                source: 'logs',
                title: `${said[i].eventClass} on ${line.hostname}`,
                eventClass: said[i].eventClass,
                department: 'facilities',
                priority: 'P3',
                confidence: 0.9,
                needsReview: false,
                site: line.site,
                siteKind: line.site_kind,
                host: line.hostname,
                deviceKind: line.device_kind,
                mttrP50Seconds: 3600,
                mttrP90Seconds: 7200,
                relatedAlertCount: 1,
                explanation: [],
                similarTickets: [],
                modelVersion: 'event-class@v1+event-decision@v1',
                hosts: [line.hostname],
                version: 0,
              },
              {},
              { kind: 'opened', summary: 'opened' },
              { by: 'nocai', atMs }
            ),
          ]);
        },
      });
      steps.push({
        atMs: atMs + INCIDENT_MS - 60_000,
        run: async () => {
          if (opened) await service.feedback(opened.id, { verdict: harmless ? 'invalid' : 'valid' }, 'operator');
        },
      });
    });
    steps.sort((a, b) => a.atMs - b.atMs);
    for (const step of steps) {
      clock.now = step.atMs;
      await step.run();
    }

    // The service as it starts after a restart: the tickets index warmed from InfluxDB.
    const stored = new TicketsRepository(client, database, sink, clock);
    await stored.load(END_MS);
    const sinceMs = productionFromMs;
    retraining = new RetrainingJob({
      registryDir: registry(),
      logger: pino({ level: 'silent' }),
      // Each run writes its points at its own time: a later evaluation must not overwrite an earlier one.
      nowMs: () => jobNowMs,
      sources: {
        history: async () => undefined,
        labels: async () => [],
        lineHistory: async () => corpus,
        lineLabels: async () =>
          readLineLabels(
            new EventsRepository(client, database),
            stored.all(),
            await readFeedback(client, database, sinceMs),
            sinceMs
          ),
      },
      writePoints: async (p) => {
        points.push(...p);
        await sink.write(p);
      },
      audit: {
        record: async (entry) => (audit.push(entry), { ...entry, seq: audit.length, at: '', prevHash: '', hash: '' }),
      },
    });
    first = await retraining.run({ kind: 'schedule', actor: 'nocai' });
  }, 900_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('When operators invalidated the tickets a new noisy line family opened, then the event-decision challenger calls those lines noise on fresh data and is promoted', async () => {
    const fresh = noisyBetween(END_MS, END_MS + 3 * DAY_MS, 3 * HOUR_MS, 7);
    const realFresh = simulatedLines(topology, simulation, END_MS, END_MS + 3 * DAY_MS).filter(
      (l) => l.decision === 'alert'
    );
    const before = await classify(registry(), [...fresh, ...realFresh], 'v1');
    // The champion calls the new family alerts: that is what the operators kept invalidating.
    expect(share(before.slice(0, fresh.length).map((p) => p.alert))).toBeGreaterThan(0.8);

    const decision = first.decisions.find((d) => d.model === 'event-decision')!;
    expect(decision).toMatchObject({ outcome: 'promoted' });
    expect(decision.holdoutRows).toBeGreaterThanOrEqual(30);
    expect(decision.challenger!.f1!).toBeGreaterThan(decision.champion!.f1!);
    const champion = (await readAliases(registry(), 'event-decision')).champion;
    expect(champion).toBe(decision.challenger!.version);

    // On lines of the days after the training window: the new family is noise, the real alerts stay alerts.
    const after = await classify(registry(), [...fresh, ...realFresh]);
    expect(share(after.slice(0, fresh.length).map((p) => !p.alert))).toBeGreaterThan(0.9);
    const recall = (predictions: typeof before) => share(predictions.slice(fresh.length).map((p) => p.alert));
    expect(realFresh.length).toBeGreaterThan(50);
    expect(recall(after)).toBeGreaterThanOrEqual(recall(before) - 0.05);

    // The event-class model went through the same gate from the confirmed tickets' lines.
    const eventClass = first.decisions.find((d) => d.model === 'event-class');
    expect(eventClass?.reason).toBeTruthy();
  });

  it('When a challenger trained on shuffled decisions is put through the gate, then it is kept out and the champion stays', async () => {
    const labels = corpus.rows.map((r) => r.decision);
    const shuffled = {
      ...corpus,
      rows: corpus.rows.map((r, i) => ({ ...r, decision: labels[(i * 7919 + 13) % labels.length] })),
    };
    const spec = DEFAULT_MODEL_SPECS.events.find((s) => s.name === 'event-decision')!;
    const bad = await trainTarget(shuffled, spec, registry());
    const champion = (await readAliases(registry(), 'event-decision')).champion;

    jobNowMs = END_MS + HOUR_MS;
    const run = await retraining.run({ kind: 'user', actor: 'alice' }, { 'event-decision': bad.manifest.version });
    expect(run.decisions).toHaveLength(1);
    expect(run.decisions[0]).toMatchObject({ model: 'event-decision', outcome: 'kept' });
    expect(run.decisions[0].reason).toMatch(/does not beat the champion/);
    expect((await readAliases(registry(), 'event-decision')).champion).toBe(champion);
  });

  it('When the runs are over, then aiops_models holds both holdout evaluations and both decisions, and the audit trail every step', async () => {
    const rows = async (q: string) => (await client.query(database, q))[0]?.rows ?? [];
    const holdout = await rows(
      `SELECT "f1", "holdout_size" FROM "aiops_models" WHERE "model" = 'event-decision' AND "source" = 'holdout' AND "segment" = 'all'`
    );
    expect(holdout.length).toBeGreaterThanOrEqual(4);
    const decisions = await rows(
      `SELECT "decision", "reason" FROM "aiops_models" WHERE "model" = 'event-decision' AND "source" = 'decision'`
    );
    expect(decisions.map((d) => d.decision)).toEqual(['promoted', 'kept']);
    const segments = await rows(
      `SELECT "accuracy" FROM "aiops_models" WHERE "model" = 'event-decision' AND "source" = 'holdout' AND "segment" =~ /^device_kind=/`
    );
    expect(segments.length).toBeGreaterThan(0);
    const actions = audit.filter((e) => e.target.startsWith('model:event-decision')).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['model.challenger', 'model.promote', 'model.retrain']));
  });
});
