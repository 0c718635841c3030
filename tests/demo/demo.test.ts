import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InfluxClient } from '../../inference-backend/src/adapters/influx';
import { runCli } from '../support/backendProcess';
import { waitFor } from '../support/wait';

describe('nocai demo', () => {
  it('When started without INFLUX_URL, then it serves, classifies live lines within a minute, and Ctrl-C stops everything', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nocai-demo-'));
    const demo = runCli(['demo', '--days', '1', '--port', '0', '--dir', dir], {});
    try {
      await waitFor(async () => (demo.output().includes('NOC AI demo is running') ? true : undefined), 180_000, 'the demo serving');
      const liveStartUs = Date.now() * 1000;
      const output = demo.output();
      const backend = /backend\s+(http:\/\/localhost:\d+)/.exec(output)?.[1];
      const influxUrl = /InfluxDB\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
      const token = /API token\s+([0-9a-f]+)/.exec(output)?.[1];
      expect(backend && influxUrl && token).toBeTruthy();

      expect((await fetch(`${backend}/readyz`)).status).toBe(200);
      const client = new InfluxClient({ url: String(influxUrl) });
      const count = async (db: string, measurement: string, fromUs: number, toUs: number) => {
        const q = `SELECT count(message) FROM ${measurement} WHERE time > ${fromUs}u AND time <= ${toUs}u`;
        return Number((await client.query(db, q))[0]?.rows[0]?.count ?? 0);
      };
      // Lines the live simulator wrote after the demo came up, classified by the backend.
      await waitFor(
        async () => ((await count('aiops', 'aiops_events', liveStartUs, Date.now() * 1000)) > 0 ? true : undefined),
        60_000,
        'classified live lines'
      );
      const events = (await (await fetch(`${backend}/api/events?limit=5`, { headers: { Authorization: `Bearer ${token}` } })).json()) as {
        events: Array<{ eventClass: string; templateId: string }>;
      };
      expect(events.events.length).toBeGreaterThan(0);
      expect(events.events[0].templateId).not.toBe('');
      // Every line of the last 50 minutes (backfilled and live) older than the settle window has one event.
      const fromUs = liveStartUs - 50 * 60_000_000;
      const settledUs = (Date.now() - 20_000) * 1000;
      const lines = await count('telegraf', 'syslog', fromUs, settledUs);
      expect(lines).toBeGreaterThan(0);
      await waitFor(
        async () => ((await count('aiops', 'aiops_events', fromUs, settledUs)) === lines ? true : undefined),
        30_000,
        'one event per settled line'
      );

      demo.child.kill('SIGINT');
      expect(await demo.exited).toBe(0);
      await expect(fetch(`${influxUrl}/ping`)).rejects.toThrow();
      await expect(fetch(`${backend}/healthz`)).rejects.toThrow();
    } finally {
      if (demo.child.exitCode === null) demo.child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
