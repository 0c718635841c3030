import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI } from './backendProcess';

/**
 * `nocai demo` as `scripts/demo.sh` runs it, in a process group of its own as a shell would run
 * it, so that a signal can be sent to the whole group like Ctrl-C does. Every wait is on a
 * condition with a generous timeout: no verdict depends on how fast the machine is.
 */
export interface Demo {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

export function startDemo(dir: string, args: string[]): Demo {
  const child = spawn(process.execPath, [CLI, 'demo', '--port', '0', '--dir', dir, ...args], {
    env: { PATH: process.env.PATH ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, output: () => output, exited };
}

export function signalGroup(demo: Demo, signal: NodeJS.Signals): void {
  process.kill(-(demo.child.pid ?? 0), signal);
}

/** Processes started for this demo folder: the supervising shell, its watcher and influxd carry the folder in their environment. */
export function processesOf(dir: string): number[] {
  const marker = `INFLUXDB_META_DIR=${join(dir, 'influxdb', 'meta')}`;
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(marker);
      } catch {
        return false; // gone meanwhile, or not ours to read
      }
    })
    .map(Number);
}

/** SIGKILL to each of `pids` that is still there (a supervisor exits by itself once influxd is gone). */
export function killAll(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

export function bannerValue(output: string, pattern: RegExp): string {
  const value = pattern.exec(output)?.[1];
  if (!value) throw new Error(`the banner has no ${pattern}: ${output.slice(-2000)}`);
  return value;
}

/** Waits until the demo has printed `text`; fails at once when it exits first. */
export async function whenPrinted(demo: Demo, text: string, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (demo.child.exitCode !== null || demo.child.signalCode !== null) {
      throw new Error(`the demo exited (${demo.child.exitCode ?? demo.child.signalCode}): ${demo.output().slice(-2000)}`);
    }
    if (demo.output().includes(text)) return demo.output();
    if (Date.now() > deadline) throw new Error(`the demo did not print "${text}" within ${timeoutMs} ms: ${demo.output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
