import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Ticket } from '@nocai/contract';
import { freePort } from '../../inference-backend/src/adapters/influx/localServer';
import { runCli } from '../support/backendProcess';
import { testInfluxUrl } from '../support/influx';
import { startTestBackend, type TestBackend } from '../support/service';

describe('feedback becomes labels', () => {
  let backend: TestBackend;
  let dir: string;
  beforeAll(async () => {
    backend = await startTestBackend();
    dir = mkdtempSync(join(tmpdir(), 'nocai-labels-'));
  });
  afterAll(async () => {
    await backend?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const post = async (path: string, body: unknown) =>
    (await (await backend.call(path, { method: 'POST', body: JSON.stringify(body) })).json()) as { ticket: Ticket };

  it('When operators judge or correct tickets, then `nocai labels` exports each with its verdict or correction as a training row', async () => {
    const ups = (await post('/api/complaints', { text: 'UPS on battery, input voltage lost in the server room' }))
      .ticket;
    const ssh = (
      await post('/api/complaints', { text: 'Failed password for invalid user admin, brute force from 203.0.113.9' })
    ).ticket;
    const noise = (await post('/api/complaints', { text: 'Interface Gi0/2 changed state to down on the lobby switch' }))
      .ticket;
    await post(`/api/tickets/${ups.id}/feedback`, { verdict: 'valid' });
    await post(`/api/tickets/${ssh.id}/feedback`, { verdict: 'avoided', comment: 'blocked the IP' });
    await post(`/api/tickets/${noise.id}/feedback`, { verdict: 'invalid', comment: 'planned maintenance' });
    // A correction is a label too: the department was wrong, the rest right.
    const door = (await post('/api/complaints', { text: 'The side door badge reader rejects every card' })).ticket;
    const department = door.department === 'facilities' ? 'security' : 'facilities';
    const corrected = await backend.call(`/api/tickets/${door.id}`, {
      method: 'PATCH',
      body: JSON.stringify({ department, version: door.version }),
    });
    expect(corrected.status).toBe(200);

    const out = join(dir, 'labels.jsonl');
    const run = runCli(['labels', '--influx-url', testInfluxUrl(), '--database', backend.outputDb, '--out', out], {});
    expect(await run.exited).toBe(0);
    expect(run.output()).toMatch(/4 labelled tickets written .*1 corrected/);
    const rows = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, string>);
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(byId.get(ups.id)).toMatchObject({
      verdict: 'valid',
      is_alert: 'true',
      department: ups.department,
      class: ups.eventClass,
    });
    expect(byId.get(ssh.id)).toMatchObject({ verdict: 'avoided', is_alert: 'true', resolution: 'blocked the IP' });
    expect(byId.get(noise.id)).toMatchObject({ verdict: 'invalid', is_alert: 'false', label_source: 'feedback' });
    expect(byId.get(door.id)).toMatchObject({
      verdict: '',
      is_alert: 'true',
      department,
      predicted_department: door.department,
      corrected: 'department',
      label_source: 'correction',
      auto_resolved: 'false',
    });
  });

  it('When InfluxDB cannot be reached, then labels exits non-zero with one sentence', async () => {
    const port = await freePort();
    const run = runCli(['labels', '--influx-url', `http://127.0.0.1:${port}`, '--out', join(dir, 'x.jsonl')], {});
    expect(await run.exited).toBe(1);
    expect(run.output().trim()).toBe(`nocai: Cannot reach InfluxDB at http://127.0.0.1:${port}: ECONNREFUSED`);
  });

  it('When --out is a folder or lies under a file, then labels exits 2 with one sentence naming it, before reading InfluxDB', async () => {
    // An InfluxDB nobody listens on: the path is refused first, so the run never gets to it.
    const port = await freePort();
    const folder = join(dir, 'labels-folder');
    mkdirSync(folder);
    const file = join(dir, 'plain-file');
    writeFileSync(file, 'x');
    const labelsTo = async (out: string) => {
      const run = runCli(['labels', '--influx-url', `http://127.0.0.1:${port}`, '--out', out], {});
      return { code: await run.exited, output: run.output().trim() };
    };
    expect(await labelsTo(folder)).toEqual({ code: 2, output: `nocai: --out ${folder} is a folder, not a file.` });
    expect(await labelsTo(join(file, 'labels.jsonl'))).toEqual({
      code: 2,
      output: `nocai: ${file} is a file, not a folder.`,
    });
  });
});
