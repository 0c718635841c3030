import { InferenceSession, Tensor } from 'onnxruntime-node';
import type { Explanation } from '@nocai/contract';
import { createFeaturizer, toDenseMatrix } from '../../domain/mlops/featurizer';
import type { FeatureInput, Featurizer } from '../../domain/mlops/featurizer';
import type { ModelManifest } from '../../domain/mlops/manifest';
import type { LinearModel } from '../../domain/mlops/softmaxRegression';
import { explain } from '../../domain/mlops/textClassifier';
import { readLinearClassifier } from './linearClassifierExport';

export interface ClassifierPrediction {
  label: string;
  /** Probability of `label`, in [0, 1]. */
  confidence: number;
  /** Per label, in the manifest's label order. */
  probabilities: Record<string, number>;
  modelVersion: string;
}

/**
 * Inputs run in chunks: the dense [N, V] float32 tensor costs N × V × 4 bytes (2,000 rows of
 * a 20k vocabulary: 160 MB), so N is kept to a size that stays far below that.
 */
export const DEFAULT_CHUNK_ROWS = 512;

/** A text classifier served by onnxruntime: TS featurizes with the stored parameters, ONNX decides. */
export class OnnxClassifier {
  private constructor(
    readonly manifest: ModelManifest,
    private readonly session: InferenceSession,
    private readonly featurizer: Featurizer,
    private readonly weights: LinearModel,
    private readonly chunkRows: number
  ) {}

  static async load(
    bytes: Uint8Array,
    manifest: ModelManifest,
    options: { chunkRows?: number } = {}
  ): Promise<OnnxClassifier> {
    const featurizer = createFeaturizer(manifest.featurizer);
    const session = await InferenceSession.create(bytes);
    return new OnnxClassifier(
      manifest,
      session,
      featurizer,
      readLinearClassifier(bytes, manifest.labels),
      options.chunkRows ?? DEFAULT_CHUNK_ROWS
    );
  }

  get modelVersion(): string {
    return `${this.manifest.name}@${this.manifest.version}`;
  }

  /** The input as the model expects it, from a record holding the manifest's columns. */
  inputOf(record: Readonly<Record<string, string | undefined>>): FeatureInput {
    const { textColumns, contextColumns } = this.manifest.inputs;
    return {
      text: textColumns.map((c) => record[c] ?? '').join(' '),
      context: Object.fromEntries(contextColumns.map((c) => [c, record[c] ?? ''])),
    };
  }

  /** Raw probabilities [inputs.length × labels], straight from onnxruntime. */
  async probabilities(inputs: readonly FeatureInput[]): Promise<Float32Array[]> {
    const V = this.featurizer.dimension;
    const out: Float32Array[] = [];
    for (let start = 0; start < inputs.length; start += this.chunkRows) {
      const chunk = inputs.slice(start, start + this.chunkRows).map((input) => this.featurizer.transform(input));
      const tensor = new Tensor('float32', toDenseMatrix(chunk, V), [chunk.length, V]);
      const result = await this.session.run({ [this.manifest.inputs.tensor.name]: tensor });
      const probs = result[this.manifest.outputs.name].data as Float32Array;
      const C = this.manifest.labels.length;
      for (let r = 0; r < chunk.length; r++) out.push(probs.slice(r * C, (r + 1) * C));
    }
    return out;
  }

  async predict(inputs: readonly FeatureInput[]): Promise<ClassifierPrediction[]> {
    const labels = this.manifest.labels;
    return (await this.probabilities(inputs)).map((row) => {
      let best = 0;
      for (let k = 1; k < row.length; k++) if (row[k] > row[best]) best = k;
      return {
        label: labels[best],
        confidence: row[best],
        probabilities: Object.fromEntries(labels.map((label, k) => [label, row[k]])),
        modelVersion: this.modelVersion,
      };
    });
  }

  /** Why the model leans to `label` (its prediction when absent) for this input. */
  explain(input: FeatureInput, options: { label?: string; top?: number } = {}): Explanation[] {
    return explain(this.weights, this.featurizer, input, options);
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
