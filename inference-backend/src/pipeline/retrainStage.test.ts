import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { RetrainingRun, RetrainingTrigger } from '../services/retraining';
import { RetrainStage } from './retrainStage';

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;

/** The schedule alone: a job that records what it was asked (the job itself is tested against a real registry and influxd). */
function setup(startMs: number, stateFile: string, fail = false) {
  const clock = { now: startMs, nowMs: () => clock.now };
  const runs: Array<{ trigger: RetrainingTrigger; challengers: Record<string, string> }> = [];
  const job = {
    busy: false,
    run: async (trigger: RetrainingTrigger, challengers: Readonly<Record<string, string>> = {}): Promise<RetrainingRun> => {
      runs.push({ trigger, challengers: { ...challengers } });
      if (fail) throw new Error('registry unreadable');
      return { trigger: trigger.kind, startedAtMs: clock.now, finishedAtMs: clock.now, decisions: [] };
    },
  };
  const stage = new RetrainStage({ job, clock, logger: pino({ level: 'silent' }), options: { intervalMs: WEEK_MS, stateFile } });
  return { clock, runs, stage };
}

describe('the retraining schedule', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nocai-retrain-stage-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('When a new installation starts, then the first scheduled run comes one interval later, then every interval', async () => {
    const t0 = Date.UTC(2026, 10, 2);
    const { clock, runs, stage } = setup(t0, join(dir, 'retraining.json'));
    await stage.tick();
    expect(runs).toHaveLength(0);
    clock.now = t0 + WEEK_MS - 1;
    await stage.tick();
    expect(runs).toHaveLength(0);
    clock.now = t0 + WEEK_MS;
    await stage.tick();
    expect(runs.map((r) => r.trigger)).toEqual([{ kind: 'schedule', actor: 'nocai' }]);
    await stage.tick();
    expect(runs).toHaveLength(1);
    clock.now = t0 + 2 * WEEK_MS;
    await stage.tick();
    expect(runs).toHaveLength(2);
  });

  it('When the service restarts, then the schedule continues from the last run instead of retraining at once', async () => {
    const file = join(dir, 'retraining.json');
    const t0 = Date.UTC(2026, 10, 2);
    writeFileSync(file, JSON.stringify({ lastRunMs: t0 - 3 * DAY_MS }));
    const { clock, runs, stage } = setup(t0, file);
    await stage.tick();
    expect(runs).toHaveLength(0);
    clock.now = t0 + 4 * DAY_MS;
    await stage.tick();
    expect(runs).toHaveLength(1);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ lastRunMs: t0 + 4 * DAY_MS });
  });

  it('When a person or drift asks for a run, then it runs at the next tick with the challengers named, once', async () => {
    const { runs, stage } = setup(Date.UTC(2026, 10, 2), join(dir, 'retraining.json'));
    await stage.tick();
    stage.request({ kind: 'user', actor: 'alice' }, { department: 'v4' });
    stage.request({ kind: 'drift', actor: 'nocai' });
    await stage.tick();
    await stage.tick();
    expect(runs).toEqual([{ trigger: { kind: 'user', actor: 'alice' }, challengers: { department: 'v4' } }]);
    stage.request({ kind: 'drift', actor: 'nocai' });
    await stage.tick();
    expect(runs.map((r) => r.trigger.kind)).toEqual(['user', 'drift']);
  });

  it('When a run fails, then the failure is reported, the stage does not retry in a loop, and the next interval tries again', async () => {
    const t0 = Date.UTC(2026, 10, 2);
    const { clock, runs, stage } = setup(t0, join(dir, 'retraining.json'), true);
    await stage.tick();
    clock.now = t0 + WEEK_MS;
    await expect(stage.tick()).resolves.toBe(0);
    expect(stage.lastFailure).toBe('registry unreadable');
    await stage.tick();
    expect(runs).toHaveLength(1);
    clock.now = t0 + 2 * WEEK_MS;
    await stage.tick();
    expect(runs).toHaveLength(2);
  });
});
