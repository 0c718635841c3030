import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GroundTruthEvent, GroundTruthIncident } from '@nocai/contract';
import { createLineProtocolFileSink } from '../adapters/files/lineProtocolFileSink';
import type { Clock, PointSink, SeriesPoint } from '../domain/series';
import { HOUR_US, MINUTE_US, SECOND_US } from './calendar';
import { runBackfill, startLive } from './runner';
import type { TruthSink } from './runner';

const END_US = Date.UTC(2024, 4, 31) * 1000;

class CountingSink implements PointSink {
  points = 0;
  flushed = 0;
  minUs = Infinity;
  maxUs = -Infinity;
  async write(points: readonly SeriesPoint[]): Promise<void> {
    this.points += points.length;
    for (const p of points) {
      if (p.timeUs < this.minUs) this.minUs = p.timeUs;
      if (p.timeUs > this.maxUs) this.maxUs = p.timeUs;
    }
  }
  async flush(): Promise<void> {
    this.flushed++;
  }
  async close(): Promise<void> {}
}

class MemoryTruth implements TruthSink {
  incidents: GroundTruthIncident[] = [];
  events = 0;
  async writeIncidents(incidents: readonly GroundTruthIncident[]): Promise<void> {
    this.incidents.push(...incidents);
  }
  async writeEvents(events: readonly GroundTruthEvent[]): Promise<void> {
    this.events += events.length;
  }
}

describe('runBackfill', () => {
  it('When 30 days are generated with the default inventory, then there are well over a million points', async () => {
    const sink = new CountingSink();
    const result = await runBackfill({ seed: 42, days: 30, endUs: END_US }, sink);
    expect(result.points).toBeGreaterThanOrEqual(1_000_000);
    expect(sink.points).toBe(result.points);
    expect(result.syslogLines).toBeGreaterThan(100_000);
    expect(result.incidents).toBeGreaterThan(20);
    expect(sink.minUs).toBeGreaterThanOrEqual(END_US - 30 * 24 * HOUR_US);
    expect(sink.maxUs).toBeLessThan(END_US + MINUTE_US);
    expect(result.completed).toBe(true);
  }, 300_000);

  it('When backfilling into a line-protocol file, then every point becomes one line and truth matches the syslog lines', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nocai-backfill-'));
    try {
      const file = join(dir, 'out.lp');
      const sink = await createLineProtocolFileSink(file);
      const truth = new MemoryTruth();
      const progress: number[] = [];
      const result = await runBackfill({ seed: 1, days: 0.25, endUs: END_US, truth }, sink, (p) =>
        progress.push(p.points)
      );
      await sink.close();
      const lines = (await readFile(file, 'utf8')).trimEnd().split('\n');
      expect(lines).toHaveLength(result.points);
      expect(lines.filter((l) => l.startsWith('syslog,'))).toHaveLength(result.syslogLines);
      expect(truth.events).toBe(result.syslogLines);
      expect(progress[progress.length - 1]).toBe(result.points);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('When a reader follows it, then every slice is flushed before the reader is told how far it is stored', async () => {
    const sink = new CountingSink();
    const told: Array<{ untilUs: number; flushes: number }> = [];
    await runBackfill(
      { seed: 1, days: 0.25, endUs: END_US, onFlushed: (untilUs) => told.push({ untilUs, flushes: sink.flushed }) },
      sink
    );
    expect(told.map((t) => t.untilUs)).toEqual([1, 2, 3, 4, 5, 6].map((h) => END_US - 6 * HOUR_US + h * HOUR_US));
    told.forEach((t, i) => expect(t.flushes).toBe(i + 1));
  });

  it('When stopped through its signal, then it finishes the batch in hand, flushes and reports an incomplete run', async () => {
    const controller = new AbortController();
    const sink = new CountingSink();
    const write = sink.write.bind(sink);
    sink.write = async (points) => {
      await write(points);
      controller.abort();
    };
    const result = await runBackfill({ seed: 1, days: 2, endUs: END_US, signal: controller.signal }, sink);
    expect(result.completed).toBe(false);
    expect(result.endUs - result.startUs).toBe(HOUR_US);
    expect(sink.flushed).toBe(1);
  });
});

/** Polls until `probe` holds; the live loop runs on timers, so tests wait on what it did, never on durations. */
async function until(probe: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('startLive', () => {
  it('When past time is replayed at 60×, then it plays faster until it meets the wall clock, never past it, then runs in real time', async () => {
    let nowMs = END_US / 1000;
    const clock: Clock = { nowMs: () => nowMs };
    const sink = new CountingSink();
    const live = startLive(
      { seed: 3, clock, speed: 60, startUs: END_US - 30 * MINUTE_US, replayUs: 30 * MINUTE_US, tickMs: 5 },
      sink
    );
    expect(live.stats().originUs).toBe(END_US - 30 * MINUTE_US);

    nowMs += 15_000; // 15 real seconds at 60×: a quarter of an hour simulated, still in the past
    await until(() => live.stats().flushedUntilUs === END_US - 15 * MINUTE_US, 'the first quarter of an hour');
    nowMs += 45_000; // 60× would reach END_US + 30 min, but the wall clock is only a minute past END_US
    await until(() => live.stats().flushedUntilUs === END_US + 60 * SECOND_US, 'catching up with the wall clock');
    nowMs += 10_000; // caught up: real time from now on
    await until(() => live.stats().flushedUntilUs === END_US + 70 * SECOND_US, 'ten seconds in real time');
    await live.stop();

    expect(sink.minUs).toBeGreaterThanOrEqual(END_US - 30 * MINUTE_US);
    expect(sink.maxUs).toBeLessThan(END_US + 70 * SECOND_US);
    expect(live.stats().points).toBe(sink.points);
  });

  it('When started behind the wall clock in real time, then the gap is written at once and no point is dated after now', async () => {
    const nowMs = END_US / 1000;
    const sink = new CountingSink();
    const live = startLive(
      { seed: 3, clock: { nowMs: () => nowMs }, speed: 30, startUs: END_US - 10 * MINUTE_US, tickMs: 5 },
      sink
    );
    await until(() => live.stats().flushedUntilUs === END_US, 'the catch-up');
    await live.stop();
    expect(sink.maxUs).toBeLessThan(END_US);
    expect(live.stats().simulatedUntilUs).toBe(END_US);
  });

  it('When a batch is generated, then it is flushed before its end counts as written', async () => {
    let nowMs = END_US / 1000;
    const sink = new CountingSink();
    const flushedAt: number[] = [];
    const flush = sink.flush.bind(sink);
    const live = startLive({ seed: 3, clock: { nowMs: () => nowMs }, tickMs: 5 }, sink);
    sink.flush = async () => {
      await flush();
      flushedAt.push(sink.points);
    };
    nowMs += 5 * 60_000;
    await until(() => live.stats().flushedUntilUs === END_US + 5 * MINUTE_US, 'five minutes written');
    expect(flushedAt.length).toBeGreaterThan(0);
    expect(flushedAt[flushedAt.length - 1]).toBe(live.stats().points);
    await live.stop();
  });

  it('When a script is given, then it sees every window before it is generated and its scenarios happen', async () => {
    let nowMs = END_US / 1000;
    const windows: Array<{ fromUs: number; toUs: number; originUs: number }> = [];
    const truth = new MemoryTruth();
    const live = startLive(
      {
        seed: 3,
        clock: { nowMs: () => nowMs },
        tickMs: 5,
        truth,
        script: {
          injectBetween(window, simulation) {
            windows.push(window);
            const atUs = window.originUs + MINUTE_US;
            if (atUs >= window.fromUs && atUs < window.toUs) {
              simulation.inject({ kind: 'crash_loop', siteKind: 'hotel', atUs, durationMinutes: 3 });
            }
          },
        },
      },
      new CountingSink()
    );
    nowMs += 3 * 60_000;
    await until(() => live.stats().flushedUntilUs === END_US + 3 * MINUTE_US, 'three minutes written');
    await live.stop();
    windows.forEach((w, i) => expect(w.fromUs).toBe(i === 0 ? END_US : windows[i - 1].toUs));
    expect(truth.incidents.map((i) => [i.kind, i.startUs])).toEqual([['crash_loop', END_US + MINUTE_US]]);
  });

  it('When a write fails, then the run ends with that error', async () => {
    const sink = new CountingSink();
    sink.write = async () => {
      throw new Error('disk on fire');
    };
    let nowMs = END_US / 1000;
    const errors: Error[] = [];
    const live = startLive({ seed: 3, clock: { nowMs: () => nowMs }, tickMs: 5, onError: (e) => errors.push(e) }, sink);
    nowMs += 10_000;
    await expect(live.done).rejects.toThrow('disk on fire');
    expect(errors.map((e) => e.message)).toEqual(['disk on fire']);
    await expect(live.stop()).rejects.toThrow('disk on fire');
  });
});
