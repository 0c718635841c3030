import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, type BackendProcess } from '../support/backendProcess';
import { freshDatabase, testInfluxUrl } from '../support/influx';
import { waitFor } from '../support/wait';

const secret = (what: string) => `${what}-${randomBytes(12).toString('hex')}`;

/** Every credential the run is given or makes: none may appear anywhere in its output. */
const SECRETS = {
  apiToken: secret('api-token'),
  webhookToken: secret('webhook-token'),
  influxToken: secret('influx-token'),
  influxPassword: secret('influx-password'),
  influxUrlPassword: secret('url-password'),
  wrongToken: secret('mistyped-token'),
  basicPassword: secret('basic-password'),
};

/** A JWT signed with ES256 (JOSE's raw r||s signature), as Grafana signs its ID tokens. */
function es256(key: KeyObject, kid: string, claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const signed = `${part({ alg: 'ES256', kid, typ: 'JWT' })}.${part(claims)}`;
  const signature = sign('sha256', Buffer.from(signed), { key, dsaEncoding: 'ieee-p1363' });
  return `${signed}.${signature.toString('base64url')}`;
}

/** Grafana's signing keys, served as Grafana serves them. */
async function grafanaKeys() {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'grafana-1', alg: 'ES256', use: 'sig' };
  const server: Server = createServer((req, res) => {
    if (req.url !== '/api/signing-keys/keys') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const idToken = (key: KeyObject, login: string) => {
    const nowS = Math.floor(Date.now() / 1000);
    return es256(key, 'grafana-1', {
      iss: `${url}/`,
      sub: `user:${login}`,
      username: login,
      role: 'Editor',
      iat: nowS,
      exp: nowS + 300,
    });
  };
  const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  return { server, url, idToken: () => idToken(privateKey, 'erin'), forgedIdToken: () => idToken(stranger, 'mallory') };
}

describe('secrets in the logs of a full run', () => {
  let grafana: Awaited<ReturnType<typeof grafanaKeys>>;
  let stateDir: string;

  beforeAll(async () => {
    grafana = await grafanaKeys();
    stateDir = mkdtempSync(join(tmpdir(), 'nocai-secrets-'));
  });
  afterAll(async () => {
    await new Promise((resolve) => grafana.server.close(resolve));
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('When the backend runs at LOG_LEVEL=debug and is called with right and wrong tokens, ID tokens and passwords, then none of them appears in its output', async () => {
    const influx = await freshDatabase('secrets_in');
    const influxUrl = new URL(testInfluxUrl());
    influxUrl.username = 'nocai-url-user';
    influxUrl.password = SECRETS.influxUrlPassword;

    // A client token made by `nocai tokens`, as an admin would before handing it to an ITSM.
    const created = runCli(['tokens', 'create', '--name', 'itsm', '--role', 'operator', '--json'], {
      NOCAI_STATE_DIR: stateDir,
    });
    expect(await created.exited).toBe(0);
    const cliToken = (JSON.parse(created.output()) as { token: { id: string }; secret: string }).secret;

    const backend: BackendProcess = runCli(['serve'], {
      INFLUX_URL: influxUrl.toString(),
      INFLUX_TOKEN: SECRETS.influxToken,
      INFLUX_USERNAME: 'nocai',
      INFLUX_PASSWORD: SECRETS.influxPassword,
      INFLUX_INPUT_DB: influx.database,
      INFLUX_OUTPUT_DB: `${influx.database}_out`,
      NOCAI_API_TOKEN: SECRETS.apiToken,
      NOCAI_WEBHOOK_TOKEN: SECRETS.webhookToken,
      NOCAI_GRAFANA_URL: grafana.url,
      NOCAI_STATE_DIR: stateDir,
      NOCAI_HOST: '127.0.0.1',
      NOCAI_PORT: '0',
      NOCAI_POLL_INTERVAL_MS: '100',
      NOCAI_SETTLE_MS: '0',
      LOG_LEVEL: 'debug',
    });
    let apiToken = '';
    const idToken = grafana.idToken();
    const forgedIdToken = grafana.forgedIdToken();
    try {
      const port = await waitFor(
        async () => /"port":(\d+)[^\n]*nocai backend serving/.exec(backend.output())?.[1],
        60_000,
        'the backend serving'
      );
      const base = `http://127.0.0.1:${port}`;
      const call = (path: string, headers: Record<string, string>, init: RequestInit = {}) =>
        fetch(`${base}${path}`, { ...init, headers: { 'content-type': 'application/json', ...headers } });
      const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

      expect((await call('/api/whoami', bearer(SECRETS.apiToken))).status).toBe(200);
      expect((await call('/api/whoami', bearer(SECRETS.wrongToken))).status).toBe(401);
      expect((await call('/api/tickets', bearer(SECRETS.webhookToken))).status).toBe(401);
      expect((await call('/api/whoami', bearer(cliToken))).status).toBe(200);
      const basic = Buffer.from(`admin:${SECRETS.basicPassword}`).toString('base64');
      expect((await call('/api/whoami', { authorization: `Basic ${basic}` })).status).toBe(401);
      const alert = {
        status: 'firing',
        alerts: [{ status: 'firing', labels: { alertname: 'UPS on battery' }, startsAt: new Date().toISOString() }],
      };
      const alerted = await call('/api/alerts/grafana', bearer(SECRETS.webhookToken), {
        method: 'POST',
        body: JSON.stringify(alert),
      });
      expect(alerted.status).toBe(202);

      // Grafana's users: a signed ID token, and a forged one.
      const erin = await call('/api/whoami', { ...bearer(SECRETS.apiToken), 'x-grafana-id': idToken });
      expect(erin.status).toBe(200);
      expect(((await erin.json()) as { user: string }).user).toBe('erin');
      expect((await call('/api/whoami', { ...bearer(SECRETS.apiToken), 'x-grafana-id': forgedIdToken })).status).toBe(
        401
      );

      // A token made through the API, used, and one revoked then tried again.
      const made = await call('/api/tokens', bearer(SECRETS.apiToken), {
        method: 'POST',
        body: JSON.stringify({ name: 'mobile', role: 'viewer' }),
      });
      expect(made.status).toBe(201);
      const madeToken = (await made.json()) as { token: { id: string }; secret: string };
      apiToken = madeToken.secret;
      expect((await call('/api/tickets', bearer(apiToken))).status).toBe(200);
      const revoked = await call(`/api/tokens/${madeToken.token.id}/revoke`, bearer(SECRETS.apiToken), {
        method: 'POST',
      });
      expect(revoked.status).toBe(200);
      expect((await call('/api/tickets', bearer(apiToken))).status).toBe(401);
      // A broken body on an authorised route.
      expect(
        (await call('/api/complaints', bearer(SECRETS.apiToken), { method: 'POST', body: `{"text": "${cliToken}` }))
          .status
      ).toBe(400);
    } finally {
      backend.child.kill('SIGTERM');
      await backend.exited;
    }

    const output = backend.output();
    // The run was logged at debug, failures included: the check below looked at something.
    expect(output).toMatch(/"msg":"request"/);
    expect(output).toMatch(/"method":"GET","path":"\/api\/whoami","status":401/);
    const leaked = Object.entries({
      ...SECRETS,
      basicCredentials: Buffer.from(`admin:${SECRETS.basicPassword}`).toString('base64'),
      cliToken,
      apiCreatedToken: apiToken,
      idToken,
      forgedIdToken,
    }).filter(([, value]) => value !== '' && output.includes(value));
    expect(leaked.map(([name]) => name)).toEqual([]);
  });
});
