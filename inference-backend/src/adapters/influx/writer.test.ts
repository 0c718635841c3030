import type { SeriesPoint } from '../../domain/series';
import type { InfluxClient } from './client';
import { InfluxError } from './errors';
import { InfluxWriter, type RejectedLine } from './writer';

/** A client whose requests complete only when the test says so, counting how many run at once. */
function slowClient() {
  let running = 0;
  const seen = { maxRunning: 0, stored: [] as string[] };
  const waiting: Array<() => void> = [];
  const client = {
    writeLines: async (_db: string, lines: readonly string[]) => {
      running++;
      seen.maxRunning = Math.max(seen.maxRunning, running);
      await new Promise<void>((resolve) => waiting.push(resolve));
      seen.stored.push(...lines);
      running--;
    },
  } as unknown as InfluxClient;
  const release = async () => {
    while (waiting.length || running) {
      waiting.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
  };
  return { client, seen, release };
}

const point = (i: number): SeriesPoint => ({ measurement: 'm', tags: {}, fields: { v: i }, timeUs: i });

describe('InfluxWriter ordering', () => {
  it('When a write and a flush race, then one request runs at a time and the flush resolves only after every line is stored', async () => {
    const { client, seen, release } = slowClient();
    const writer = new InfluxWriter(client, { database: 'd', batchSize: 2, onFailure: 'drop' });
    const writing = writer.write([point(1), point(2), point(3), point(4), point(5)]);
    const flushing = writer.flush();
    let flushed = false;
    void flushing.then(() => (flushed = true));
    await new Promise((r) => setImmediate(r));
    expect(flushed).toBe(false);
    await release();
    await Promise.all([writing, flushing]);
    expect(seen.maxRunning).toBe(1);
    expect(seen.stored).toHaveLength(5);
    expect(writer.queuedLines).toBe(0);
  });
});

describe('InfluxWriter refusals', () => {
  /** InfluxDB 1.x refusing every point of a shard whose field types conflict, as it says it. */
  function conflictingClient(refused: (line: string) => boolean) {
    const seen = { requests: 0, stored: [] as string[] };
    const client = {
      writeLines: async (_db: string, lines: readonly string[]) => {
        seen.requests++;
        const dropped = lines.filter(refused).length;
        seen.stored.push(...lines.filter((l) => !refused(l)));
        if (dropped > 0) {
          throw new InfluxError(
            `InfluxDB answered 400 to /write: partial write: field type conflict: input field "v" on measurement "m" is type float, already exists as type string dropped=${dropped}`,
            400,
            false
          );
        }
      },
    } as unknown as InfluxClient;
    return { client, seen };
  }

  const deadLetter = () => {
    const recorded: RejectedLine[] = [];
    return { recorded, sink: { record: async (entries: readonly RejectedLine[]) => void recorded.push(...entries) } };
  };

  it('When InfluxDB says it dropped every point of a batch, then the whole batch is dead-lettered after one request', async () => {
    const { client, seen } = conflictingClient(() => true);
    const dead = deadLetter();
    const writer = new InfluxWriter(client, {
      database: 'd',
      batchSize: 500,
      onFailure: 'drop',
      deadLetter: dead.sink,
    });
    await writer.write(Array.from({ length: 500 }, (_, i) => point(i)));
    await writer.flush();
    expect(seen.requests).toBe(1);
    expect(dead.recorded).toHaveLength(500);
    expect(dead.recorded[0].reason).toMatch(/dropped=500/);
  });

  it('When InfluxDB dropped some points of a batch, then the halves are tried until exactly those are dead-lettered', async () => {
    const { client, seen } = conflictingClient((line) => / 7$| 300$/.test(line));
    const dead = deadLetter();
    const writer = new InfluxWriter(client, {
      database: 'd',
      batchSize: 500,
      onFailure: 'drop',
      deadLetter: dead.sink,
    });
    await writer.write(Array.from({ length: 500 }, (_, i) => point(i)));
    await writer.flush();
    expect(dead.recorded.map((r) => r.line).sort()).toEqual(['m v=300 300', 'm v=7 7']);
    expect(new Set(seen.stored).size).toBe(498);
    // Bisection: a few requests per refused point, far fewer than one per line.
    expect(seen.requests).toBeLessThan(40);
  });
});
