import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GroundTruthEvent, GroundTruthIncident } from '@nocai/contract';
import { createLineProtocolFileSink } from '../adapters/files/lineProtocolFileSink';
import type { Clock, PointSink, SeriesPoint } from '../domain/series';
import { HOUR_US, MINUTE_US } from './calendar';
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
  }, 60_000);

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

describe('startLive', () => {
  it('When the clock advances, then it streams that much simulated time at the chosen speed, and stops cleanly', async () => {
    let nowMs = END_US / 1000;
    const clock: Clock = { nowMs: () => nowMs };
    const sink = new CountingSink();
    const live = startLive({ seed: 3, clock, speed: 60, tickMs: 5 }, sink);
    const incident = live.inject({ kind: 'brute_force', siteKind: 'hotel', durationMinutes: 5 });
    expect(incident.startUs).toBe(END_US);
    nowMs += 30_000; // 30 real seconds at 60x: half an hour simulated
    await new Promise((resolve) => setTimeout(resolve, 60));
    await live.stop();
    const stats = live.stats();
    expect(stats.simulatedUntilUs).toBe(END_US + 30 * MINUTE_US);
    expect(stats.incidents).toBe(1);
    expect(sink.points).toBeGreaterThan(1000);
    expect(sink.minUs).toBeGreaterThanOrEqual(END_US);
    expect(sink.maxUs).toBeLessThan(END_US + 30 * MINUTE_US);
    expect(sink.flushed).toBe(1);
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
