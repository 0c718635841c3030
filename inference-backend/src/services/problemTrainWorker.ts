import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { ProblemDataError } from '../domain/problems/errors';
import { trainAndRegister } from './problemTraining';
import type { ProblemTrainingJob, ProblemTrainingResult } from './problemTraining';

/**
 * Training a problem is seconds to minutes of synchronous arithmetic: run in the service's thread
 * it would stall the API and the pipeline. This module runs `trainAndRegister` in a worker thread,
 * relaying its progress lines; without a compiled worker script (sources run by a transpiler, as in
 * unit tests) it trains in this thread.
 */

type WorkerMessage =
  | { type: 'progress'; message: string }
  | { type: 'done'; result: ProblemTrainingResult }
  | { type: 'failed'; message: string; field?: string };

const WORKER_TAG = 'nocai-problem-training';

function workerScript(): string | undefined {
  const candidates = [
    join(__dirname, 'problemTrainWorker.js'),
    join(__dirname, '..', '..', 'dist', 'services', 'problemTrainWorker.js'),
  ];
  return candidates.find((file) => existsSync(file));
}

export async function trainProblemInWorker(
  job: ProblemTrainingJob,
  onProgress: (message: string) => void
): Promise<ProblemTrainingResult> {
  const script = workerScript();
  if (!script) return trainAndRegister(job, onProgress);
  return new Promise<ProblemTrainingResult>((resolve, reject) => {
    const worker = new Worker(script, { workerData: { tag: WORKER_TAG, job } });
    let settled = false;
    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'progress') onProgress(message.message);
      else if (message.type === 'done') {
        settled = true;
        resolve(message.result);
      } else {
        settled = true;
        reject(
          message.field !== undefined
            ? new ProblemDataError(message.message, message.field)
            : new Error(message.message)
        );
      }
    });
    worker.once('error', (error) => {
      settled = true;
      reject(error);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`the problem training worker exited with code ${code}`));
    });
  });
}

const data = workerData as { tag?: string; job?: ProblemTrainingJob } | undefined;
if (!isMainThread && parentPort && data?.tag === WORKER_TAG && data.job) {
  const port = parentPort;
  const post = (message: WorkerMessage) => port.postMessage(message);
  trainAndRegister(data.job, (message) => post({ type: 'progress', message })).then(
    (result) => post({ type: 'done', result }),
    (error: unknown) =>
      post({
        type: 'failed',
        message: error instanceof Error ? error.message : String(error),
        ...(error instanceof ProblemDataError ? { field: error.field } : {}),
      })
  );
}
