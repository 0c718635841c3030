import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { Table } from '../adapters/files/csv';
import { trainTarget, TrainInputError } from '../commands/train';
import type { TicketHistoryRow } from '@nocai/contract';
import { mttrBundleFiles } from '../adapters/onnx/mttrModel';
import { crashPoint } from '../adapters/registry/crashPoints';
import { writeFolderAtomically } from '../adapters/registry/durableFiles';
import { withModelLock } from '../adapters/registry/modelLock';
import { profileFile } from '../adapters/registry/profileStore';
import type { Provenance } from '../domain/mlops/manifest';
import { isResolvedByPeople, trainMttrModel } from '../domain/mlops/mttr';
import { mttrProfile } from '../domain/mlops/profile';
import type { Row } from '../domain/mlops/tabularFeatures';
import { failureLabelOptions, trainRunToFailureChallenger, type RunToFailureTarget } from './maintenanceRetraining';
import { MODEL_CATALOG, textSpecOf } from './modelCatalog';
import { WEIGHT_COLUMN } from './trainingTable';

/**
 * Training a challenger takes seconds to minutes of synchronous arithmetic; run in the service's
 * own thread it would stall the API and the pipeline for that long. This module trains one
 * catalog model in a worker thread and answers with the version it registered.
 */
interface TrainJob {
  model: string;
  /** A text classifier's training table, or the MTTR trees' ticket rows and the version to write. */
  table?: Table;
  mttr?: { rows: TicketHistoryRow[]; version: string };
  /** A PLC run-to-failure model's rows (see `maintenanceRetraining.ts`). */
  failure?: { rows: Row[]; target: RunToFailureTarget; horizonH: number };
  registryDir: string;
  /** Who asked for the version and why, recorded in its manifest. */
  provenance?: Provenance;
}

type TrainAnswer = { ok: true; version: string } | { ok: false; inputError: boolean; message: string };

async function trainHere(job: TrainJob): Promise<string> {
  const entry = MODEL_CATALOG.find((e) => e.name === job.model);
  if (job.failure) {
    const { rows, target, horizonH } = job.failure;
    return trainRunToFailureChallenger(
      job.registryDir,
      job.model,
      target,
      rows,
      failureLabelOptions(horizonH),
      job.provenance
    );
  }
  if (job.mttr) {
    // The MTTR trees write their own bundle (model.onnx + manifest with its sha256) and profile.
    const { rows, version } = job.mttr;
    let model;
    try {
      ({ model } = trainMttrModel(rows, { version, provenance: job.provenance }));
    } catch (error) {
      if (error instanceof RangeError) throw new TrainInputError(error.message);
      throw error;
    }
    // Like every version of the registry: written whole under the model's lock, or not at all.
    const { files } = mttrBundleFiles(model);
    const profile = profileFile(mttrProfile(model.manifest, rows.filter(isResolvedByPeople)));
    await mkdir(join(job.registryDir, job.model), { recursive: true });
    await withModelLock(job.registryDir, job.model, () =>
      writeFolderAtomically(join(job.registryDir, job.model, version), { ...files, ...profile }, () =>
        crashPoint('version-staged')
      )
    );
    return version;
  }
  const spec = entry ? textSpecOf(entry) : undefined;
  if (!spec || !job.table) throw new Error(`model ${job.model} has no trainer in the catalog`);
  const trained = await trainTarget(job.table, { ...spec, weightColumn: WEIGHT_COLUMN }, job.registryDir, {
    provenance: job.provenance,
  });
  return trained.manifest.version;
}

/** The compiled worker script: next to this file in dist/, or dist/ seen from the sources (tests run them through a transpiler). */
function workerScript(): string | undefined {
  const candidates = [
    join(__dirname, 'trainWorker.js'),
    join(__dirname, '..', '..', 'dist', 'services', 'trainWorker.js'),
  ];
  return candidates.find((file) => existsSync(file));
}

/**
 * Trains `model` on `table` into `registryDir` off the main thread and returns the new version;
 * a `TrainInputError` (too few rows of a class…) comes back as one. Without a compiled worker
 * script (sources never built), it trains in this thread.
 */
export async function trainInWorker(
  model: string,
  table: Table,
  registryDir: string,
  provenance?: Provenance
): Promise<string> {
  return runJob({ model, table, registryDir, provenance });
}

/** The MTTR trees on `rows`, written as `version` of the MTTR model in `registryDir`, off the main thread. */
export async function trainMttrInWorker(
  model: string,
  rows: TicketHistoryRow[],
  version: string,
  registryDir: string,
  provenance?: Provenance
): Promise<string> {
  return runJob({ model, mttr: { rows, version }, registryDir, provenance });
}

/** A PLC run-to-failure model (`target`) on `rows`, stored as a new version (not champion) of `model`, off the main thread. */
export async function trainRunToFailureInWorker(
  model: string,
  target: RunToFailureTarget,
  rows: Row[],
  registryDir: string,
  horizonH: number,
  provenance?: Provenance
): Promise<string> {
  return runJob({ model, failure: { rows, target, horizonH }, registryDir, provenance });
}

async function runJob(job: TrainJob): Promise<string> {
  const script = workerScript();
  const model = job.model;
  if (!script) return trainHere(job);
  const answer = await new Promise<TrainAnswer>((resolve, reject) => {
    const worker = new Worker(script, { workerData: job });
    worker.once('message', (message: TrainAnswer) => resolve(message));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`the training worker for ${model} exited with code ${code}`));
    });
  });
  if (answer.ok) return answer.version;
  throw answer.inputError ? new TrainInputError(answer.message) : new Error(answer.message);
}

if (!isMainThread && parentPort && (workerData as Partial<TrainJob> | undefined)?.model) {
  const port = parentPort;
  trainHere(workerData as TrainJob).then(
    (version) => port.postMessage({ ok: true, version } satisfies TrainAnswer),
    (error: unknown) =>
      port.postMessage({
        ok: false,
        inputError: error instanceof TrainInputError,
        message: error instanceof Error ? error.message : String(error),
      } satisfies TrainAnswer)
  );
}
