import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { lock } from 'proper-lockfile';

/**
 * The tests' own Python: a virtualenv at the repo root (`.venv-test`, or NOCAI_TEST_VENV) with
 * pinned libraries from PyPI, made on first use and reused while the pins stay the same. Tests use
 * it to train real models (scikit-learn + skl2onnx, XGBoost, LightGBM) that the product imports;
 * the product itself never runs Python.
 *
 * xgboost-cpu is XGBoost's own CPU-only wheel (same library and version as `xgboost`), without the
 * ~300 MB NVIDIA NCCL wheel that `xgboost` pulls in on Linux. shap is for the explanations issue.
 */
export const TEST_PYTHON_REQUIREMENTS = [
  'numpy==2.4.6',
  'scikit-learn==1.9.1',
  'skl2onnx==1.20.0',
  'onnx==1.23.2',
  'lightgbm==4.7.0',
  'xgboost-cpu==3.2.0',
  'shap==0.51.0',
];

const REPO_ROOT = resolve(__dirname, '..', '..');
/** Written after a successful install: the pins the virtualenv holds. */
const STAMP_FILE = 'nocai-requirements.txt';

export function testVenvDir(): string {
  return process.env.NOCAI_TEST_VENV ?? join(REPO_ROOT, '.venv-test');
}

const progress = (text: string) => process.stderr.write(`[test python] ${text}\n`);

/** Runs a command, streaming its output as progress lines; rejects with its last lines on failure. */
function run(command: string, args: string[], options: { cwd?: string; quiet?: boolean } = {}): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const show = (chunk: Buffer) => {
      if (options.quiet) return;
      for (const line of chunk.toString().split('\n')) if (line.trim() !== '') progress(line.trim());
    };
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      show(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
      show(chunk);
    });
    child.on('error', (error) => reject(new Error(`cannot run ${command}: ${error.message}`)));
    child.on('close', (code) => {
      if (code === 0) resolvePromise(out);
      else {
        const tail = (err || out).trim().split('\n').slice(-5).join('\n');
        reject(new Error(`${command} ${args.join(' ')} exited with ${code}:\n${tail}`));
      }
    });
  });
}

async function isReady(venv: string): Promise<boolean> {
  const python = join(venv, 'bin', 'python');
  if (!existsSync(python)) return false;
  const stamp = await readFile(join(venv, STAMP_FILE), 'utf8').catch(() => '');
  return stamp === `${TEST_PYTHON_REQUIREMENTS.join('\n')}\n`;
}

/**
 * The python of the tests' virtualenv, created or brought to the pinned versions first. Jest
 * workers that call it at once wait on one lock: one creates, the others find it ready.
 */
export async function ensureTestPython(): Promise<string> {
  const venv = testVenvDir();
  const python = join(venv, 'bin', 'python');
  if (await isReady(venv)) return python;
  await mkdir(venv, { recursive: true });
  // An install takes a minute or two; a crashed holder's lock goes stale after 30 s without updates.
  const release = await lock(venv, {
    lockfilePath: `${venv}.lock`,
    stale: 30_000,
    update: 5_000,
    retries: { retries: 600, factor: 1, minTimeout: 1_000, maxTimeout: 1_000 },
  });
  try {
    if (await isReady(venv)) return python;
    if (!existsSync(python)) {
      progress(`creating a virtualenv in ${venv}`);
      await rm(venv, { recursive: true, force: true });
      await run('python3', ['-m', 'venv', venv]);
    }
    progress(`installing ${TEST_PYTHON_REQUIREMENTS.join(' ')} (a minute or two the first time)`);
    await run(python, [
      '-m',
      'pip',
      'install',
      '--disable-pip-version-check',
      '--progress-bar',
      'off',
      ...TEST_PYTHON_REQUIREMENTS,
    ]);
    await writeFile(join(venv, STAMP_FILE), `${TEST_PYTHON_REQUIREMENTS.join('\n')}\n`);
    progress('ready');
    return python;
  } finally {
    await release();
  }
}

/** Runs `script` (Python source) with the tests' python in `cwd`; resolves with its standard output. */
export async function runPython(script: string, cwd: string, args: string[] = []): Promise<string> {
  const python = await ensureTestPython();
  const file = join(cwd, 'script.py');
  await writeFile(file, script);
  return run(python, [file, ...args], { cwd, quiet: true });
}
