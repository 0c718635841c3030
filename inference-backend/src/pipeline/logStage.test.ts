import { OUTPUT } from '@nocai/contract';
import { TemplateMiner, type TemplateMinerState } from '../domain/logs/templateMiner';
import type { SyslogLine } from '../domain/logs/syslogLine';
import { ruleLineClassifier } from '../services/baselineModels';
import { LogStage, type LogStageSource } from './logStage';
import { MemorySink, MemoryStore } from './memoryPorts';

const T0_US = 1_700_000_000_000_000;
const F = OUTPUT.events.fields;

/** Lines whose templates generalise as they arrive: a replay with a spoiled miner would name them differently. */
function lines(): SyslogLine[] {
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
    timeUs: T0_US + i * 1_000_000,
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

function stageOver(sink: MemorySink, store: MemoryStore): LogStage<TemplateMinerState> {
  return new LogStage<TemplateMinerState>({
    source: new ArraySource(lines()),
    sink,
    store,
    clock: { nowMs: () => T0_US / 1000 + 60_000 },
    classifier: ruleLineClassifier,
    createMiner: (state) => (state ? TemplateMiner.fromJSON(state) : new TemplateMiner()),
    options: { batchSize: 3, settleMs: 0, startLookbackMs: 60_000, idleAdvanceMs: 60_000 },
  });
}

async function drain(stage: LogStage<TemplateMinerState>, failures: { atTick: number; sink: MemorySink }[] = []) {
  for (let tick = 1; tick < 100; tick++) {
    for (const f of failures) if (f.atTick === tick) f.sink.failNextFlush = true;
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
});
