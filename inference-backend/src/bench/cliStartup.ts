import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { quantile, say } from './report';

/** Issue 9: `nocai --help` and `nocai templates` on a small file start in under 0.3 s. */
const START_UP_TARGET_MS = 300;
/** The `nocai` bin that `npx nocai` runs (it loads dist/cli.js). */
const NOCAI_BIN = resolve(__dirname, '../../bin/nocai.js');
/** A small log: what an operator tries first. */
const SMALL_LOG_LINES = 50;

/**
 * Wall time of whole `nocai` processes, spawn to exit, median of `runs`. The cases take turns run
 * by run, so that a burst of load on the machine falls on all of them alike; bare `node` start
 * is measured too, as the floor no CLI can go under.
 */
export function benchCliStartup(runs = Number(process.env.BENCH_CLI_RUNS ?? 15)): void {
  const dir = mkdtempSync(join(tmpdir(), 'nocai-bench-cli-'));
  try {
    const log = join(dir, 'small.log');
    const lines = Array.from(
      { length: SMALL_LOG_LINES },
      (_, i) =>
        `Jun  1 10:${String(i % 60).padStart(2, '0')}:00 core-${i % 4} sshd[${1000 + i}]: Failed password for admin from 10.0.0.${i % 250}`
    );
    writeFileSync(log, `${lines.join('\n')}\n`);
    const cases = [
      { label: 'node alone (node -e 0)', args: ['-e', '0'], target: false },
      { label: 'nocai --help', args: [NOCAI_BIN, '--help'], target: true },
      {
        label: `nocai templates --input (${SMALL_LOG_LINES} lines)`,
        args: [NOCAI_BIN, 'templates', '--input', log],
        target: true,
      },
    ];
    const times = cases.map(() => [] as number[]);
    for (let run = 0; run < runs; run++) {
      cases.forEach((c, i) => {
        const started = performance.now();
        const result = spawnSync(process.execPath, c.args, { stdio: ['ignore', 'ignore', 'pipe'] });
        times[i].push(performance.now() - started);
        if (result.status !== 0) throw new Error(`${c.label} exited ${result.status}: ${String(result.stderr)}`);
      });
    }
    const floor = quantile(times[0], 0.5);
    say(`CLI start-up (median of ${runs} processes, spawn to exit): ${cases[0].label} ${floor.toFixed(0)} ms`);
    cases.forEach((c, i) => {
      if (!c.target) return;
      const median = quantile(times[i], 0.5);
      say(
        `  ${c.label}: ${median.toFixed(0)} ms (${(median - floor).toFixed(0)} ms above node), ` +
          `target < ${START_UP_TARGET_MS} ms: ${median < START_UP_TARGET_MS ? 'meets' : 'MISSES'} ` +
          `(${(median / START_UP_TARGET_MS).toFixed(2)}× the target)`
      );
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) benchCliStartup();
