import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, type BackendProcess } from '../support/backendProcess';
import { freshDatabase, testInfluxUrl } from '../support/influx';
import { syslogLineProtocol, type TestSyslogLine } from '../support/syslog';
import { waitFor, waitForCount } from '../support/wait';

const LINES = 40_000;
const BATCH = 5000;

const MESSAGES = [
  (i: number) => `Interface GigabitEthernet0/${i % 48}, changed state to down`,
  (i: number) =>
    `Failed password for invalid user u${i % 97} from 198.51.100.${i % 250} port ${40000 + (i % 9999)} ssh2`,
  (i: number) => `(root) CMD (run-parts /etc/cron.hourly) job ${i}`,
  (i: number) => `Input voltage lost on feed ${i % 2 ? 'A' : 'B'}, on battery for ${i % 60} s`,
  (i: number) => `temperature ${40 + (i % 30)} C exceeds threshold on sensor ${i % 8}`,
];

describe('crash recovery', () => {
  it('When the backend is killed in the middle of a batch and restarted, then every syslog line has exactly one aiops_events point', async () => {
    const { client, database } = await freshDatabase('crash_in');
    const outputDb = `${database}_out`;
    const stateDir = mkdtempSync(join(tmpdir(), 'nocai-crash-'));
    const startUs = (Date.now() - 30 * 60_000) * 1000;
    const lines: TestSyslogLine[] = Array.from({ length: LINES }, (_, i) => ({
      hostname: `host-${i % 40}`,
      appname: 'app',
      severity: i % 3 ? 'info' : 'err',
      message: MESSAGES[i % MESSAGES.length](i),
      timeUs: startUs + i * 20,
    }));
    for (let i = 0; i < lines.length; i += 5000) {
      await client.writeLines(database, lines.slice(i, i + 5000).map(syslogLineProtocol));
    }
    const env = {
      INFLUX_URL: testInfluxUrl(),
      INFLUX_INPUT_DB: database,
      INFLUX_OUTPUT_DB: outputDb,
      NOCAI_API_TOKEN: 't',
      NOCAI_PORT: '0',
      NOCAI_HOST: '127.0.0.1',
      NOCAI_STATE_DIR: stateDir,
      NOCAI_BATCH_SIZE: String(BATCH),
      // Twenty write requests per batch leave a wide window to be killed between them.
      NOCAI_WRITE_BATCH_SIZE: '250',
      NOCAI_SETTLE_MS: '0',
      NOCAI_POLL_INTERVAL_MS: '50',
      LOG_LEVEL: 'warn',
    };
    const eventCount = async () => {
      const series = await client.query(outputDb, 'SELECT count(message) FROM aiops_events').catch(() => []);
      return Number(series[0]?.rows[0]?.count ?? 0);
    };
    const committedWatermark = (): number => {
      try {
        return (JSON.parse(readFileSync(join(stateDir, 'log-stage.json'), 'utf8')) as { watermarkUs: number })
          .watermarkUs;
      } catch {
        return 0;
      }
    };

    try {
      const committedLines = () => {
        const watermarkUs = committedWatermark();
        return lines.filter((l) => l.timeUs <= watermarkUs).length;
      };
      let killsMidBatch = 0;
      for (let attempt = 0; attempt < 5 && killsMidBatch === 0; attempt++) {
        const backend: BackendProcess = runCli(['serve'], env);
        // Kill as soon as events exist beyond what the saved watermark covers: a batch is being written.
        const outcome = await waitFor(
          async () => {
            const count = await eventCount();
            if (count >= LINES) return 'finished';
            if (count > committedLines()) {
              backend.child.kill('SIGKILL');
              return 'killed';
            }
            return undefined;
          },
          60_000,
          'a mid-batch moment'
        );
        await backend.exited;
        if (outcome === 'finished') break;
        // Proof the kill landed mid-batch (the batch may have been committed between the check and the
        // kill): once the process is gone, points exist beyond the committed watermark.
        if ((await eventCount()) > committedLines()) killsMidBatch++;
      }
      expect(killsMidBatch).toBeGreaterThanOrEqual(1);

      const backend = runCli(['serve'], env);
      await waitForCount(eventCount, LINES, 'events written');
      backend.child.kill('SIGTERM');
      expect(await backend.exited).toBe(0);

      expect(await eventCount()).toBe(LINES);
      const keys = async (db: string, measurement: string) => {
        const series = await client.query(db, `SELECT hostname, message FROM ${measurement}`);
        return series[0].rows.map((r) => `${r.hostname}@${r.time}`).sort();
      };
      const inputKeys = await keys(database, 'syslog');
      const eventKeys = await keys(outputDb, 'aiops_events');
      expect(eventKeys).toHaveLength(inputKeys.length);
      expect(eventKeys).toEqual(inputKeys);
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
