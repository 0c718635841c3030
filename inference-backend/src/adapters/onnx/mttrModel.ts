import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import {
  explainMttr,
  isResolvedByPeople,
  MTTR_MODEL_NAME,
  MTTR_TENSORS,
  spreadCrossedP90,
  trainMttrModel,
} from '../../domain/mlops/mttr';
import type {
  MttrFeatureWeight,
  MttrManifest,
  MttrMetrics,
  MttrModel,
  MttrPrediction,
  MttrPredictor,
} from '../../domain/mlops/mttr';
import { MTTR_FEATURE_VERSIONS_SERVED, writeMttrFeatures } from '../../domain/mlops/mttrFeatures';
import type { MttrTicketInput } from '../../domain/mlops/mttrFeatures';
import type { Provenance } from '../../domain/mlops/manifest';
import { loadTicketHistory } from '../files/ticketHistory';
import { mttrProfile } from '../../domain/mlops/profile';
import { saveProfile } from '../registry/profileStore';
import { sha256Hex, verifyArtifact } from '../registry/integrity';
import { buildTreeEnsembleOnnx, readOnnxMetadata, readTreeEnsembles } from './treeEnsemble';

/**
 * The MTTR model on disk and at serving time: a folder with `model.onnx` (both quantile
 * ensembles, outputs in seconds) and `manifest.json` (feature schema, training window, data
 * hash, metrics), served by onnxruntime-node.
 */

export const MTTR_ONNX_FILE = 'model.onnx';
export const MTTR_MANIFEST_FILE = 'manifest.json';

export interface MttrBundle {
  model: MttrModel;
  onnxBytes: Uint8Array;
}

export function exportMttrOnnx(model: MttrModel): Uint8Array {
  const { manifest } = model;
  return buildTreeEnsembleOnnx({
    graphName: `${manifest.name}_${manifest.version}`,
    docString: 'Time to resolve a ticket: P50 and conformal P90, seconds',
    inputName: MTTR_TENSORS.input,
    featureCount: manifest.featureSchema.features.length,
    outputs: [
      { name: MTTR_TENSORS.p50, model: model.p50, transform: 'expm1' },
      { name: MTTR_TENSORS.p90, model: model.p90, transform: 'expm1', atLeast: MTTR_TENSORS.p50 },
    ],
    // Lets a loader refuse a model.onnx that sits next to someone else's manifest.
    metadata: { name: manifest.name, version: manifest.version, feature_schema: manifest.featureSchema.version },
  });
}

/**
 * Writes a bundle; the manifest on disk also records the sha256 of model.onnx (`artifactSha256`),
 * which `loadMttrBundle` checks like the registry's `loadModel` does.
 */
/** The files of an MTTR bundle (model.onnx, and its manifest with the sha256 of it), name → content. */
export function mttrBundleFiles(model: MttrModel): {
  onnxBytes: Uint8Array;
  files: Record<string, string | Uint8Array>;
} {
  const onnxBytes = exportMttrOnnx(model);
  const stored = { ...model.manifest, artifactSha256: sha256Hex(onnxBytes) };
  return {
    onnxBytes,
    files: { [MTTR_ONNX_FILE]: onnxBytes, [MTTR_MANIFEST_FILE]: JSON.stringify(stored, null, 2) + '\n' },
  };
}

export async function writeMttrBundle(dir: string, model: MttrModel): Promise<MttrBundle> {
  const { onnxBytes, files } = mttrBundleFiles(model);
  await mkdir(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content);
  return { model, onnxBytes };
}

function checkManifest(raw: unknown, dir: string): MttrManifest {
  const manifest = raw as Partial<MttrManifest> | null;
  if (manifest?.name !== MTTR_MODEL_NAME || typeof manifest.version !== 'string') {
    throw new Error(`${join(dir, MTTR_MANIFEST_FILE)} is not an MTTR model manifest`);
  }
  if (!MTTR_FEATURE_VERSIONS_SERVED.includes(manifest.featureSchema?.version ?? '')) {
    throw new Error(
      `MTTR model ${manifest.version} uses features ${String(manifest.featureSchema?.version)}; this code serves ${MTTR_FEATURE_VERSIONS_SERVED.join(' and ')}`
    );
  }
  return manifest as MttrManifest;
}

/** Reads a bundle; the trees come from model.onnx itself, so explanations match what is served. */
export async function loadMttrBundle(dir: string): Promise<MttrBundle> {
  const raw: unknown = JSON.parse(await readFile(join(dir, MTTR_MANIFEST_FILE), 'utf8'));
  const manifest = checkManifest(raw, dir);
  const onnxBytes = new Uint8Array(await readFile(join(dir, MTTR_ONNX_FILE)));
  // Files of two trainings side by side say so; any other change to model.onnx fails the sha256.
  let metadata: Record<string, string> | undefined;
  try {
    metadata = readOnnxMetadata(onnxBytes);
  } catch {
    metadata = undefined;
  }
  if (metadata && metadata.version !== manifest.version) {
    throw new Error(`${dir}: model.onnx is version ${metadata.version ?? '?'}, manifest says ${manifest.version}`);
  }
  verifyArtifact(join(dir, MTTR_ONNX_FILE), raw as { artifactSha256?: unknown }, onnxBytes);
  if (!metadata) throw new Error(`${dir}: model.onnx is not an ONNX model`);
  const ensembles = readTreeEnsembles(onnxBytes);
  const p50 = ensembles.get(MTTR_TENSORS.p50);
  const p90 = ensembles.get(MTTR_TENSORS.p90);
  if (!p50 || !p90) throw new Error(`${dir}: model.onnx lacks the ${MTTR_TENSORS.p50}/${MTTR_TENSORS.p90} ensembles`);
  return { model: { manifest, p50, p90 }, onnxBytes };
}

export class OnnxMttrModel implements MttrPredictor {
  private constructor(
    private readonly session: InferenceSession,
    private readonly model: MttrModel
  ) {}

  static async create(bundle: MttrBundle): Promise<OnnxMttrModel> {
    return new OnnxMttrModel(await InferenceSession.create(bundle.onnxBytes), bundle.model);
  }

  static async fromModel(model: MttrModel): Promise<OnnxMttrModel> {
    return OnnxMttrModel.create({ model, onnxBytes: exportMttrOnnx(model) });
  }

  static async load(dir: string): Promise<OnnxMttrModel> {
    return OnnxMttrModel.create(await loadMttrBundle(dir));
  }

  get version(): string {
    return this.model.manifest.version;
  }

  get manifest(): MttrManifest {
    return this.model.manifest;
  }

  async predict(inputs: readonly MttrTicketInput[]): Promise<MttrPrediction[]> {
    if (inputs.length === 0) return [];
    const schema = this.model.manifest.featureSchema;
    const width = schema.features.length;
    const features = new Float32Array(inputs.length * width);
    inputs.forEach((input, i) => writeMttrFeatures(schema, input, features, i * width));
    const results = await this.session.run({
      [MTTR_TENSORS.input]: new Tensor('float32', features, [inputs.length, width]),
    });
    const p50 = results[MTTR_TENSORS.p50].data as Float32Array;
    const p90 = results[MTTR_TENSORS.p90].data as Float32Array;
    const modelVersion = this.version;
    // The graph caps the P90 at the P50; where they crossed, the P90 gets the model's typical spread.
    return inputs.map((_, i) =>
      spreadCrossedP90(this.model.manifest, {
        p50Seconds: Math.max(0, p50[i]),
        p90Seconds: Math.max(0, p90[i]),
        modelVersion,
      })
    );
  }

  explain(input: MttrTicketInput, options: { quantile?: 0.5 | 0.9; top?: number } = {}): MttrFeatureWeight[] {
    return explainMttr(this.model, input, options);
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

export interface TrainedMttr {
  bundle: MttrBundle;
  report: MttrMetrics;
  trainingMs: number;
}

/**
 * The demo's training step: a ticket history file (history/tickets.jsonl of `nocai simulate`, or
 * one with `nocai labels` rows appended) in, a model folder out; rows the backend auto-resolved
 * are left out (counted in the manifest). `version` is the registry version the folder holds
 * (`v1`): the manifest carries it, so tickets name the model `mttr@v1` as the registry does and
 * its production accuracy is the champion's. `onProgress` is called once per tree built.
 */
export async function trainDefaultMttr(
  ticketsJsonlPath: string,
  outDir: string,
  version: string,
  onProgress?: (treesBuilt: number, treesTotal: number) => void,
  provenance?: Provenance
): Promise<TrainedMttr> {
  const rows = await loadTicketHistory(ticketsJsonlPath);
  const started = performance.now();
  const { model, report } = trainMttrModel(rows, { version, onProgress, provenance });
  const trainingMs = performance.now() - started;
  const bundle = await writeMttrBundle(outDir, model);
  // The drift stage's reference: the tickets people resolved, the rows the trees learnt from.
  await saveProfile(outDir, mttrProfile(model.manifest, rows.filter(isResolvedByPeople)));
  return { bundle, report, trainingMs };
}
