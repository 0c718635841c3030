import type { Ticket } from '@nocai/contract';
import { DEFAULT_MODEL_ROLES, type Verdict } from '../domain/mlops/productionAccuracy';
import { SERVED_MODELS } from '../services/onnxModels';
import { AccuracyStage, DEFAULT_ACCURACY_STAGE_OPTIONS, type AccuracyRunInfo } from './accuracyStage';
import { MemorySink } from './memoryPorts';
import { sampleTicket } from '../domain/tickets/ticketFixture';

const HOUR = 3_600_000;
const START = Date.UTC(2024, 4, 20, 12);

function lineTicket(id: string, version: string): Ticket {
  return sampleTicket({
    id,
    openedAtMs: START - 2 * HOUR,
    updatedAtMs: START - 2 * HOUR,
    source: 'logs',
    title: 'link down',
    eventClass: 'network',
    department: 'network_ops',
    host: 'sw-1',
    deviceKind: 'switch',
    mttrP50Seconds: 600,
    mttrP90Seconds: 1200,
    modelVersion: `event-class@${version}+event-decision@${version}`,
  });
}

function setup(options: Partial<typeof DEFAULT_ACCURACY_STAGE_OPTIONS> = {}) {
  let nowMs = START;
  const tickets = [...Array.from({ length: 25 }, (_, i) => lineTicket(`A-${i}`, 'v2')), lineTicket('B-0', 'v1')];
  const verdicts: Verdict[] = tickets.map((t, i) => ({
    ticketId: t.id,
    verdict: i % 5 === 0 ? 'invalid' : 'avoided',
    atMs: START - HOUR,
  }));
  const reads: number[] = [];
  const runs: AccuracyRunInfo[] = [];
  const sink = new MemorySink();
  const stage = new AccuracyStage({
    tickets: { all: () => tickets },
    readVerdicts: async (sinceMs) => {
      reads.push(sinceMs);
      return verdicts;
    },
    aliases: async (model) => (model === 'event-decision' ? { champion: 'v2', challenger: 'v3' } : {}),
    sink,
    clock: { nowMs: () => nowMs },
    options: { ...DEFAULT_ACCURACY_STAGE_OPTIONS, ...options },
    hooks: { onRun: (info) => runs.push(info) },
  });
  return { stage, sink, reads, runs, advance: (ms: number) => (nowMs += ms) };
}

describe('AccuracyStage', () => {
  it('When the stage ticks, then it runs at once, then again only once the interval has passed', async () => {
    const { stage, runs, reads, advance } = setup();
    expect(await stage.tick()).toBeGreaterThan(0);
    expect(reads).toEqual([START - DEFAULT_ACCURACY_STAGE_OPTIONS.windowMs]);
    advance(HOUR - 1);
    expect(await stage.tick()).toBe(0);
    advance(1);
    expect(await stage.tick()).toBeGreaterThan(0);
    expect(runs.map((r) => r.reason)).toEqual(['start', 'schedule']);
  });

  it('When a run is asked for, then it happens whatever the schedule, and two asks at once share one run', async () => {
    const { stage, reads } = setup();
    const [a, b] = await Promise.all([stage.runNow(), stage.runNow()]);
    expect(a).toBe(b);
    expect(a.reason).toBe('requested');
    expect(reads).toHaveLength(1);
  });

  it('When versions are scored, then each point carries the alias the registry gives that version, and thin figures are counted', async () => {
    const { stage, sink } = setup();
    const info = await stage.runNow();
    const all = sink.points.filter((p) => p.tags.segment === 'all' && p.tags.model === 'event-decision');
    expect(
      all.map((p) => [p.tags.version, p.tags.alias, p.tags.source, p.fields.precision, p.fields.holdout_size])
    ).toEqual([
      ['v1', 'none', 'production', 0, 1],
      ['v2', 'champion', 'production', 0.8, 25],
    ]);
    expect(all[1].fields).toMatchObject({ avoided_count: 20, invalid_count: 5, valid_count: 0 });
    expect(all.every((p) => p.timeUs === START * 1000)).toBe(true);
    // event-class and event-decision, v1 and v2; the two v1 figures rest on 1 verdict.
    expect(info).toMatchObject({ models: 4, tooFewVerdicts: 2, verdicts: 26, unmatchedVerdicts: 0 });
  });

  it('When InfluxDB refuses the write, then the run fails and the next tick retries it', async () => {
    const { stage, sink } = setup();
    sink.failNextFlush = true;
    await expect(stage.tick()).rejects.toThrow('InfluxDB is down');
    expect(await stage.tick()).toBeGreaterThan(0);
    expect(sink.points.length).toBeGreaterThan(0);
  });

  it('When the served models are named, then the production roles use the same names', () => {
    const named = new Set([
      ...DEFAULT_MODEL_ROLES.alert,
      ...Object.keys(DEFAULT_MODEL_ROLES.routing),
      ...DEFAULT_MODEL_ROLES.duration,
    ]);
    expect([...named].sort()).toEqual(Object.values(SERVED_MODELS).sort());
  });
});
