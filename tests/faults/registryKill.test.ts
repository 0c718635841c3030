import { cpSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readAliasHistory } from '../../inference-backend/src/adapters/registry/registryFiles';
import {
  listVersions,
  loadModel,
  readAliasesFile,
  type Aliases,
} from '../../inference-backend/src/adapters/registry/modelRegistry';
import { freePort } from '../../inference-backend/src/adapters/influx/localServer';
import { runCli, type BackendProcess } from '../support/backendProcess';
import { freshDatabase, testInfluxUrl } from '../support/influx';
import { waitFor } from '../support/wait';

const MODEL = 'label';
const FIXTURE = resolve(__dirname, '../../inference-backend/src/commands/fixtures/predict/models', MODEL);
const TOKEN = 'registry-kill-token';
/** The files a model's folder may hold besides its versions (the lock of a writer that died included). */
const MODEL_FILES = new Set(['aliases.json', 'aliases.jsonl', 'aliases.pending.json', 'archived.json', 'writer.lock']);

/** Three topics with words of their own: `nocai train` learns them in a second. */
function trainingCsv(file: string): void {
  const words: Record<string, string[]> = {
    Access: ['password', 'login', 'account', 'locked', 'reset'],
    Hardware: ['laptop', 'screen', 'keyboard', 'broken', 'printer'],
    Storage: ['disk', 'quota', 'full', 'share', 'folder'],
  };
  const rows = Array.from({ length: 90 }, (_, i) => {
    const topic = Object.keys(words)[i % 3];
    const w = words[topic];
    return `${w[i % 5]} ${w[(i + 2) % 5]} ${w[(i + 3) % 5]} ticket ${i},${topic}`;
  });
  writeFileSync(file, `text,topic\n${rows.join('\n')}\n`);
}

/**
 * What a consistent registry is, checked on the files as the service will find them: a readable
 * alias file naming exactly one champion, which is a complete version; every version folder
 * complete (a readable manifest whose sha256 matches model.onnx); a readable alias history;
 * nothing else in the model's folder but work in progress that no reader takes for a version.
 */
async function expectConsistent(registryDir: string): Promise<{ aliases: Aliases; versions: string[] }> {
  const aliases = await readAliasesFile(registryDir, MODEL);
  const champions = Object.entries(aliases).filter(([alias]) => alias === 'champion');
  expect(champions).toHaveLength(1);
  const versions = await listVersions(registryDir, MODEL);
  expect(versions).toContain(aliases.champion);
  for (const version of versions) {
    const stored = await loadModel(registryDir, MODEL, version);
    expect(stored.manifest.version).toBe(version);
  }
  await readAliasHistory(registryDir, MODEL);
  for (const entry of readdirSync(join(registryDir, MODEL))) {
    if (/^v\d+$/.test(entry) || MODEL_FILES.has(entry)) continue;
    // A version that was being written when the process died: a staging folder, never a version.
    expect(entry).toMatch(/^\.staging-/);
    expect(statSync(join(registryDir, MODEL, entry)).isDirectory()).toBe(true);
  }
  return { aliases, versions };
}

const stagingFolders = (registryDir: string) =>
  readdirSync(join(registryDir, MODEL)).filter((entry) => entry.startsWith('.staging-'));

/** Waits until the process says it reached `point`, then kills it with -9. */
async function killAt(process: BackendProcess, point: string): Promise<void> {
  const line = `paused at registry crash point ${point}`;
  await waitFor(
    async () => {
      if (process.output().includes(line)) return true;
      if (process.child.exitCode !== null) throw new Error(`exited before ${point}: ${process.output().slice(-2000)}`);
      return undefined;
    },
    60_000,
    `the process at ${point}`
  );
  process.child.kill('SIGKILL');
  // Killed by the signal, not ended by itself: no exit code.
  expect(await process.exited).toBeNull();
}

describe('the model registry when the process writing it is killed with -9', () => {
  let registryDir: string;
  let workDir: string;
  let trainCsv: string;
  let influx: Awaited<ReturnType<typeof freshDatabase>>;
  const running: BackendProcess[] = [];

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'nocai-registry-kill-'));
    registryDir = join(workDir, 'models');
    cpSync(FIXTURE, join(registryDir, MODEL), { recursive: true });
    trainCsv = join(workDir, 'train.csv');
    trainingCsv(trainCsv);
    influx = await freshDatabase('registry_kill');
  });
  afterAll(async () => {
    for (const p of running) {
      if (p.child.exitCode === null) p.child.kill('SIGKILL');
      await p.exited;
    }
    rmSync(workDir, { recursive: true, force: true });
  });

  // --champion: each run on the same file must move the champion alias, the write these tests cut off.
  const train = (env: Record<string, string> = {}) => {
    const p = runCli(
      ['train', '--history', trainCsv, '--text', 'text', '--label', 'topic', '--out', registryDir, '--champion'],
      env
    );
    running.push(p);
    return p;
  };

  async function serve(env: Record<string, string> = {}) {
    const port = await freePort();
    const p = runCli(['serve'], {
      INFLUX_URL: testInfluxUrl(),
      INFLUX_INPUT_DB: influx.database,
      INFLUX_OUTPUT_DB: `${influx.database}_out`,
      NOCAI_API_TOKEN: TOKEN,
      NOCAI_PORT: String(port),
      NOCAI_HOST: '127.0.0.1',
      NOCAI_STATE_DIR: join(workDir, 'state'),
      NOCAI_MODELS_DIR: registryDir,
      NOCAI_RATE_LIMIT: '0',
      LOG_LEVEL: 'warn',
      ...env,
    });
    running.push(p);
    const call = (path: string, init: RequestInit = {}) =>
      fetch(`http://127.0.0.1:${port}${path}`, {
        ...init,
        headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
      });
    await waitFor(
      async () => {
        if (p.child.exitCode !== null) throw new Error(`nocai serve exited: ${p.output().slice(-2000)}`);
        return (await call('/healthz').then(
          (r) => r.ok,
          () => false
        ))
          ? true
          : undefined;
      },
      60_000,
      'nocai serve answering'
    );
    return { process: p, call };
  }

  const promote = (call: (path: string, init?: RequestInit) => Promise<Response>, version: string) =>
    call(`/api/models/${MODEL}/promote`, { method: 'POST', body: JSON.stringify({ version, reason: 'fault test' }) });

  /**
   * The promotions of the model in the audit trail (GET /api/audit, as admin, `model.promote` and
   * `model.promote.failed`): how many per version, action and origin (`recovered` at a restart,
   * or `request` for one recorded as it was made).
   */
  async function promotionsOf(
    call: (path: string, init?: RequestInit) => Promise<Response>
  ): Promise<Array<{ version: string; action: string; from: string; count: number }>> {
    const res = await call('/api/audit?action=model.promote');
    expect(res.status).toBe(200);
    const { entries } = (await res.json()) as { entries: Array<{ action: string; target: string; from: string }> };
    const counts = new Map<string, { version: string; action: string; from: string; count: number }>();
    for (const entry of entries) {
      const version = entry.target.replace(`model:${MODEL}@`, '');
      const from = entry.from === 'recovered' ? 'recovered' : 'request';
      const key = `${version} ${entry.action} ${from}`;
      const seen = counts.get(key) ?? { version, action: entry.action, from, count: 0 };
      seen.count += 1;
      counts.set(key, seen);
    }
    return [...counts.values()].sort((a, b) => `${a.version} ${a.action}`.localeCompare(`${b.version} ${b.action}`));
  }

  it('When a retraining (nocai train) is killed while its new version is being written, then the version is absent, v1 stays the one champion, and the next run stores it whole', async () => {
    await killAt(train({ NOCAI_FAULT_PAUSE_AT: 'version-staged' }), 'version-staged');
    const { aliases, versions } = await expectConsistent(registryDir);
    expect(versions).toEqual(['v1']);
    expect(aliases.champion).toBe('v1');
    // Its files were all written, but not renamed into place: a folder nobody reads as a version.
    expect(stagingFolders(registryDir)).toHaveLength(1);

    const again = train();
    expect(await again.exited).toBe(0);
    const after = await expectConsistent(registryDir);
    expect(after.versions).toEqual(['v1', 'v2']);
    expect(after.aliases.champion).toBe('v2');
    expect(stagingFolders(registryDir)).toEqual([]);
    // The drift profile travels with the version: written in the same rename.
    expect(readdirSync(join(registryDir, MODEL, 'v2')).sort()).toEqual(['manifest.json', 'model.onnx', 'profile.json']);
  });

  it('When a retraining is killed after its version is stored or halfway through making it champion, then every version is complete and there is exactly one champion', async () => {
    await killAt(train({ NOCAI_FAULT_PAUSE_AT: 'version-stored' }), 'version-stored');
    const stored = await expectConsistent(registryDir);
    expect(stored.versions).toEqual(['v1', 'v2', 'v3']);
    expect(stored.aliases.champion).toBe('v2');

    await killAt(train({ NOCAI_FAULT_PAUSE_AT: 'aliases-written' }), 'aliases-written');
    const moved = await expectConsistent(registryDir);
    expect(moved.versions).toEqual(['v1', 'v2', 'v3', 'v4']);
    expect(moved.aliases.champion).toBe('v4');
  });

  it('When the service is killed in the middle of a promotion, then after a restart the registry has one complete champion, the audit trail records each promotion once (one cut off before it was made as not done), and the service promotes again', async () => {
    for (const [point, target, champion] of [
      ['aliases-written', 'v3', 'v3'],
      // Recorded, then killed before aliases.json moved: the champion stays.
      ['promotion-recorded', 'v2', 'v3'],
    ] as const) {
      const paused = await serve({ NOCAI_FAULT_PAUSE_AT: point });
      // The answer never comes: the process stops at the crash point and is killed there.
      void promote(paused.call, target).catch(() => undefined);
      await killAt(paused.process, point);
      const { aliases } = await expectConsistent(registryDir);
      expect(aliases.champion).toBe(champion);
    }

    const restarted = await serve();
    const described = (await (await restarted.call(`/api/models/${MODEL}`)).json()) as {
      aliases: Aliases;
      versions: Array<{ version: string; problem?: string }>;
    };
    expect(described.aliases.champion).toBe('v3');
    expect(described.versions.map((v) => v.version)).toEqual(['v1', 'v2', 'v3', 'v4']);
    expect(described.versions.filter((v) => v.problem !== undefined)).toEqual([]);
    // Each promotion was recorded before it was made: v3 (aliases.json written, its history line
    // finished at the next start from the pending moves) needs nothing more; v2 (recorded, never
    // made) is followed by its .failed entry from the start after it.
    expect(await promotionsOf(restarted.call)).toEqual([
      { version: 'v2', action: 'model.promote', from: 'request', count: 1 },
      { version: 'v2', action: 'model.promote.failed', from: 'recovered', count: 1 },
      { version: 'v3', action: 'model.promote', from: 'request', count: 1 },
    ]);
    // The dead writer's lock goes stale and is taken over: the registry is not stuck.
    const res = await promote(restarted.call, 'v4');
    expect(res.status).toBe(200);
    expect((await expectConsistent(registryDir)).aliases.champion).toBe('v4');
    restarted.process.child.kill('SIGTERM');
    expect(await restarted.process.exited).toBe(0);

    // Another start finds every change recorded: nothing is recorded twice.
    const again = await serve();
    expect(await promotionsOf(again.call)).toEqual([
      { version: 'v2', action: 'model.promote', from: 'request', count: 1 },
      { version: 'v2', action: 'model.promote.failed', from: 'recovered', count: 1 },
      { version: 'v3', action: 'model.promote', from: 'request', count: 1 },
      { version: 'v4', action: 'model.promote', from: 'request', count: 1 },
    ]);
    again.process.child.kill('SIGTERM');
    expect(await again.process.exited).toBe(0);
    const verify = runCli(['audit', 'verify', '--state-dir', join(workDir, 'state')], {});
    expect(await verify.exited).toBe(0);
    expect(verify.output()).toMatch(/^audit trail intact: \d+ entr/);
  });
});
