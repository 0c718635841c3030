import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, type BackendProcess } from '../support/backendProcess';
import { freshDatabase, testInfluxUrl } from '../support/influx';
import { waitFor } from '../support/wait';

/**
 * A security administrator's trail, end to end: the backend records changes, mirrors them to
 * aiops_audit and notes the last one mirrored beside the trail. A trail later cut short (a restored
 * backup, a hand edit) must not be continued: new entries would take seqs aiops_audit already holds.
 */
describe('the audit trail at the backend start', () => {
  let stateDir: string;
  beforeEach(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'nocai-audit-start-'));
  });
  afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

  it('When the trail was cut below the last entry mirrored to aiops_audit, then the backend refuses to start and names the trail, both seqs and nocai audit verify', async () => {
    const { database } = await freshDatabase('audit_start');
    const env = {
      INFLUX_URL: testInfluxUrl(),
      INFLUX_INPUT_DB: database,
      INFLUX_OUTPUT_DB: `${database}_out`,
      NOCAI_API_TOKEN: 'bootstrap-audit-start',
      NOCAI_STATE_DIR: stateDir,
      NOCAI_HOST: '127.0.0.1',
      NOCAI_PORT: '0',
      NOCAI_POLL_INTERVAL_MS: '100',
      NOCAI_SETTLE_MS: '0',
      LOG_LEVEL: 'info',
    };
    const trailFile = join(stateDir, 'audit', 'audit.jsonl');
    const mirroredSeq = () => {
      try {
        return (JSON.parse(readFileSync(join(stateDir, 'audit', 'mirrored.json'), 'utf8')) as { seq: number }).seq;
      } catch {
        return 0;
      }
    };

    const first: BackendProcess = runCli(['serve'], env);
    try {
      const port = await waitFor(
        async () => /"port":(\d+)[^\n]*nocai backend serving/.exec(first.output())?.[1],
        60_000,
        'the backend serving'
      );
      for (const name of ['itsm', 'pager', 'mobile']) {
        const res = await fetch(`http://127.0.0.1:${port}/api/tokens`, {
          method: 'POST',
          headers: { authorization: `Bearer ${env.NOCAI_API_TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify({ name, role: 'viewer' }),
        });
        expect(res.status).toBe(201);
      }
      await waitFor(async () => (mirroredSeq() === 3 ? true : undefined), 60_000, 'entry 3 mirrored to aiops_audit');
    } finally {
      first.child.kill('SIGTERM');
      expect(await first.exited).toBe(0);
    }

    // The last two entries, already in aiops_audit, are cut from the file.
    const kept = readFileSync(trailFile, 'utf8').split('\n').slice(0, 1).join('\n') + '\n';
    writeFileSync(trailFile, kept);

    const second = runCli(['serve'], env);
    try {
      // Refused before it listens; a backend that started anyway would never exit on its own.
      const exitCode = await Promise.race([
        second.exited,
        waitFor(async () => (/nocai backend serving/.test(second.output()) ? 'serving' : undefined), 60_000, 'an exit'),
      ]);
      expect(exitCode).toBe(1);
    } finally {
      if (second.child.exitCode === null) second.child.kill('SIGKILL');
    }
    expect(second.output().trim()).toBe(
      `nocai: the audit trail cannot be continued: the audit trail ${trailFile} ends at entry 1, but entry 3 was ` +
        'already written and mirrored to aiops_audit (mirrored.json): records were removed from its end, and nothing ' +
        'more is recorded so that no seq is used twice (nocai audit verify names what is missing)'
    );
    expect(readFileSync(trailFile, 'utf8')).toBe(kept);

    const verify = runCli(['audit', 'verify', '--state-dir', stateDir], {});
    expect(await verify.exited).toBe(1);
    expect(verify.output()).toMatch(/entries 2 to 3 are missing from the end/);
  }, 180_000);
});
