/**
 * @jest-environment ./src/adapters/onnx/onnxruntimeTestEnvironment.js
 */
import { appendFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toCsvRow } from '../files/csv';
import { OnnxClassifier } from '../onnx/onnxClassifier';
import { loadModel, saveModel } from '../registry/modelRegistry';
import { runTrain } from '../../commands/train';
import type { AuditEntry, AuditEntryInput, AuditSink } from '../../domain/audit/audit';
import { FileAuditTrail } from '../audit';
import { createModelsRouter } from './modelsRoutes';
import { startRouteTestApp } from './routeTestApp';
import { multiclassDump, softmax } from '../registry/import/lightgbmFixture';

const TOKEN = 'test-token';

function historyCsv(rows: number, shift: number): string {
  const kinds: Array<[string, string]> = [
    ['Link down on {h}', 'network_ops'],
    ['Fan failure on {h}', 'field_technicians'],
    ['Suspicious logins on {h}', 'security'],
  ];
  const lines = [toCsvRow(['opened_at', 'title', 'department'])];
  for (let i = 0; i < rows; i++) {
    const [title, department] = kinds[(i + shift) % kinds.length];
    const opened = new Date(Date.UTC(2024, 0, 1) + i * 3_600_000).toISOString();
    lines.push(toCsvRow([opened, title.replace('{h}', `site-${i % 5}-dev-${i % 7}`), department]));
  }
  return `${lines.join('\n')}\n`;
}

class MemorySink implements AuditSink {
  readonly entries: AuditEntryInput[] = [];
  async record(entry: AuditEntryInput): Promise<AuditEntry> {
    this.entries.push(entry);
    return { ...entry, seq: this.entries.length, at: new Date().toISOString(), prevHash: '', hash: '' };
  }
}

describe('/api/models', () => {
  let dir: string;
  let registry: string;
  let app: Awaited<ReturnType<typeof startRouteTestApp>>;
  const audit = new MemorySink();
  /** Set by a test: the file trail the routes record in instead, left with a torn last record. */
  let tornTrail: FileAuditTrail | undefined;
  const routedAudit: AuditSink = { record: (entry) => (tornTrail ?? audit).record(entry) };
  /** What the service would serve: the champion reloaded after each alias change. */
  const serving = new Map<string, string>();
  let failReload = false;

  const call = async (method: string, path: string, body?: unknown, user = 'ana') => {
    const response = await fetch(`${app.base}/api/models${path}`, {
      method,
      headers: {
        authorization: `Bearer ${TOKEN}`,
        'x-grafana-user': user,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    return {
      status: response.status,
      body: (await response.json()) as Record<string, unknown> & { error?: { code: string; message: string } },
    };
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nocai-models-api-'));
    registry = join(dir, 'models');
    // Three trainings of a real department classifier: v1, v2, v3, each champion in turn.
    for (const shift of [0, 1, 2]) {
      const history = join(dir, `tickets-${shift}.csv`);
      await writeFile(history, historyCsv(60, shift));
      const io = { stdout: () => undefined, stderr: () => undefined };
      const code = await runTrain(
        {
          history,
          text: ['title'],
          department: 'department',
          time: 'opened_at',
          out: registry,
          maxFeatures: 500,
          seed: 1,
          quiet: true,
          // Each made champion whatever its held-out figures: the tests move the aliases themselves.
          champion: true,
        },
        io
      );
      expect(code).toBe(0);
    }
    const onAliasChange = async (name: string) => {
      if (failReload) throw new Error('onnxruntime ran out of memory');
      const stored = await loadModel(registry, name, 'champion');
      const model = await OnnxClassifier.load(stored.onnx, stored.manifest);
      serving.set(name, model.modelVersion);
    };
    app = await startRouteTestApp({
      // Grafana's token, whose users named by X-Grafana-User act as admins here (plugin.json's reqRole gates them).
      auth: { apiToken: TOKEN, allowAnonymous: false, grafana: { userRole: 'admin' } },
      routers: [
        { path: '/models', router: createModelsRouter({ registryDir: registry, audit: routedAudit, onAliasChange }) },
      ],
    });
  });
  afterAll(async () => {
    await app.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('When the registry is listed and described, then each model shows its champion, versions, metadata and history', async () => {
    const list = await call('GET', '/');
    expect(list.status).toBe(200);
    expect(list.body.models).toEqual([
      { name: 'department', champion: 'v3', challenger: null, versions: 3, archived: 0 },
    ]);

    const model = await call('GET', '/department');
    expect(model.status).toBe(200);
    const versions = model.body.versions as Array<{
      version: string;
      artifactSha256: string;
      signature: { inputs: unknown[] };
    }>;
    expect(versions.map((v) => v.version)).toEqual(['v1', 'v2', 'v3']);
    expect(versions[0].artifactSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(versions[0].signature.inputs).toHaveLength(2);
    expect((model.body.history as unknown[]).length).toBe(3);

    const version = await call('GET', '/department/versions/v2');
    expect(version.body).toMatchObject({ version: 'v2', parentVersion: 'v1', artifact: { matchesManifest: true } });
    // An alias or latest names a version, as in a model URI (models:/department@champion).
    expect((await call('GET', '/department/versions/champion')).body).toMatchObject({ version: 'v3' });
    expect((await call('GET', '/department/versions/latest')).body).toMatchObject({ version: 'v3' });
    const unset = await call('GET', '/department/versions/challenger');
    expect(unset.status).toBe(404);
    expect(unset.body.error?.message).toBe('model department has no challenger');
    expect((await call('GET', '/department/versions/newest')).status).toBe(400);
  });

  it('When a version is promoted, then the service reloads the new champion and the audit trail names the user', async () => {
    const promoted = await call('POST', '/department/promote', {
      version: 'v1',
      expectedChampion: 'v3',
      reason: 'v3 misroutes',
    });

    expect(promoted.status).toBe(200);
    expect(promoted.body).toMatchObject({ changed: true, before: { champion: 'v3' }, after: { champion: 'v1' } });
    expect(serving.get('department')).toBe('department@v1');
    expect(audit.entries[audit.entries.length - 1]).toMatchObject({
      actor: 'ana',
      role: 'admin',
      action: 'model.promote',
      target: 'model:department@v1',
      reason: 'v3 misroutes',
    });
  });

  it('When two promotions expecting the same champion arrive at once, then one gets 200 and the other 409', async () => {
    const champion = ((await call('GET', '/department')).body.aliases as { champion: string }).champion;
    const [a, b] = await Promise.all([
      call('POST', '/department/promote', { version: 'v2', expectedChampion: champion }),
      call('POST', '/department/promote', { version: 'v3', expectedChampion: champion }, 'bob'),
    ]);

    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const loser = a.status === 409 ? a : b;
    expect(loser.body.error?.code).toBe('conflict');
    expect(loser.body.error?.message).toMatch(/^the champion of model department is v[23], not v1 as expected/);
  });

  it('When rolled back, then the previous champion serves again; a rollback to a newer version is a 409', async () => {
    const before = ((await call('GET', '/department')).body.aliases as { champion: string }).champion;
    const rolled = await call('POST', '/department/rollback', { reason: 'alerts' });
    expect(rolled.status).toBe(200);
    expect((rolled.body.after as { champion: string }).champion).toBe('v1');
    expect(serving.get('department')).toBe('department@v1');
    expect(before).not.toBe('v1');

    const older = await call('POST', '/department/rollback', { toVersion: 'v3' });
    expect(older.status).toBe(409);
    expect(older.body.error?.message).toMatch(/newer than the champion v1/);
  });

  it('When archiving the champion, an archived version or unknown names are asked for, then 409, 404 and 400 say why', async () => {
    const champion = await call('POST', '/department/versions/v1/archive', {});
    expect(champion.status).toBe(409);
    expect(champion.body.error?.message).toBe(
      'v1 is the champion of model department: promote or roll back to another version before archiving it'
    );
    expect((await call('POST', '/department/versions/v2/archive', { reason: 'superseded' })).status).toBe(200);
    const archived = await call('POST', '/department/promote', { version: 'v2' });
    expect(archived.status).toBe(409);
    expect(archived.body.error?.message).toMatch(/v2 is archived/);

    expect((await call('GET', '/nothing')).status).toBe(404);
    // A name in another script, percent-encoded in the URL, is a name the registry may hold.
    const accented = await call('GET', `/${encodeURIComponent('température')}`);
    expect(accented.status).toBe(404);
    expect(accented.body.error?.message).toMatch(/température/);
    expect((await call('POST', '/department/promote', { version: 'v9' })).status).toBe(404);
    const badName = await call('GET', '/..%2Fetc');
    expect(badName.status).toBe(400);
    const badBody = await call('POST', '/department/promote', { version: 'latest' });
    expect(badBody.status).toBe(400);
    expect(badBody.body.error?.message).toBe('version must be v1, v2, v3 or another v<number>');
  });

  it('When the reload fails after a promotion, then the answer is a 500 that says the alias changed', async () => {
    failReload = true;
    try {
      const promoted = await call('POST', '/department/promote', { version: 'v3' });
      expect(promoted.status).toBe(500);
      expect(promoted.body.error?.message).toBe(
        'the aliases of model department changed (champion v3), but the service could not reload them: onnxruntime ran out of memory'
      );
      expect(JSON.parse(await readFile(join(registry, 'department', 'aliases.json'), 'utf8')).champion).toBe('v3');
    } finally {
      failReload = false;
    }
  });

  it('When a LightGBM dump is uploaded with its manifest and reference rows, then it is imported and audited; a dump that does not match its reference is refused with a 422 and the registry untouched', async () => {
    const dump = multiclassDump();
    const reference = (flip: boolean) =>
      [
        toCsvRow(['load', 'expected_label', 'expected_p_low', 'expected_p_medium', 'expected_p_high']),
        ...[-2, -0.5, 0.5, 3].map((x) => {
          const low = x <= 0 !== flip;
          return toCsvRow([
            x,
            low ? 'low' : 'high',
            ...softmax(low ? [1, 0, -1] : [-1, 0, 1]).map((p) => p.toPrecision(17)),
          ]);
        }),
      ].join('\n');
    const manifest = {
      name: 'load-level',
      target: 'load-level',
      task: 'classification',
      format: 'lightgbm-json',
      inputs: { columns: [{ name: 'load', type: 'float' }] },
      outputs: { labels: ['low', 'medium', 'high'] },
    };
    const model = Buffer.from(JSON.stringify(dump)).toString('base64');
    const before = audit.entries.length;

    const refused = await call('POST', '/import', { manifest, model, reference: reference(true) });
    expect(refused.status).toBe(422);
    expect(refused.body.error?.message).toMatch(/fails its check on upload/);
    expect((await call('GET', '/load-level')).status).toBe(404);

    const imported = await call('POST', '/import', {
      manifest,
      model,
      reference: reference(false),
      reason: 'capacity team',
    });
    expect(imported.status).toBe(201);
    expect(imported.body).toMatchObject({
      manifest: {
        name: 'load-level',
        version: 'v1',
        kind: 'imported',
        sourceFormat: 'lightgbm-json',
        reason: 'capacity team',
      },
      champion: false,
    });
    expect((await call('GET', '/load-level')).status).toBe(200);
    expect(audit.entries.slice(before).map((e) => `${e.action} ${e.target} ${e.actor}`)).toEqual([
      'model.import model:load-level@v1 ana',
    ]);

    // A trail that cannot record the import refuses it: no version is written.
    tornTrail = FileAuditTrail.inStateDir(join(dir, 'torn-import-state'));
    await tornTrail.start();
    await appendFile(tornTrail.file, '{"seq":');
    try {
      const unrecorded = await call('POST', '/import', { manifest, model, reference: reference(false) });
      expect(unrecorded.status).toBe(503);
      expect(unrecorded.body.error?.message).toMatch(
        /^nothing was changed: the audit trail could not record model\.import of model:load-level@v2 /
      );
    } finally {
      tornTrail = undefined;
    }
    const described = (await call('GET', '/load-level')).body as { versions: Array<{ version: string }> };
    expect(described.versions.map((v) => v.version)).toEqual(['v1']);

    const badManifest = await call('POST', '/import', {
      manifest: { ...manifest, task: 'ranking' },
      model,
      reference: reference(false),
    });
    expect(badManifest.status).toBe(400);
    expect(badManifest.body.error?.message).toBe(
      'the import manifest is invalid: task must be one of classification, regression (got "ranking")'
    );
    const notBase64 = await call('POST', '/import', { manifest, model: 'not base64!', reference: reference(false) });
    expect(notBase64.status).toBe(400);
    expect(notBase64.body.error?.message).toBe('model must be the model file in base64');
  });

  it('When the audit trail cannot record a change, then promote, challenger, rollback and archive answer 503 and the registry is unchanged', async () => {
    tornTrail = FileAuditTrail.inStateDir(join(dir, 'torn-state'));
    await tornTrail.start();
    // A crash in the middle of an append: the trail's last record has no newline.
    await appendFile(tornTrail.file, '{"seq":');
    const snapshot = async () => {
      const folder = join(registry, 'department');
      const names = (await readdir(folder)).filter((n) => n.endsWith('.json') || n.endsWith('.jsonl')).sort();
      return Promise.all(names.map(async (n) => [n, await readFile(join(folder, n), 'utf8')]));
    };
    const models = async () => (await call('GET', '/')).body;
    const before = { files: await snapshot(), models: await models(), serving: serving.get('department') };
    const { champion } = JSON.parse(await readFile(join(registry, 'department', 'aliases.json'), 'utf8')) as {
      champion: string;
    };
    const other = champion === 'v1' ? 'v2' : 'v1';
    try {
      const refused = [
        await call('POST', '/department/promote', { version: other }),
        await call('POST', '/department/challenger', { version: other }),
        await call('POST', '/department/rollback', { toVersion: 'v1' }),
        await call('POST', `/department/versions/${other}/archive`, {}),
      ];
      for (const res of refused) {
        expect(res.status).toBe(503);
        expect(res.body.error?.code).toBe('audit_unavailable');
        expect(res.body.error?.message).toMatch(
          /^nothing was changed: the audit trail could not record model\.\w+ of model:department@v\d+ \(.*torn record/
        );
      }
      expect(await snapshot()).toEqual(before.files);
      expect(await models()).toEqual(before.models);
      expect(serving.get('department')).toBe(before.serving);
    } finally {
      tornTrail = undefined;
    }
  });

  it('When a model name arrives decomposed (NFD, as macOS types it), then the model stored under its composed name is found', async () => {
    const { manifest, onnx } = await loadModel(registry, 'department', 'v1');
    const { version: _version, parentVersion: _parent, artifactSha256: _sha, ...draft } = manifest;
    await saveModel(registry, { ...draft, name: 'température' }, onnx);
    const response = await call('GET', `/${encodeURIComponent('température'.normalize('NFD'))}`);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ name: 'température' });
  });

  it('When no token is given, then nothing is listed', async () => {
    const response = await fetch(`${app.base}/api/models/`);
    expect(response.status).toBe(401);
  });
});
