import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from '../support/backendProcess';
import { waitFor } from '../support/wait';

/** Timestamps (ms) of the points in a line-protocol file written with precision u. */
function pointTimesMs(file: string): number[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => Number(line.slice(line.lastIndexOf(' ') + 1)) / 1000);
}

describe('nocai simulate --speed', () => {
  it('When live time is played 60 times faster, then it catches up with the wall clock and never writes a point dated after now', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nocai-speed-'));
    const file = join(dir, 'live.lp');
    const startedMs = Date.now();
    const child = spawn(
      process.execPath,
      [
        CLI,
        'simulate',
        '--speed',
        '60',
        '--replay',
        '3',
        '--sites',
        '1',
        '--history-days',
        '0',
        '--out-file',
        file,
        '--out-dir',
        dir,
      ],
      { env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'ignore', 'pipe'] }
    );
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      // Three minutes from the past at 60×: about three seconds, then real time.
      await waitFor(
        async () => {
          const times = pointTimesMs(file);
          const checkedMs = Date.now();
          expect(times.filter((t) => t > checkedMs)).toEqual([]);
          return times.length > 0 && Math.max(...times) > checkedMs - 30_000 ? true : undefined;
        },
        120_000,
        'live time reaching the wall clock'
      );
      const times = pointTimesMs(file);
      expect(Math.min(...times)).toBeLessThan(startedMs - 2 * 60_000);
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(stderr).toMatch(/at 60× until it reaches now/);
      const stoppedMs = Date.now();
      expect(pointTimesMs(file).filter((t) => t > stoppedMs)).toEqual([]);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);
});
