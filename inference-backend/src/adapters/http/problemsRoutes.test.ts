import { appendFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { matchesVariable } from '@nocai/contract';
import type { ProblemDefinition } from '@nocai/contract';
import type { AuditEntry, AuditEntryInput, AuditSink } from '../../domain/audit/audit';
import type { EntitySeries } from '../../domain/problems/dataset';
import { ProblemDataError } from '../../domain/problems/errors';
import type { ProblemSeriesData, ProblemSeriesSource } from '../../domain/problems/ports';
import { generateFreezers } from '../../simulator/freezerPrecursors';
import { ProblemService } from '../../services/problemService';
import type { TrainingJob } from '../../services/problemService';
import { FileAuditTrail } from '../audit/fileAuditTrail';
import { parseProblemBody, ProblemStore } from '../files/problemStore';
import { callerOf, requireRole } from './auth';
import { createProblemsRouter } from './problemsRoutes';
import { startRouteTestApp } from './routeTestApp';

const TOKEN = 'test-token';
const CATALOG = [
  'freezer.compressor_current_a',
  'freezer.door_open_count',
  'freezer.setpoint_c',
  'freezer.temperature_c',
];
const STEP_MS = 5 * 60_000;

class MemorySink implements AuditSink {
  readonly entries: AuditEntryInput[] = [];
  async record(entry: AuditEntryInput): Promise<AuditEntry> {
    this.entries.push(entry);
    return { ...entry, seq: this.entries.length, at: new Date().toISOString(), prevHash: '', hash: '' };
  }
}

/** The freezer fixture as a series source: what the InfluxDB adapter answers, without a server. */
class FixtureSource implements ProblemSeriesSource {
  async resolveVariables(definition: ProblemDefinition): Promise<string[]> {
    definition.variables.include.forEach((pattern, i) => {
      if (!CATALOG.some((v) => matchesVariable(pattern, v))) {
        throw new ProblemDataError(
          `variables.include.${i}: ${pattern} matches no numeric field of database telegraf`,
          `variables.include.${i}`
        );
      }
    });
    return CATALOG.filter((v) => definition.variables.include.some((p) => matchesVariable(p, v)));
  }

  async load(definition: ProblemDefinition, range: { fromMs: number; toMs: number }): Promise<ProblemSeriesData> {
    const variables = await this.resolveVariables(definition);
    const startMs = Math.floor(range.fromMs / STEP_MS) * STEP_MS;
    const grid = { startMs, stepMs: STEP_MS, steps: Math.ceil((range.toMs - startMs) / STEP_MS) };
    const byHost = new Map<string, EntitySeries>();
    for (const p of generateFreezers({ freezers: 2, days: 30 }).points) {
      const k = Math.floor((p.timeMs - startMs) / STEP_MS);
      if (k < 0 || k >= grid.steps) continue;
      let s = byHost.get(p.host);
      if (!s) {
        s = {
          entity: p.host,
          values: new Map(variables.map((v) => [v, new Float64Array(grid.steps).fill(NaN)])),
          condition: new Uint8Array(grid.steps),
        };
        byHost.set(p.host, s);
      }
      const fields: Record<string, number> = {
        'freezer.compressor_current_a': p.compressorCurrentA,
        'freezer.door_open_count': p.doorOpenCount,
        'freezer.setpoint_c': p.setpointC,
        'freezer.temperature_c': p.temperatureC,
      };
      for (const v of variables) (s.values.get(v) as Float64Array)[k] = fields[v];
      s.condition[k] = p.temperatureC > -18 ? 1 : 0;
    }
    return { grid, series: [...byHost.values()], variables };
  }
}

const valid = {
  name: 'freezer-warm',
  event: { kind: 'threshold', measurement: 'freezer', field: 'temperature_c', operator: '>', value: -18, for: '10m' },
  horizon: '2h',
  interval: '5m',
  variables: { include: ['freezer.*'], controllable: ['freezer.setpoint_c'] },
  windows: ['30m', '2h'],
  training: { from: '2026-01-01T03:00:00Z', to: '2026-01-22T00:00:00Z' },
  validation: { from: '2026-01-22T00:00:00Z', to: '2026-01-31T00:00:00Z' },
  department: 'facilities',
  priority: 'P2',
};

const GRIDS = {
  gbt: [{ kind: 'gbt' as const, maxDepth: 3, nTrees: 40, learningRate: 0.1, minSamplesLeaf: 20 }],
  logistic: [{ kind: 'logistic' as const, C: 1 }],
  random_forest: [
    { kind: 'random_forest' as const, maxDepth: 4, nTrees: 10, minSamplesLeaf: 10, featureFraction: 0.5 },
  ],
};

describe('/api/problems', () => {
  let dir: string;
  let app: Awaited<ReturnType<typeof startRouteTestApp>>;
  const audit = new MemorySink();

  const call = async (method: string, path: string, body?: unknown, role: 'admin' | 'viewer' = 'admin') => {
    const response = await fetch(`${app.base}/api/problems${path}`, {
      method,
      headers: {
        authorization: `Bearer ${role === 'admin' ? TOKEN : `${TOKEN}-viewer`}`,
        'x-grafana-user': 'ana',
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
    dir = await mkdtemp(join(tmpdir(), 'nocai-problems-api-'));
    const service = new ProblemService({
      store: new ProblemStore(join(dir, 'problems')),
      source: new FixtureSource(),
      registryDir: join(dir, 'models'),
      audit,
      grids: GRIDS,
    });
    app = await startRouteTestApp({
      auth: { apiToken: TOKEN, allowAnonymous: false, grafana: { userRole: 'admin' } },
      routers: [
        {
          path: '/problems',
          router: createProblemsRouter({
            service,
            callerOf: (_req, res) => {
              const caller = callerOf(res);
              return { actor: caller.name, role: caller.role };
            },
            canRead: requireRole('viewer'),
            canChange: requireRole('admin'),
          }),
        },
      ],
    });
  });
  afterAll(async () => {
    await app.close();
    await rm(dir, { recursive: true, force: true });
  });

  const malformed: Array<[string, Record<string, unknown>, number, string]> = [
    ['no name', { ...valid, name: undefined }, 400, 'name is required and must be a string'],
    [
      'an unknown operator',
      { ...valid, event: { ...valid.event, operator: '=>' } },
      400,
      'event.operator must be one of >, >=, <, <= (got "=>")',
    ],
    [
      'a horizon shorter than the interval',
      { ...valid, horizon: '1m' },
      400,
      'horizon must not be shorter than the interval (5m)',
    ],
    [
      'overlapping periods',
      { ...valid, validation: { from: '2026-01-10T00:00:00Z', to: '2026-01-31T00:00:00Z' } },
      400,
      'validation.from must not be before training.to',
    ],
    [
      'a controllable variable that is not an input',
      { ...valid, variables: { include: ['freezer.door_*'], controllable: ['freezer.setpoint_c'] } },
      400,
      'variables.controllable.0 must be an input: variables.include must select freezer.setpoint_c',
    ],
    [
      'an unknown department',
      { ...valid, department: 'kitchen' },
      400,
      'department must be one of field_technicians, network_ops, it_ops, security, facilities, maintenance (got "kitchen")',
    ],
    [
      'a target precision above 1',
      { ...valid, threshold: { policy: 'target_precision', precision: 1.5 } },
      400,
      'threshold.precision must be at most 1 (got 1.5)',
    ],
    [
      'a series the database lacks',
      { ...valid, variables: { include: ['fridge.*'] } },
      422,
      'variables.include.0: fridge.* matches no numeric field',
    ],
  ];

  it.each(malformed)(
    'When a definition with %s is posted, then it is refused with a message naming the field',
    async (_, body, status, expected) => {
      const response = await call('POST', '/', body);
      expect(response.status).toBe(status);
      expect(response.body.error?.message).toContain(expected);
      expect((await call('GET', '/')).body.problems).toEqual([]);
    }
  );

  it('When an admin creates, changes and deletes a problem, then each is a version and an audit entry', async () => {
    const created = await call('POST', '/', valid);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ version: 1, definition: { name: 'freezer-warm', metric: 'pr_auc' } });
    expect((await call('POST', '/', valid)).status).toBe(409);
    const changed = await call('PUT', '/freezer-warm', { ...valid, priority: 'P1' });
    expect(changed.body).toMatchObject({ version: 2, definition: { priority: 'P1' } });
    expect((await call('PUT', '/freezer-warm', { ...valid, name: 'other' })).body.error?.message).toBe(
      'name must be freezer-warm, the problem being changed (renaming is create + delete)'
    );
    expect((await call('GET', '/freezer-warm?version=1')).body).toMatchObject({
      version: 1,
      definition: { priority: 'P2' },
    });
    expect(((await call('GET', '/freezer-warm/versions')).body.versions as unknown[]).length).toBe(2);
    expect(audit.entries.map((e) => [e.action, e.target, e.actor])).toEqual([
      ['problem.create', 'problem:freezer-warm', 'ana'],
      ['problem.update', 'problem:freezer-warm', 'ana'],
    ]);
    await call('POST', '/', { ...valid, name: 'scratch' });
    expect((await call('DELETE', '/scratch')).status).toBe(200);
    expect((await call('GET', '/scratch')).status).toBe(404);
    expect(audit.entries.map((e) => e.action).slice(-2)).toEqual(['problem.create', 'problem.delete']);
  });

  it('When a problem is trained through the API, then the job shows progress and ends with a registered, audited model', async () => {
    const started = await call('POST', '/freezer-warm/train');
    expect(started.status).toBe(202);
    const id = (started.body as unknown as TrainingJob).id;
    let job = started.body as unknown as TrainingJob;
    for (let i = 0; i < 600 && job.state === 'running'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      job = (await call('GET', `/freezer-warm/train/${id}`)).body as unknown as TrainingJob;
    }
    expect(job.error).toBeUndefined();
    expect(job.state).toBe('done');
    expect(job.progress.some((line) => line.includes('winner'))).toBe(true);
    expect(job.result).toMatchObject({ model: 'problem-freezer-warm', version: 'v1', alias: 'champion' });
    const manifest = JSON.parse(
      await readFile(join(dir, 'models', 'problem-freezer-warm', 'v1', 'manifest.json'), 'utf8')
    );
    expect(manifest).toMatchObject({ kind: 'problem_classifier', problem: { name: 'freezer-warm', version: 2 } });
    expect(manifest.metrics.validation.prAuc).toBeGreaterThan(manifest.metrics.validation.noSkillPrAuc);
    expect(audit.entries.at(-1)).toMatchObject({ action: 'model.train', target: 'model:problem-freezer-warm@v1' });
  });
});

describe('problem changes and the real audit trail', () => {
  it('When the audit trail cannot take the entry, then no problem is created, changed or deleted', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nocai-problems-audit-'));
    try {
      const trail = FileAuditTrail.inStateDir(dir);
      const store = new ProblemStore(join(dir, 'problems'));
      const service = new ProblemService({
        store,
        source: new FixtureSource(),
        registryDir: join(dir, 'models'),
        audit: trail,
      });
      const who = { actor: 'ana', role: 'admin', from: 'api' };
      await service.create(parseProblemBody(valid), who);
      // A crash cut the trail's last record short: nothing more is recorded until someone looks.
      await mkdir(trail.dir, { recursive: true });
      await appendFile(trail.file, '{"seq":');

      const refused =
        /^nothing was changed: the audit trail could not record problem\.(create|update|delete) of problem:/;
      await expect(service.create(parseProblemBody({ ...valid, name: 'scratch' }), who)).rejects.toThrow(refused);
      await expect(service.update('freezer-warm', parseProblemBody({ ...valid, priority: 'P1' }), who)).rejects.toThrow(
        refused
      );
      await expect(service.delete('freezer-warm', who)).rejects.toThrow(refused);
      const { problems } = await service.list();
      expect(problems.map((p) => [p.definition.name, p.version, p.definition.priority])).toEqual([
        ['freezer-warm', 1, 'P2'],
      ]);
      expect(await service.versions('freezer-warm')).toHaveLength(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
