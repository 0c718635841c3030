import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InfluxClient, InfluxError, InfluxWriter, quoteIdentifier, quoteString } from '../../inference-backend/src/adapters/influx';
import { freePort, startLocalInfluxd } from '../../inference-backend/src/adapters/influx/localServer';
import type { SeriesPoint } from '../../inference-backend/src/domain/series';
import { freshDatabase } from '../support/influx';
import { waitFor } from '../support/wait';

const HOSTILE = [
  'plain',
  'with space',
  'comma,inside',
  'equals=sign',
  'double "quotes"',
  "single 'quotes'",
  'new\nline',
  'back\\slash',
  'Ünïcødé — 東京 ✓',
  "x' OR hostname =~ /.*/ --",
];

describe('InfluxDB adapter against a real influxd', () => {
  it('When tags and fields hold spaces, commas, equals signs, quotes, newlines and non-ASCII, then they read back unchanged', async () => {
    const { client, database } = await freshDatabase('escape');
    const writer = new InfluxWriter(client, { database, batchSize: 100 });
    const base = 1_700_000_000_000_000;
    const points: SeriesPoint[] = HOSTILE.map((text, i) => ({
      measurement: 'weird measurement,name',
      // Newlines cannot be represented in a tag value by line protocol; fields carry them.
      tags: { 'tag key=1': text.replace(/\n/g, ' '), idx: String(i) },
      fields: { 'field "key"': text, n: i },
      timeUs: base + i,
    }));
    await writer.write(points);
    await writer.flush();

    const series = await client.query(
      database,
      `SELECT * FROM ${quoteIdentifier('weird measurement,name')} ORDER BY time`
    );
    const rows = series[0].rows;
    expect(rows).toHaveLength(HOSTILE.length);
    rows.forEach((row, i) => {
      expect(row['field "key"']).toBe(HOSTILE[i]);
      expect(row['tag key=1']).toBe(HOSTILE[i].replace(/\n/g, ' '));
      expect(row.time).toBe(base + i);
    });
  });

  it('When a filter value is an InfluxQL injection attempt, then it matches only itself', async () => {
    const { client, database } = await freshDatabase('inject');
    await client.writeLines(database, ['m,hostname=a v=1 1000000', 'm,hostname=b v=2 2000000']);
    for (const attempt of HOSTILE.slice(1)) {
      const rows = await client.query(database, `SELECT v FROM m WHERE hostname = ${quoteString(attempt)}`);
      expect(rows).toEqual([]);
    }
    const drop = `a'; DROP DATABASE ${database}; SELECT '1`;
    await client.query(database, `SELECT v FROM m WHERE hostname = ${quoteString(drop)}`);
    const all = await client.query(database, `SELECT v FROM m WHERE hostname = ${quoteString('a')}`);
    expect(all[0].rows.map((r) => r.v)).toEqual([1]);
    const dbs = await client.query(undefined, 'SHOW DATABASES');
    expect(dbs[0].rows.map((r) => r.name)).toContain(database);
  });

  it('When a write is refused (field type conflict, unknown database), then the error carries InfluxDB\'s message and is not retried', async () => {
    const { client, database } = await freshDatabase('refuse');
    await client.writeLines(database, ['m v=1 1000000']);
    await expect(client.writeLines(database, ['m v="text" 2000000'])).rejects.toMatchObject({
      status: 400,
      retryable: false,
      message: expect.stringContaining('field type conflict'),
    });
    await expect(client.writeLines('no_such_db_here', ['m v=1 1'])).rejects.toMatchObject({
      status: 404,
      message: expect.stringContaining('database not found'),
    });
    await expect(client.query(database, 'SELEKT nonsense')).rejects.toThrow(/error parsing query/);
  });

  it('When the writer is refused, then the lines stay queued and the error reaches the caller', async () => {
    const { client, database } = await freshDatabase('queued');
    await client.writeLines(database, ['m v=1 1000000']);
    const writer = new InfluxWriter(client, { database, batchSize: 10 });
    await writer.write([{ measurement: 'm', tags: {}, fields: { v: 'text' }, timeUs: 3 }]);
    await expect(writer.flush()).rejects.toThrow(/field type conflict/);
    expect(writer.queuedLines).toBe(1);
  });

  it('When points arrive, then the writer flushes full batches at once and the rest after its interval', async () => {
    const { client, database } = await freshDatabase('batches');
    const sent: number[] = [];
    const writer = new InfluxWriter(client, {
      database,
      batchSize: 3,
      flushIntervalMs: 300,
      onWritten: (lines) => sent.push(lines),
    });
    const points = Array.from({ length: 7 }, (_, i) => ({ measurement: 'm', tags: {}, fields: { v: i }, timeUs: 1000 + i }));
    await writer.write(points);
    expect(sent).toEqual([3, 3]);
    const count = async () => (await client.query(database, 'SELECT count(v) FROM m'))[0]?.rows[0]?.count;
    expect(await count()).toBe(6);
    // The timer flushes the rest on its own: waited on, not slept for.
    await waitFor(async () => (sent.length === 3 ? true : undefined), 60_000, 'the timed flush');
    expect(sent).toEqual([3, 3, 1]);
    expect(await count()).toBe(7);
  });

  it('When a retention policy is created, then InfluxDB lists it as the default', async () => {
    const { client, database } = await freshDatabase('rp');
    await client.createRetentionPolicy(database, 'thirty days', '30d', { makeDefault: true });
    const rps = await client.query(database, `SHOW RETENTION POLICIES ON ${quoteIdentifier(database)}`);
    const rp = rps[0].rows.find((r) => r.name === 'thirty days');
    expect(rp).toMatchObject({ duration: '720h0m0s', default: true });
  });

  it('When InfluxDB requires authentication, then user/password works and a wrong password gets a clear sentence', async () => {
    const server = await startLocalInfluxd({ env: { INFLUXDB_HTTP_AUTH_ENABLED: 'true' } });
    try {
      await new InfluxClient({ url: server.url }).query(undefined, "CREATE USER admin WITH PASSWORD 's3cr:et' WITH ALL PRIVILEGES");
      const good = new InfluxClient({ url: server.url, username: 'admin', password: 's3cr:et' });
      await good.createDatabase('authdb');
      await good.writeLines('authdb', ['m v=1 1000000']);
      expect((await good.query('authdb', 'SELECT v FROM m'))[0].rows[0].v).toBe(1);
      const bad = new InfluxClient({ url: server.url, username: 'admin', password: 'nope' });
      await expect(bad.query('authdb', 'SELECT v FROM m')).rejects.toMatchObject({
        status: 401,
        message: expect.stringMatching(/refused the credentials: authorization failed/),
      });
    } finally {
      await server.stop();
    }
  });
});

describe('InfluxDB client retries', () => {
  async function flakyServer(failures: number, status: number) {
    const seen: IncomingHttpHeaders[] = [];
    const server = createServer((req, res) => {
      seen.push(req.headers);
      req.resume();
      if (seen.length <= failures) {
        res.writeHead(status, { 'Content-Type': 'application/json' }).end('{"error":"overloaded"}');
      } else res.writeHead(204).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return { url, seen, close: () => new Promise((r) => server.close(r)) };
  }
  const fastRetry = { maxRetries: 3, initialDelayMs: 1, maxDelayMs: 2 };

  it('When InfluxDB answers 503 twice, then the write is retried and succeeds, sending the API token', async () => {
    const server = await flakyServer(2, 503);
    try {
      await new InfluxClient({ url: server.url, token: 'tok' }, fastRetry).writeLines('db', ['m v=1 1']);
      expect(server.seen).toHaveLength(3);
      expect(server.seen[0].authorization).toBe('Token tok');
    } finally {
      await server.close();
    }
  });

  it('When InfluxDB keeps failing, then the caller gets the error after the last retry', async () => {
    const server = await flakyServer(100, 500);
    try {
      const err = await new InfluxClient({ url: server.url }, fastRetry).writeLines('db', ['m v=1 1']).catch((e) => e);
      expect(err).toBeInstanceOf(InfluxError);
      expect(err.message).toMatch(/500 .*overloaded/);
      expect(server.seen).toHaveLength(4);
    } finally {
      await server.close();
    }
  });

  it('When a 400 comes back, then it is not retried', async () => {
    const server = await flakyServer(100, 400);
    try {
      await expect(new InfluxClient({ url: server.url }, fastRetry).writeLines('db', ['m v=1 1'])).rejects.toThrow(/overloaded/);
      expect(server.seen).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  it('When nothing listens, then the error says InfluxDB cannot be reached', async () => {
    const port = await freePort();
    const client = new InfluxClient({ url: `http://127.0.0.1:${port}`, timeoutMs: 500 }, fastRetry);
    await expect(client.ping()).rejects.toThrow(`Cannot reach InfluxDB at http://127.0.0.1:${port}: ECONNREFUSED`);
  });
});
