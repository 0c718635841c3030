import { InferenceSession, Tensor } from 'onnxruntime-node';
import type { Explanation } from '@nocai/contract';
import { BatchBuffers, createFeaturizer } from '../../domain/mlops/featurizer';
import type { FeatureInput, Featurizer, SparseMatrix } from '../../domain/mlops/featurizer';
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
 * Inputs run in chunks of at most this many rows, and of at most MAX_CHUNK_SLOTS padded
 * feature slots: the graph's Gather makes an [N, L, classes] float32 tensor, L the most
 * non-zeros of a row in the chunk, so one 7,000-character ticket must not pad 511 short ones.
 * 64k slots keep that tensor (2 MB at 8 classes) near the cache: 256k took longer per slot.
 */
export const DEFAULT_CHUNK_ROWS = 512;
const MAX_CHUNK_SLOTS = 64 * 1024;
/**
 * Inputs are featurized this many at a time, and each block's chunks run before the next block is
 * featurized: memory stays bounded for a file of a million rows, and rows are sorted by width
 * within a block, which pads about as little as sorting the whole input.
 */
const BLOCK_ROWS = 4096;

/** The element type of a graph's column indices: int32 since issue 9 part 6, int64 in graphs exported before. */
export type IndexType = 'int32' | 'int64';

/**
 * The input buffers of a call's chunks, reused from chunk to chunk: fresh ones cost a page fault
 * and a zero fill per page, a tenth of a batch's time (issue 9: predict throughput). onnxruntime
 * reads them during `run` only, and a call awaits its runs one at a time; calls that overlap (the
 * HTTP server) have buffers of their own.
 */
class ChunkBuffers {
  /** The columns: int32, or the low 32-bit words of little-endian int64 (column < 2^31; high words stay 0). */
  private low = new Int32Array(0);
  private values = new Float32Array(0);

  constructor(private readonly indexType: IndexType) {}

  /**
   * Rows `order[from..to)` of a sparse matrix as the graph takes them: [n, L] indices and
   * float32 [n, L] values, L the widest of these rows, padded with column 0 and value 0.
   */
  tensors(X: SparseMatrix, order: Int32Array, from: number, to: number): { indices: Tensor; values: Tensor } {
    // Locals: a property read of X in the loops is not hoisted, and they run once per slot.
    const { rowPtr, indices: columns, values: weights } = X;
    let L = 1;
    for (let k = from; k < to; k++) L = Math.max(L, rowPtr[order[k] + 1] - rowPtr[order[k]]);
    const n = to - from;
    const wide = this.indexType === 'int64';
    if (this.values.length < n * L) {
      const slots = Math.max(n * L, MAX_CHUNK_SLOTS);
      this.low = wide ? new Int32Array(new BigInt64Array(slots).buffer) : new Int32Array(slots);
      this.values = new Float32Array(slots);
    }
    const { low, values } = this;
    for (let k = from; k < to; k++) {
      const r = order[k];
      const first = rowPtr[r];
      const width = rowPtr[r + 1] - first;
      const slot = (k - from) * L;
      values.set(weights.subarray(first, first + width), slot);
      values.fill(0, slot + width, slot + L);
      if (wide) {
        for (let e = 0; e < width; e++) low[2 * (slot + e)] = columns[first + e];
        for (let e = width; e < L; e++) low[2 * (slot + e)] = 0;
      } else {
        low.set(columns.subarray(first, first + width), slot);
        low.fill(0, slot + width, slot + L);
      }
    }
    const indices = wide
      ? new Tensor('int64', new BigInt64Array(low.buffer, 0, n * L), [n, L])
      : new Tensor('int32', low.subarray(0, n * L), [n, L]);
    return { indices, values: new Tensor('float32', values.subarray(0, n * L), [n, L]) };
  }
}

/**
 * One intra-op thread: the graph is a gather and a sum, bound by memory, not arithmetic. A
 * second thread made each run no faster and spun a core (CPU time 191 ms instead of 108 ms for
 * 7,654 tickets, issue 9), a core the featurizer and the rest of the backend need. The
 * results are bit-identical either way.
 */
const SESSION_OPTIONS: InferenceSession.SessionOptions = { intraOpNumThreads: 1 };

export const TEXT_CLASSIFIER_KIND: ModelManifest['kind'] = 'linear_text_classifier';

const isStringArray = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((v) => typeof v === 'string');
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * What keeps a parsed manifest.json from describing a text classifier this runtime can serve
 * ("has no labels"), or undefined when nothing does: a damaged or hand-edited manifest is
 * named before onnxruntime or the featurizer trip over it.
 */
export function textClassifierManifestProblem(manifest: unknown): string | undefined {
  if (!isObject(manifest)) return 'is not a JSON object';
  if (typeof manifest.kind !== 'string') return 'has no kind';
  if (manifest.kind !== TEXT_CLASSIFIER_KIND) return `is of kind ${manifest.kind}, not ${TEXT_CLASSIFIER_KIND}`;
  const { labels, inputs, outputs, featurizer } = manifest;
  if (!isStringArray(labels) || labels.length === 0) return 'has no labels';
  if (!isObject(inputs) || !isStringArray(inputs.textColumns) || !isStringArray(inputs.contextColumns)) {
    return 'has no inputs.textColumns or inputs.contextColumns';
  }
  const tensor = inputs.tensor;
  if (!isObject(tensor) || typeof tensor.name !== 'string' || typeof tensor.dimension !== 'number') {
    return 'has no inputs.tensor';
  }
  // Format 1 graphs took one dense tensor; they are not served.
  if (typeof tensor.values !== 'string') return 'describes a dense-input model of an older nocai (retrain it)';
  if (!isObject(outputs) || typeof outputs.name !== 'string') return 'has no outputs.name';
  if (!isObject(featurizer) || !isStringArray(featurizer.vocabulary) || !Array.isArray(featurizer.idf)) {
    return 'has no featurizer vocabulary';
  }
  return undefined;
}

/**
 * The rows of X, narrowest first, rows of the same width in their order: a counting sort (widths
 * are small integers), what sorting with a comparator gave at a tenth of the cost.
 */
function byWidth(X: SparseMatrix): Int32Array {
  const { rowPtr, rows } = X;
  let widest = 0;
  for (let r = 0; r < rows; r++) widest = Math.max(widest, rowPtr[r + 1] - rowPtr[r]);
  const next = new Int32Array(widest + 1);
  for (let r = 0; r < rows; r++) next[rowPtr[r + 1] - rowPtr[r]]++;
  for (let w = 0, at = 0; w <= widest; w++) {
    const count = next[w];
    next[w] = at;
    at += count;
  }
  const order = new Int32Array(rows);
  for (let r = 0; r < rows; r++) order[next[rowPtr[r + 1] - rowPtr[r]]++] = r;
  return order;
}

/** What the graph's input `name` takes: int32 for graphs exported since issue 9 part 6, int64 for older ones. */
function indexTypeOf(session: InferenceSession, name: string): IndexType {
  const input = session.inputMetadata.find((m) => m.name === name);
  return input?.isTensor && input.type === 'int32' ? 'int32' : 'int64';
}

/** A text classifier served by onnxruntime: TS featurizes with the stored parameters, ONNX decides. */
export class OnnxClassifier {
  private constructor(
    readonly manifest: ModelManifest,
    private readonly session: InferenceSession,
    private readonly featurizer: Featurizer,
    private readonly weights: LinearModel,
    private readonly chunkRows: number,
    private readonly indexType: IndexType
  ) {}

  static async load(
    bytes: Uint8Array,
    manifest: ModelManifest,
    options: { chunkRows?: number } = {}
  ): Promise<OnnxClassifier> {
    const problem = textClassifierManifestProblem(manifest);
    if (problem) throw new Error(`the manifest of model ${manifest.name}@${manifest.version} ${problem}`);
    const featurizer = createFeaturizer(manifest.featurizer);
    const session = await InferenceSession.create(bytes, SESSION_OPTIONS);
    return new OnnxClassifier(
      manifest,
      session,
      featurizer,
      readLinearClassifier(bytes, manifest.labels),
      options.chunkRows ?? DEFAULT_CHUNK_ROWS,
      indexTypeOf(session, manifest.inputs.tensor.name)
    );
  }

  get modelVersion(): string {
    return `${this.manifest.name}@${this.manifest.version}`;
  }

  get labels(): readonly string[] {
    return this.manifest.labels;
  }

  /** The input as the model expects it, from a record holding the manifest's columns. */
  inputOf(record: Readonly<Record<string, string | undefined>>): FeatureInput {
    const { textColumns, contextColumns } = this.manifest.inputs;
    return {
      text: textColumns.map((c) => record[c] ?? '').join(' '),
      context: Object.fromEntries(contextColumns.map((c) => [c, record[c] ?? ''])),
    };
  }

  /**
   * Raw probabilities [inputs.length × labels], straight from onnxruntime, one row per input (views
   * of one matrix, see probabilityMatrix).
   */
  async probabilities(inputs: readonly FeatureInput[]): Promise<Float32Array[]> {
    const C = this.manifest.labels.length;
    const P = await this.probabilityMatrix(inputs);
    return Array.from(inputs, (_, r) => P.subarray(r * C, (r + 1) * C));
  }

  /**
   * Raw probabilities of every input as one row-major [inputs.length × labels] matrix: no per-row
   * arrays for a file of a million rows. Rows run shortest first within each block of BLOCK_ROWS,
   * so that each chunk pads its rows to a similar width (ticket lengths vary a thousandfold).
   */
  async probabilityMatrix(inputs: readonly FeatureInput[]): Promise<Float32Array> {
    const C = this.manifest.labels.length;
    const { name, values = '' } = this.manifest.inputs.tensor;
    const output = this.manifest.outputs.name;
    const out = new Float32Array(inputs.length * C);
    // This call's own: calls that overlap (the HTTP server) must not write into each other's.
    const features = new BatchBuffers();
    const buffers = new ChunkBuffers(this.indexType);
    for (let block = 0; block < inputs.length; block += BLOCK_ROWS) {
      const X = this.featurizer.transformBatch(inputs.slice(block, block + BLOCK_ROWS), features);
      const width = (r: number) => X.rowPtr[r + 1] - X.rowPtr[r];
      const order = byWidth(X);
      for (let start = 0; start < order.length;) {
        let end = start + 1;
        while (
          end < order.length &&
          end - start < this.chunkRows &&
          width(order[end]) * (end - start + 1) <= MAX_CHUNK_SLOTS
        ) {
          end++;
        }
        const tensors = buffers.tensors(X, order, start, end);
        const result = await this.session.run({ [name]: tensors.indices, [values]: tensors.values });
        const probs = result[output].data as Float32Array;
        // Element by element: a subarray per row cost more than its C copies.
        for (let k = start, from = 0; k < end; k++) {
          for (let j = 0, to = (block + order[k]) * C; j < C; j++) out[to + j] = probs[from++];
        }
        start = end;
      }
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
