import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../cli';

/** A port nothing listens on: taken, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('nocai report', () => {
  let dir: string;
  let stderr: string;
  let influxUrl: string;

  beforeAll(async () => {
    influxUrl = `http://127.0.0.1:${await closedPort()}`;
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nocai-report-cli-'));
    stderr = '';
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stderr += String(chunk);
      return true;
    });
    process.exitCode = undefined;
  });
  afterEach(() => {
    jest.restoreAllMocks();
    process.exitCode = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  const run = (...args: string[]) => runCli(['node', 'nocai', 'report', '--influx-url', influxUrl, ...args]);

  it('When --to is not after --from, then it exits 2 with a sentence and asks InfluxDB nothing', async () => {
    const out = join(dir, 'r.html');
    await run('--from', '2024-05-13', '--to', '2024-05-06', '--out', out);
    expect(process.exitCode).toBe(2);
    expect(stderr).toBe(
      'nocai: the range must end after it starts: to (2024-05-06T00:00:00.000Z) is not after from (2024-05-13T00:00:00.000Z).\n'
    );
    expect(existsSync(out)).toBe(false);
  });

  it('When a date is not a date, then it exits 2 naming the flag', async () => {
    await run('--from', '2024-13-01', '--to', '2024-05-06', '--out', join(dir, 'r.html'));
    expect(process.exitCode).toBe(2);
    expect(stderr).toMatch(/^nocai: --from: "2024-13-01" is not an ISO 8601 date or time/);
  });

  it('When --out cannot be written (a folder, or under a file), then it exits 2 with a sentence', async () => {
    await run('--from', '2024-05-06', '--to', '2024-05-13', '--out', dir);
    expect(process.exitCode).toBe(2);
    expect(stderr).toMatch(/is a folder, not a file\.\n$/);

    stderr = '';
    process.exitCode = undefined;
    const file = join(dir, 'plain');
    writeFileSync(file, 'x');
    await run('--from', '2024-05-06', '--to', '2024-05-13', '--out', join(file, 'r.html'));
    expect(process.exitCode).toBe(2);
    expect(stderr).toMatch(/is a file, not a folder\.\n$/);
  });

  it('When InfluxDB cannot be reached, then it exits 1 and writes no file', async () => {
    const out = join(dir, 'r.html');
    await run('--from', '2024-05-06', '--to', '2024-05-13', '--out', out);
    expect(process.exitCode).toBe(1);
    expect(stderr).toMatch(/^nocai: Cannot reach InfluxDB at http:\/\/127\.0\.0\.1:\d+/);
    expect(existsSync(out)).toBe(false);
  }, 300_000);
});
