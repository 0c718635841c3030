import { OUTPUT, SILENCE_SERIES, type Inventory } from '@nocai/contract';
import type { Heartbeat } from '../domain/incidents';
import type { SeriesPoint } from '../domain/series';
import { MedianMttrBaseline } from '../services/baselineModels';
import { TemplateMiner, type TemplateMinerState } from '../domain/logs/templateMiner';
import type { SyslogLine } from '../domain/logs/syslogLine';
import { ruleLineClassifier } from '../services/baselineModels';
import { LogStage, type LineClassifier, type LogStageSource } from './logStage';
import { MemorySink, MemoryStore } from './memoryPorts';
import { TriageStep, type TriageResult, type TriageState } from './triageStep';

const T0_US = 1_700_000_000_000_000;
const F = OUTPUT.events.fields;

/** Lines whose templates generalise as they arrive: a replay with a spoiled miner would name them differently. */
function lines(spacingUs = 1_000_000): SyslogLine[] {
  const messages = [
    'link down on port 1',
    'link down on port 2',
    'user alice logged in',
    'link down on port 3',
    'user bob logged in',
    'disk sda full',
    'link up on port 1',
    'disk sdb full',
    'user carol logged in',
    'link up on port 2',
    'disk sdc full',
  ];
  return messages.map((message, i) => ({
    timeUs: T0_US + i * spacingUs,
    hostname: `host-${i % 3}`,
    appname: 'kernel',
    facility: 'kern',
    severity: 'err',
    message,
  }));
}

class ArraySource implements LogStageSource {
  constructor(private readonly all: SyslogLine[]) {}
  async read(fromUs: number, toUs: number, limit: number): Promise<SyslogLine[]> {
    return this.all.filter((l) => l.timeUs >= fromUs && l.timeUs <= toUs).slice(0, limit);
  }
}

const INVENTORY: Inventory = {
  sites: [{ id: 'site-a', name: 'Site A', kind: 'hospital', criticality: 3 }],
  devices: [0, 1, 2].map((i) => ({ host: `host-${i}`, site: 'site-a', kind: 'server' as const, dependsOn: [] })),
};

/** The incident step, made to fail once on demand (as a ticket lookup in InfluxDB would). */
class TroubledTriage extends TriageStep {
  failNextRun = false;
  override async run(
    saved: TriageState | undefined,
    events: Parameters<TriageStep['run']>[1],
    targetUs: number,
    nowMs: number
  ): Promise<TriageResult> {
    if (this.failNextRun) {
      this.failNextRun = false;
      throw new Error('InfluxDB did not answer the ticket lookup');
    }
    return super.run(saved, events, targetUs, nowMs);
  }
}

function triageOver(onRead?: (afterUs: number, toUs: number) => void): TroubledTriage {
  return new TroubledTriage({
    inventory: INVENTORY,
    // Every device reports every 10 s: the engine learns cadences from these.
    heartbeats: {
      read: async (afterUs, toUs) => {
        onRead?.(afterUs, toUs);
        const beats: Heartbeat[] = [];
        for (let t = Math.ceil((afterUs + 1) / 10_000_000) * 10_000_000; t <= toUs; t += 10_000_000) {
          for (const d of INVENTORY.devices) {
            // host-2 stops reporting after 5 minutes: a silence, until its next log line.
            if (d.host !== 'host-2' || t < T0_US + 300_000_000) beats.push({ host: d.host, timeUs: t });
          }
        }
        return beats;
      },
    },
    tickets: { findById: async () => undefined, remember: () => undefined },
    mttr: new MedianMttrBaseline([]),
    similar: () => undefined,
    eventTags: async () => undefined,
  });
}

/** With triage, the lines are two minutes apart: long enough for holds, silences and tickets. */
function stageOver(
  sink: MemorySink,
  store: MemoryStore,
  triage?: TriageStep,
  classifier: LineClassifier = ruleLineClassifier
): LogStage<TemplateMinerState> {
  const spacingUs = triage ? 120_000_000 : 1_000_000;
  const spanMs = (lines(spacingUs).length * spacingUs) / 1000 + 60_000;
  return new LogStage<TemplateMinerState>({
    triage,
    inventory: triage ? INVENTORY : undefined,
    source: new ArraySource(lines(spacingUs)),
    sink,
    store,
    clock: { nowMs: () => T0_US / 1000 + spanMs },
    classifier,
    createMiner: (state) => (state ? TemplateMiner.fromJSON(state) : new TemplateMiner()),
    options: { batchSize: 3, settleMs: 0, startLookbackMs: spanMs, idleAdvanceMs: 60_000 },
  });
}

async function drain(
  stage: LogStage<TemplateMinerState>,
  failures: { atTick: number; sink?: MemorySink; triage?: TroubledTriage }[] = []
) {
  for (let tick = 1; tick < 100; tick++) {
    for (const f of failures) {
      if (f.atTick !== tick) continue;
      if (f.sink) f.sink.failNextFlush = true;
      if (f.triage) f.triage.failNextRun = true;
    }
    let n: number;
    try {
      n = await stage.tick();
    } catch {
      continue;
    }
    if (n === 0) return;
  }
}

const byTime = (sink: MemorySink) =>
  sink.points
    .map((p) => ({ timeUs: p.timeUs, templateId: p.fields[F.templateId], template: p.fields[F.template] }))
    .sort((a, b) => a.timeUs - b.timeUs);

const inOrder = (points: SeriesPoint[]) => points.map((p) => JSON.stringify(p)).sort();

describe('LogStage', () => {
  it('When the write of a batch fails while the next page is already prepared, then the batch replays and every line gets exactly one event, named as in an uninterrupted run', async () => {
    const calm = new MemorySink();
    await drain(stageOver(calm, new MemoryStore()));

    const troubled = new MemorySink();
    await drain(stageOver(troubled, new MemoryStore()), [
      { atTick: 2, sink: troubled },
      { atTick: 4, sink: troubled },
    ]);

    expect(calm.points).toHaveLength(lines().length);
    expect(byTime(troubled)).toEqual(byTime(calm));
  });

  it('When the incident step of a batch fails while the next page is being prepared, then the batch replays and the events, tickets and silences are those of an uninterrupted run', async () => {
    const calm = new MemorySink();
    await drain(stageOver(calm, new MemoryStore(), triageOver()));

    const troubled = new MemorySink();
    const triage = triageOver();
    await drain(stageOver(troubled, new MemoryStore(), triage), [
      { atTick: 2, triage },
      { atTick: 3, sink: troubled },
    ]);

    const events = (sink: MemorySink) => sink.points.filter((p) => p.measurement === OUTPUT.events.measurement);
    expect(events(calm)).toHaveLength(lines().length);
    const kinds = new Set(calm.points.map((p) => p.measurement));
    expect(kinds).toEqual(new Set([OUTPUT.events.measurement, OUTPUT.tickets.measurement, SILENCE_SERIES.measurement]));
    expect(inOrder(troubled.points)).toEqual(inOrder(calm.points));
  });

  it('When a stage restarts from its stored state, then it goes on where the last committed batch ended', async () => {
    const store = new MemoryStore();
    const sink = new MemorySink();
    const first = stageOver(sink, store);
    expect(await first.tick()).toBeGreaterThan(0);
    expect(await first.tick()).toBeGreaterThan(0);
    // A new process: the lookahead of the first one is gone with it.
    await drain(stageOver(sink, store));

    const calm = new MemorySink();
    await drain(stageOver(calm, new MemoryStore()));
    expect(byTime(sink)).toEqual(byTime(calm));
  });

  it('When a tick reads its own page, then the heartbeats of its incident step are read while the page is classified, each window once', async () => {
    const log: string[] = [];
    const windows: Array<[number, number]> = [];
    const triage = triageOver((afterUs, toUs) => {
      log.push('heartbeats');
      windows.push([afterUs, toUs]);
    });
    const classifier: LineClassifier = {
      classifyBatch: async (inputs) => {
        log.push('classify');
        return ruleLineClassifier.classifyBatch(inputs);
      },
    };
    const sink = new MemorySink();
    await drain(stageOver(sink, new MemoryStore(), triage, classifier));

    // The first tick has no page prepared ahead: its heartbeats are asked for before it classifies.
    expect(log.slice(0, 2)).toEqual(['heartbeats', 'classify']);
    const sorted = [...windows].sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i][0]).toBeGreaterThanOrEqual(sorted[i - 1][1]);
    const calm = new MemorySink();
    await drain(stageOver(calm, new MemoryStore(), triageOver()));
    expect(inOrder(sink.points)).toEqual(inOrder(calm.points));
  });
});
