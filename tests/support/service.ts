import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../inference-backend/src/adapters/logger';
import { loadConfig } from '../../inference-backend/src/config';
import { startService, type RunningService } from '../../inference-backend/src/main';
import type { Clock } from '../../inference-backend/src/domain/series';
import { freshDatabase, testInfluxUrl } from './influx';

export const TEST_TOKEN = 'test-token-123';

export interface TestBackend {
  service: RunningService;
  influx: Awaited<ReturnType<typeof freshDatabase>>;
  outputDb: string;
  /** fetch against the backend with the bearer token (or none when auth is false). */
  call(path: string, init?: RequestInit & { auth?: boolean }): Promise<Response>;
  stop(): Promise<void>;
}

/** The output database the test backend writes next to an input database. */
export const outputDatabaseOf = (inputDatabase: string) => `${inputDatabase}_out`;

/** The real backend in-process on a free port, over fresh databases of the test influxd. */
export async function startTestBackend(
  env: Record<string, string> = {},
  existing?: Awaited<ReturnType<typeof freshDatabase>>,
  overrides: { clock?: Clock } = {}
): Promise<TestBackend> {
  const influx = existing ?? (await freshDatabase('svc_in'));
  const outputDb = outputDatabaseOf(influx.database);
  const stateDir = mkdtempSync(join(tmpdir(), 'nocai-state-'));
  const config = loadConfig({
    INFLUX_URL: testInfluxUrl(),
    INFLUX_INPUT_DB: influx.database,
    INFLUX_OUTPUT_DB: outputDb,
    NOCAI_API_TOKEN: TEST_TOKEN,
    NOCAI_PORT: '0',
    NOCAI_HOST: '127.0.0.1',
    NOCAI_STATE_DIR: stateDir,
    NOCAI_POLL_INTERVAL_MS: '100',
    NOCAI_SETTLE_MS: '0',
    // Tests drive the API as fast as they can: no per-caller rate limit.
    NOCAI_RATE_LIMIT: '0',
    ...env,
  });
  const service = await startService(config, {
    logger: createLogger(process.env.NOCAI_TEST_LOG_LEVEL ?? 'silent'),
    clock: overrides.clock,
  });
  return {
    service,
    influx,
    outputDb,
    call: (path, init = {}) => {
      const { auth = true, headers, ...rest } = init;
      const h = new Headers(headers);
      if (auth) h.set('Authorization', `Bearer ${TEST_TOKEN}`);
      if (rest.body && !h.has('Content-Type')) h.set('Content-Type', 'application/json');
      return fetch(`${service.url}${path}`, { ...rest, headers: h });
    },
    stop: async () => {
      await service.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
