import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface LocalInfluxd {
  url: string;
  dataDir: string;
  pid: number;
  /** The HTTP and RPC ports, to start it again where its clients look for it (a restart after a crash). */
  ports: { http: number; rpc: number };
  stop(): Promise<void>;
}

export const INFLUXD_MISSING =
  'influxd was not found on PATH: install InfluxDB 1.x (on Debian/Ubuntu: `sudo apt-get install -y influxdb`) ' +
  'or point INFLUX_URL at a running InfluxDB.';

export function findInfluxd(): string | undefined {
  const result = spawnSync('sh', ['-c', 'command -v influxd'], { encoding: 'utf8' });
  const path = result.stdout.trim();
  return result.status === 0 && path ? path : undefined;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts a private influxd (InfluxDB 1.x) on free loopback ports with its data in a temporary
 * folder, configured through environment variables only so no config file is needed.
 */
export async function startLocalInfluxd(
  options: { dataDir?: string; keepData?: boolean; env?: Record<string, string>; ports?: { http: number; rpc: number } } = {}
): Promise<LocalInfluxd> {
  const binary = findInfluxd();
  if (!binary) throw new Error(INFLUXD_MISSING);
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'nocai-influxd-'));
  const httpPort = options.ports?.http ?? (await freePort());
  const rpcPort = options.ports?.rpc ?? (await freePort());
  const env = {
    ...process.env,
    INFLUXDB_META_DIR: join(dataDir, 'meta'),
    INFLUXDB_DATA_DIR: join(dataDir, 'data'),
    INFLUXDB_DATA_WAL_DIR: join(dataDir, 'wal'),
    INFLUXDB_HTTP_BIND_ADDRESS: `127.0.0.1:${httpPort}`,
    INFLUXDB_BIND_ADDRESS: `127.0.0.1:${rpcPort}`,
    INFLUXDB_REPORTING_DISABLED: 'true',
    INFLUXDB_MONITOR_STORE_ENABLED: 'false',
    INFLUXDB_DATA_QUERY_LOG_ENABLED: 'false',
    INFLUXDB_HTTP_LOG_ENABLED: 'false',
    INFLUXDB_LOGGING_LEVEL: 'warn',
    ...options.env,
  };
  const child: ChildProcess = spawn(binary, [], { env, stdio: ['ignore', 'ignore', 'pipe'], detached: false });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const url = `http://127.0.0.1:${httpPort}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`influxd exited with code ${child.exitCode} before answering: ${stderr.trim()}`);
    }
    try {
      const response = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1000) });
      if (response.status === 204) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`influxd did not answer /ping within 20 s: ${stderr.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const pid = child.pid ?? 0;
  return {
    url,
    dataDir,
    pid,
    ports: { http: httpPort, rpc: rpcPort },
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      if (!options.keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
