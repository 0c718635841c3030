import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as connectTcp, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import type { Server } from 'node:http';
import { generate } from 'selfsigned';
import { Agent, fetch as fetchWith } from 'undici';
import { createApp } from '../../inference-backend/src/adapters/http/app';
import { createHttpServer } from '../../inference-backend/src/adapters/http/server';
import { InfluxClient } from '../../inference-backend/src/adapters/influx';
import type { EventsRepository } from '../../inference-backend/src/adapters/influx/eventsRepository';
import type { SeriesRepository } from '../../inference-backend/src/adapters/influx/seriesRepository';
import { createLogger } from '../../inference-backend/src/adapters/logger';
import { Metrics } from '../../inference-backend/src/adapters/metrics/metrics';
import { ConfigError, loadConfig } from '../../inference-backend/src/config';
import type { TicketService } from '../../inference-backend/src/services/ticketService';
import { testInfluxUrl } from '../support/influx';

/** A private CA and a server certificate it signed for 127.0.0.1 and localhost, as files. */
async function certificates(dir: string, name: string) {
  const ca = await generate([{ name: 'commonName', value: `${name} test CA` }], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  const server = await generate([{ name: 'commonName', value: 'localhost' }], {
    keySize: 2048,
    algorithm: 'sha256',
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  });
  const files = {
    ca: join(dir, `${name}-ca.pem`),
    cert: join(dir, `${name}-cert.pem`),
    key: join(dir, `${name}-key.pem`),
  };
  writeFileSync(files.ca, ca.cert);
  writeFileSync(files.cert, server.cert);
  writeFileSync(files.key, server.private);
  return { files, caPem: ca.cert, cert: server.cert, key: server.private };
}

const BOOTSTRAP = 'transport-test-token';
let dir: string;
let api: Awaited<ReturnType<typeof certificates>>;
let influxCerts: Awaited<ReturnType<typeof certificates>>;
let otherCa: Awaited<ReturnType<typeof certificates>>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nocai-tls-'));
  [api, influxCerts, otherCa] = await Promise.all([
    certificates(dir, 'api'),
    certificates(dir, 'influx'),
    certificates(dir, 'other'),
  ]);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('HTTPS for the API (NOCAI_TLS_CERT, NOCAI_TLS_KEY)', () => {
  it('When a certificate and its key are configured, then the API answers /healthz over HTTPS to a client trusting the CA, and not over plain HTTP', async () => {
    const config = loadConfig({
      NOCAI_API_TOKEN: BOOTSTRAP,
      NOCAI_TLS_CERT: api.files.cert,
      NOCAI_TLS_KEY: api.files.key,
    });
    const app = createApp({
      logger: createLogger('silent'),
      metrics: new Metrics(),
      clock: { nowMs: () => Date.now() },
      events: {} as EventsRepository,
      series: {} as SeriesRepository,
      tickets: {} as TicketService,
      checkInflux: async () => undefined,
      auth: { apiToken: BOOTSTRAP, allowAnonymous: false },
      limits: config.http.limits,
      https: config.http.transport.tls !== undefined,
    });
    const server: Server = createHttpServer(app, config.http.transport);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const trusting = new Agent({ connect: { ca: api.caPem } });
    try {
      const response = await fetchWith(`https://127.0.0.1:${port}/healthz`, { dispatcher: trusting });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: 'ok' });
      expect(response.headers.get('strict-transport-security')).toContain('max-age=');

      // A client that does not trust the CA refuses the server; a plain HTTP request gets no answer.
      await expect(fetchWith(`https://127.0.0.1:${port}/healthz`)).rejects.toThrow();
      await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
    } finally {
      await trusting.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('When a TLS file is missing, unreadable as PEM, alone, or not the key of the certificate, then the start is refused with one sentence naming the setting', () => {
    const base = { NOCAI_API_TOKEN: BOOTSTRAP };
    const missing = join(dir, 'nowhere.pem');
    expect(() => loadConfig({ ...base, NOCAI_TLS_CERT: missing, NOCAI_TLS_KEY: api.files.key })).toThrow(
      new ConfigError(`NOCAI_TLS_CERT: cannot read ${missing} (ENOENT)`)
    );
    const notPem = join(dir, 'not.pem');
    writeFileSync(notPem, 'hello');
    expect(() => loadConfig({ ...base, NOCAI_TLS_CERT: api.files.cert, NOCAI_TLS_KEY: notPem })).toThrow(
      new ConfigError(`NOCAI_TLS_KEY: ${notPem} is not a PEM file (no -----BEGIN line)`)
    );
    expect(() => loadConfig({ ...base, NOCAI_TLS_CERT: api.files.cert })).toThrow(
      new ConfigError('NOCAI_TLS_CERT and NOCAI_TLS_KEY go together: set both files for HTTPS, or neither for HTTP')
    );
    expect(() => loadConfig({ ...base, NOCAI_TLS_CERT: api.files.cert, NOCAI_TLS_KEY: otherCa.files.key })).toThrow(
      /^NOCAI_TLS_CERT and NOCAI_TLS_KEY \(.*\) cannot serve HTTPS: .*key values mismatch/
    );
    expect(() => loadConfig({ ...base, INFLUX_CA: missing })).toThrow(
      new ConfigError(`INFLUX_CA: cannot read ${missing} (ENOENT)`)
    );
  });
});

describe('InfluxDB over HTTPS with a private CA (INFLUX_CA)', () => {
  let proxy: TlsServer;
  let proxyUrl: string;
  /** Connections whose TLS handshake completed and which were passed on to influxd. */
  let forwarded = 0;

  beforeAll(async () => {
    const target = new URL(testInfluxUrl());
    proxy = createTlsServer({ cert: influxCerts.cert, key: influxCerts.key }, (client) => {
      forwarded += 1;
      const upstream = connectTcp(Number(target.port), target.hostname);
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    // A client that refuses the certificate aborts the handshake: that is its answer, not the proxy's failure.
    proxy.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    proxyUrl = `https://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => proxy.close(resolve)));

  it('When INFLUX_CA is not given, then the backend refuses the certificate, says to set INFLUX_CA, and nothing reaches InfluxDB', async () => {
    const before = forwarded;
    const config = loadConfig({ NOCAI_API_TOKEN: BOOTSTRAP, INFLUX_URL: proxyUrl });
    const client = new InfluxClient(
      { url: config.influx.url, ca: config.influx.ca },
      { maxRetries: 0, initialDelayMs: 1, maxDelayMs: 1 }
    );
    await expect(client.ping()).rejects.toThrow(/set INFLUX_CA to the CA certificate that signed it/);
    expect(forwarded).toBe(before);
  });

  it('When INFLUX_CA names another CA, then the certificate is refused just the same', async () => {
    const before = forwarded;
    const config = loadConfig({ NOCAI_API_TOKEN: BOOTSTRAP, INFLUX_URL: proxyUrl, INFLUX_CA: otherCa.files.ca });
    const client = new InfluxClient(
      { url: config.influx.url, ca: config.influx.ca },
      { maxRetries: 0, initialDelayMs: 1, maxDelayMs: 1 }
    );
    await expect(client.ping()).rejects.toThrow(/INFLUX_CA/);
    expect(forwarded).toBe(before);
  });

  it('When INFLUX_CA names the CA that signed InfluxDB’s certificate, then points are written and read back through TLS', async () => {
    const config = loadConfig({ NOCAI_API_TOKEN: BOOTSTRAP, INFLUX_URL: proxyUrl, INFLUX_CA: influxCerts.files.ca });
    const client = new InfluxClient({ url: config.influx.url, ca: config.influx.ca });
    const database = `tls_${Date.now().toString(36)}`;
    await client.ping();
    await client.createDatabase(database);
    await client.writeLines(database, ['tls_check,host=r1 value=42i 1700000000000000']);
    const series = await client.query(database, 'SELECT "value" FROM "tls_check"');
    expect(series[0].rows).toEqual([{ time: 1700000000000000, value: 42 }]);
    expect(forwarded).toBeGreaterThan(0);
  });
});
