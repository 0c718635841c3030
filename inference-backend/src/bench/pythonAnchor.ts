import { spawn } from 'node:child_process';
import { progress } from './report';

/**
 * Runs a bench anchor script (`bench/python/*.py`, scikit-learn in the project's virtualenv) and
 * resolves with the JSON it prints; its stderr lines are shown as progress, and a failure rejects
 * with the script's last stderr line.
 */
export function runPythonJson<T>(command: string, args: readonly string[]): Promise<T> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
      for (const line of chunk.toString().split('\n')) if (line.trim() !== '') progress(`scikit-learn: ${line.trim()}`);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0)
        reject(
          new Error(
            `scikit-learn (${args.find((a) => a.endsWith('.py')) ?? command}) exited with ${code}: ${err.trim().split('\n').pop()}`
          )
        );
      else {
        try {
          resolvePromise(JSON.parse(out) as T);
        } catch (error) {
          reject(new Error(`scikit-learn printed no JSON answer: ${(error as Error).message}`));
        }
      }
    });
  });
}
