import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SERVED_MODELS } from '../../inference-backend/src/services/onnxModels';
import { runCli, type BackendProcess } from '../support/backendProcess';
import { freshDatabase, testInfluxUrl } from '../support/influx';
import { waitFor } from '../support/wait';

async function finished(proc: BackendProcess) {
  return { code: await proc.exited, output: proc.output() };
}

describe('nocai setup, as the compose stack runs it before the backend', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nocai-setup-'));

  it('When run on an empty folder, then every served model has a champion and a second run trains nothing', async () => {
    const first = await finished(runCli(['setup', '--dir', dir], {}));
    expect(first.code).toBe(0);
    expect(first.output).toMatch(/trained 6 models/);
    for (const name of Object.values(SERVED_MODELS)) {
      const aliases = JSON.parse(readFileSync(join(dir, 'models', name, 'aliases.json'), 'utf8')) as {
        champion?: string;
      };
      expect([name, typeof aliases.champion]).toEqual([name, 'string']);
      // The manifest names the registry version it is stored as: tickets say mttr@v1, as GET /api/models does.
      const manifest = JSON.parse(
        readFileSync(join(dir, 'models', name, String(aliases.champion), 'manifest.json'), 'utf8')
      ) as { version?: string; createdBy?: unknown; reason?: string };
      expect([name, manifest.version]).toEqual([name, aliases.champion]);
      // nocai models show and GET /api/models say who made it and why.
      expect([name, manifest.createdBy, manifest.reason]).toEqual([
        name,
        { kind: 'setup', name: 'nocai setup' },
        'default model of nocai setup, trained on simulated history',
      ]);
    }
    expect(existsSync(join(dir, 'training', 'history', 'tickets.jsonl'))).toBe(true);

    const second = await finished(runCli(['setup', '--dir', dir], {}));
    expect(second.code).toBe(0);
    expect(second.output).toMatch(/nothing to do/);
    // Training every default model twice over on a busy machine takes minutes: a bound, not a verdict.
  }, 900_000);

  it('When the backend starts without models, inventory or ticket history, then it logs a line for each saying what to do', async () => {
    const { database } = await freshDatabase('missing');
    const proc = runCli(['serve'], {
      INFLUX_URL: testInfluxUrl(),
      INFLUX_INPUT_DB: database,
      INFLUX_OUTPUT_DB: `${database}_out`,
      NOCAI_API_TOKEN: 't',
      NOCAI_PORT: '0',
      NOCAI_HOST: '127.0.0.1',
      NOCAI_STATE_DIR: mkdtempSync(join(tmpdir(), 'nocai-missing-')),
      LOG_LEVEL: 'warn',
    });
    try {
      await waitFor(
        async () =>
          /NOCAI_TICKET_HISTORY/.test(proc.output()) && /NOCAI_INVENTORY/.test(proc.output()) ? true : undefined,
        30_000,
        'warnings'
      );
      const output = proc.output();
      expect(output).toMatch(/no NOCAI_MODELS_DIR: .*rules.*nocai setup/);
      expect(output).toMatch(/no NOCAI_INVENTORY: .*set NOCAI_INVENTORY/);
      expect(output).toMatch(/no NOCAI_TICKET_HISTORY: .*set NOCAI_TICKET_HISTORY/);
    } finally {
      proc.child.kill('SIGTERM');
      await proc.exited;
    }
  });
});
