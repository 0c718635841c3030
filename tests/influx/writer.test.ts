import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeadLetterFile } from '../../inference-backend/src/adapters/files/deadLetterFile';
import { InfluxClient } from '../../inference-backend/src/adapters/influx';
import { DirectWriter, InfluxWriter, type RejectedLine } from '../../inference-backend/src/adapters/influx/writer';
import type { SeriesPoint } from '../../inference-backend/src/domain/series';
import { FaultProxy } from '../support/faultProxy';
import { freshDatabase, testInfluxUrl } from '../support/influx';

const point = (i: number, v: number | string, measurement = 'm'): SeriesPoint => ({
  measurement,
  tags: { host: `h${i % 4}` },
  fields: { v },
  timeUs: 1_700_000_000_000_000 + i,
});

const countOf = async (client: InfluxClient, database: string, measurement = 'm') =>
  Number((await client.query(database, `SELECT count(v) FROM "${measurement}"`))[0]?.rows[0]?.count ?? 0);

describe('the pipeline writer against a real influxd', () => {
  it('When 3 points of a 200-point batch conflict, then exactly those 3 are dead-lettered with the reason and the other 197 are stored', async () => {
    const { client, database } = await freshDatabase('bisect');
    await client.writeLines(database, ['m v=1 1']);
    const dir = mkdtempSync(join(tmpdir(), 'nocai-dl-'));
    const rejected: RejectedLine[] = [];
    const writer = new InfluxWriter(client, {
      database,
      batchSize: 200,
      onFailure: 'drop',
      deadLetter: new DeadLetterFile(dir),
      onRejected: (r) => rejected.push(...r),
    });
    const bad = new Set([17, 101, 199]);
    await writer.write(Array.from({ length: 200 }, (_, i) => point(i, bad.has(i) ? `text ${i}` : i)));
    await writer.flush();

    expect(await countOf(client, database)).toBe(1 + 197);
    const lines = readFileSync(join(dir, 'dead-letter.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as RejectedLine);
    const refusedValues = lines.map((l) => /v="(text \d+)"/.exec(l.line)?.[1]).sort();
    expect(refusedValues).toEqual(['text 101', 'text 17', 'text 199']);
    expect(lines.every((l) => /field type conflict/.test(l.reason) && l.measurement === 'm' && l.database === database)).toBe(true);
    expect(rejected).toHaveLength(3);
  });

  it('When InfluxDB was down for a flush, then that flush fails and the next one, once it is back, succeeds', async () => {
    const { database } = await freshDatabase('recover');
    const proxy = await FaultProxy.start(testInfluxUrl());
    try {
      const client = new InfluxClient({ url: proxy.url }, { maxRetries: 1, initialDelayMs: 10, maxDelayMs: 10 });
      const writer = new InfluxWriter(client, { database, batchSize: 100, onFailure: 'drop' });
      await proxy.down();
      await writer.write([point(1, 1)]);
      await expect(writer.flush()).rejects.toThrow(/Cannot reach InfluxDB/);
      // Dropped, not kept: the pipeline replays its batch from the watermark.
      expect(writer.queuedLines).toBe(0);
      await proxy.up();
      await writer.write([point(1, 1), point(2, 2)]);
      await writer.flush();
      expect(await countOf(client, database)).toBe(2);
    } finally {
      await proxy.stop();
    }
  });

  it('When a background flush failed, then the next flush reports it once and later flushes succeed', async () => {
    const { database } = await freshDatabase('unreported');
    const proxy = await FaultProxy.start(testInfluxUrl());
    try {
      const client = new InfluxClient({ url: proxy.url }, { maxRetries: 0, initialDelayMs: 10, maxDelayMs: 10 });
      const writer = new InfluxWriter(client, { database, batchSize: 1, onFailure: 'drop' });
      await proxy.down();
      // A full batch is sent at once by write(): its failure waits for the next flush.
      await writer.write([point(1, 1)]);
      await proxy.up();
      await expect(writer.flush()).rejects.toThrow(/Cannot reach InfluxDB/);
      await writer.write([point(2, 2)]);
      await writer.flush();
      expect(await countOf(client, database)).toBe(1);
    } finally {
      await proxy.stop();
    }
  });
});

describe('the API writer against a real influxd', () => {
  it('When one caller writes a refused point, then only that caller fails and concurrent callers are stored', async () => {
    const { client, database } = await freshDatabase('direct');
    await client.writeLines(database, ['m v=1 1']);
    const writer = new DirectWriter(client, { database });
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => writer.write([point(i, i === 7 ? 'conflict' : i)]))
    );
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [i] : []));
    expect(failed).toEqual([7]);
    const reason = (results[7] as PromiseRejectedResult).reason as Error;
    expect(reason.message).toMatch(/field type conflict/);
    expect(await countOf(client, database)).toBe(1 + 19);
  });
});

describe('the dead-letter file', () => {
  it('When it grows past its size, then it rotates and keeps only the newest files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nocai-rotate-'));
    const file = new DeadLetterFile(dir, { maxBytes: 2000, keepFiles: 2 });
    for (let i = 0; i < 60; i++) {
      await file.record([{ database: 'd', measurement: 'm', reason: 'field type conflict', line: `m v="${i}" ${i}` }]);
    }
    expect(readdirSync(dir).sort()).toEqual(['dead-letter.1.jsonl', 'dead-letter.2.jsonl', 'dead-letter.jsonl']);
    const newest = readFileSync(join(dir, 'dead-letter.jsonl'), 'utf8');
    expect(newest).toContain('m v=\\"59\\" 59');
    for (const name of readdirSync(dir)) expect(readFileSync(join(dir, name)).length).toBeLessThanOrEqual(2000);
  });
});
