import type { SeriesPoint } from '../../domain/series';
import type { InfluxClient } from './client';
import { InfluxWriter } from './writer';

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
