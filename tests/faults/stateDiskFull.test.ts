import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, rmdirSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HealthResponse } from '@nocai/contract';
import { freePort } from '../../inference-backend/src/adapters/influx/localServer';
import { runCli, type BackendProcess } from '../support/backendProcess';
import { freshDatabase, testInfluxUrl } from '../support/influx';
import { syslogLineProtocol, type TestSyslogLine } from '../support/syslog';
import { waitFor } from '../support/wait';

/**
 * A real small file system for the state folder: a 1 MiB tmpfs, filled up and remounted read-only
 * as a disk would be. A read-only folder made with chmod would not stop root, which CI runs as;
 * mounting needs root too, and says so when it is refused.
 */
function mountTmpfs(dir: string): void {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0755', 'tmpfs', dir], { stdio: 'pipe' });
  } catch (error) {
    throw new Error(
      `This test mounts a 1 MiB tmpfs as the state folder and needs root (CI runs as root): ${String((error as Error).message)}`
    );
  }
}

/** Writes a file until the file system says it is full. */
function fillUp(file: string): void {
  const fd = openSync(file, 'w');
  try {
    for (const size of [65_536, 4096, 1]) {
      const chunk = Buffer.alloc(size, 120);
      for (;;) {
        try {
          writeSync(fd, chunk);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw error;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
}

describe('the state folder when its disk is full or read-only', () => {
  const mountDir = mkdtempSync(join(tmpdir(), 'nocai-state-fs-'));
  let backend: BackendProcess | undefined;
  beforeAll(() => mountTmpfs(mountDir));
  afterAll(async () => {
    backend?.child.kill('SIGKILL');
    await backend?.exited;
    execFileSync('umount', ['-l', mountDir], { stdio: 'pipe' });
    rmdirSync(mountDir);
  });

  it('When the state folder fills up and then turns read-only, then the backend says why, keeps the previous state whole with no stray file, and catches up with exactly one event per line once it can write again', async () => {
    const { client, database } = await freshDatabase('state_full');
    const outputDb = `${database}_out`;
    const stateDir = join(mountDir, 'state');
    const stateFile = join(stateDir, 'log-stage.json');
    const port = await freePort();
    backend = runCli(['serve'], {
      INFLUX_URL: testInfluxUrl(),
      INFLUX_INPUT_DB: database,
      INFLUX_OUTPUT_DB: outputDb,
      NOCAI_API_TOKEN: 't',
      NOCAI_PORT: String(port),
      NOCAI_HOST: '127.0.0.1',
      NOCAI_STATE_DIR: stateDir,
      NOCAI_SETTLE_MS: '0',
      NOCAI_POLL_INTERVAL_MS: '50',
      NOCAI_MAX_BACKOFF_MS: '500',
      LOG_LEVEL: 'error',
    });
    const readyz = async () => {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/readyz`);
        return { status: res.status, body: (await res.json()) as HealthResponse };
      } catch {
        return undefined;
      }
    };
    const eventCount = async () => {
      const series = await client.query(outputDb, 'SELECT count(message) FROM aiops_events').catch(() => []);
      return Number(series[0]?.rows[0]?.count ?? 0);
    };
    const watermark = (): number => {
      try {
        return (JSON.parse(readFileSync(stateFile, 'utf8')) as { watermarkUs: number }).watermarkUs;
      } catch {
        return 0;
      }
    };
    const startUs = (Date.now() - 10 * 60_000) * 1000;
    const written: TestSyslogLine[] = [];
    const writeLines = async (n: number, tag: string) => {
      const lines = Array.from({ length: n }, (_, i) => ({
        hostname: `edge-${i % 7}`,
        message: `${tag}: link flap on port ${i % 24} (${i})`,
        timeUs: startUs + written.length * 1000 + i * 1000,
      }));
      written.push(...lines);
      await client.writeLines(database, lines.map(syslogLineProtocol));
      return lines[lines.length - 1].timeUs;
    };
    /** The state folder holds whole JSON files only: no temporary file left, none torn. */
    const expectNoStrayFile = () => {
      for (const name of readdirSync(stateDir)) {
        expect(name).not.toMatch(/\.tmp$/);
        if (name.endsWith('.json')) expect(() => JSON.parse(readFileSync(join(stateDir, name), 'utf8'))).not.toThrow();
      }
    };
    /** While it cannot save: /readyz names the state file and the cause, the log says it, the state is unchanged. */
    const expectStuck = async (cause: RegExp, previous: string) => {
      const stuck = await waitFor(
        async () => {
          const r = await readyz();
          return r?.body.checks?.['stage:logs']?.ok === false ? r : undefined;
        },
        60_000,
        '/readyz naming the log stage'
      );
      expect(stuck.status).toBe(503);
      const message = stuck.body.checks?.['stage:logs']?.message ?? '';
      expect(message).toMatch(/state file .*log-stage\.json cannot be saved/);
      expect(message).toMatch(cause);
      expect(message).toMatch(/previous state is kept/);
      await waitFor(
        async () => (cause.test(backend?.output() ?? '') ? true : undefined),
        30_000,
        'the cause in the log'
      );
      expect(readFileSync(stateFile, 'utf8')).toBe(previous);
      expectNoStrayFile();
      expect(backend?.child.exitCode).toBeNull();
    };

    try {
      const first = await writeLines(200, 'before');
      await waitFor(async () => (watermark() === first ? true : undefined), 60_000, 'the first lines committed');
      const committed = readFileSync(stateFile, 'utf8');

      // The disk fills up (a log rotated into the same volume, say).
      const filler = join(mountDir, 'filler');
      fillUp(filler);
      const second = await writeLines(200, 'disk-full');
      await expectStuck(/the disk is full, ENOSPC/, committed);
      rmSync(filler);
      await waitFor(
        async () => (watermark() === second ? true : undefined),
        60_000,
        'the lines committed once space returns'
      );
      await waitFor(async () => ((await readyz())?.status === 200 ? true : undefined), 30_000, '/readyz 200 again');
      const recovered = readFileSync(stateFile, 'utf8');

      // Then the file system turns read-only (errors on the device, say).
      execFileSync('mount', ['-o', 'remount,ro', mountDir], { stdio: 'pipe' });
      const third = await writeLines(200, 'read-only');
      try {
        await expectStuck(/the file system is read-only, EROFS/, recovered);
      } finally {
        execFileSync('mount', ['-o', 'remount,rw', mountDir], { stdio: 'pipe' });
      }
      await waitFor(
        async () => (watermark() === third ? true : undefined),
        60_000,
        'the lines committed once writable'
      );
      await waitFor(
        async () => ((await readyz())?.status === 200 ? true : undefined),
        30_000,
        '/readyz 200 at the end'
      );
      expectNoStrayFile();

      // Every line has exactly one event: the batches replayed while the state could not be saved
      // rewrote the same points.
      expect(await eventCount()).toBe(written.length);
      const series = await client.query(outputDb, 'SELECT hostname, message FROM aiops_events');
      const keys = (series[0]?.rows ?? []).map((r) => `${String(r.hostname)}|${String(r.message)}`).sort();
      expect(keys).toEqual(written.map((l) => `${l.hostname}|${l.message}`).sort());
    } catch (error) {
      process.stderr.write(`backend output:\n${backend.output().slice(-4000)}\n`);
      throw error;
    }
  });
});
