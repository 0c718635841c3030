import { createMasker, MASKING_VERSION } from '../logs/masking';

/**
 * Text → TF-IDF features for the linear classifiers. ONNX cannot mask or tokenise, so this
 * runs in TypeScript at training and at serving time; the parameters it learns (vocabulary,
 * idf) are stored with the model, and any change to what a text turns into (tokenising,
 * n-grams, weighting) must bump FEATURIZER_VERSION so old models refuse to load.
 */
export const FEATURIZER_VERSION = 1;

export const DEFAULT_MAX_FEATURES = 20_000;

/** One example as the featurizer sees it: free text plus categorical context (`site_kind` → `hospital`). */
export interface FeatureInput {
  text: string;
  context: Readonly<Record<string, string>>;
}

export interface FeaturizerOptions {
  /** Vocabulary size: the K features found in the most training documents. */
  maxFeatures: number;
  /** Word n-gram lengths, e.g. [1, 2] for unigrams and bigrams. */
  wordNgrams: readonly number[];
  /** Character n-gram lengths inside words (e.g. [3, 4]); empty for none. */
  charNgrams: readonly number[];
  /** Features seen in fewer training documents are dropped (typos, one-off ids). */
  minDocumentFrequency: number;
}

export const DEFAULT_FEATURIZER_OPTIONS: FeaturizerOptions = {
  maxFeatures: DEFAULT_MAX_FEATURES,
  wordNgrams: [1, 2],
  charNgrams: [],
  minDocumentFrequency: 1,
};

/** Everything needed to featurize exactly as at training time; plain JSON, stored in the manifest. */
export interface FeaturizerParams {
  version: number;
  maskingVersion: number;
  options: FeaturizerOptions;
  /** Feature names; position = column of the feature matrix. Context features are `ctx:name=value`. */
  vocabulary: string[];
  /** Inverse document frequency per vocabulary entry. */
  idf: number[];
}

/** A row of the feature matrix: ascending column indices and their values. */
export interface SparseVector {
  indices: number[];
  values: number[];
}

export const CONTEXT_PREFIX = 'ctx:';

const masker = createMasker();
const WORD_RE = /<[a-z*]+>|[a-z0-9_]+/g;

/** Lower-cased words of the masked text; placeholders such as `<num>` stay whole. */
export function words(text: string): string[] {
  return masker.mask(text).toLowerCase().match(WORD_RE) ?? [];
}

/** Every feature of one input, repeated as often as it occurs (term counts). */
export function featureTokens(input: FeatureInput, options: FeaturizerOptions): string[] {
  const ws = words(input.text);
  const out: string[] = [];
  for (const n of options.wordNgrams) {
    for (let i = 0; i + n <= ws.length; i++) out.push(n === 1 ? ws[i] : ws.slice(i, i + n).join(' '));
  }
  for (const n of options.charNgrams) {
    for (const w of ws) {
      if (w.startsWith('<')) continue;
      const padded = `^${w}$`;
      for (let i = 0; i + n <= padded.length; i++) out.push(`#${padded.slice(i, i + n)}`);
    }
  }
  for (const [name, value] of Object.entries(input.context).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (value !== '') out.push(`${CONTEXT_PREFIX}${name}=${value.toLowerCase()}`);
  }
  return out;
}

function countTokens(tokens: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const t of tokens) counts.set(t, (counts.get(t) ?? 0) + 1);
  return counts;
}

/**
 * Learns the vocabulary (top `maxFeatures` by document frequency, ties by name so the result
 * never depends on input order beyond the counts) and smoothed idf, ln((1+N)/(1+df)) + 1.
 * `weights` counts a document several times (deduplicated training rows).
 */
export function fitFeaturizer(
  inputs: readonly FeatureInput[],
  options: Partial<FeaturizerOptions> = {},
  weights?: readonly number[]
): FeaturizerParams {
  const opts: FeaturizerOptions = { ...DEFAULT_FEATURIZER_OPTIONS, ...options };
  const df = new Map<string, number>();
  let documents = 0;
  inputs.forEach((input, i) => {
    const w = weights?.[i] ?? 1;
    documents += w;
    for (const token of new Set(featureTokens(input, opts))) df.set(token, (df.get(token) ?? 0) + w);
  });
  const ranked = [...df.entries()]
    .filter(([, count]) => count >= opts.minDocumentFrequency)
    .sort(([a, ca], [b, cb]) => cb - ca || (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, opts.maxFeatures);
  return {
    version: FEATURIZER_VERSION,
    maskingVersion: MASKING_VERSION,
    options: opts,
    vocabulary: ranked.map(([token]) => token),
    idf: ranked.map(([, count]) => Math.log((1 + documents) / (1 + count)) + 1),
  };
}

export interface Featurizer {
  readonly params: FeaturizerParams;
  /** Number of columns of the feature matrix. */
  readonly dimension: number;
  /** TF-IDF of the input's known features, L2-normalised (all zeros when none is known). */
  transform(input: FeatureInput): SparseVector;
}

export class FeaturizerVersionError extends Error {}

export function createFeaturizer(params: FeaturizerParams): Featurizer {
  if (params.version !== FEATURIZER_VERSION || params.maskingVersion !== MASKING_VERSION) {
    throw new FeaturizerVersionError(
      `model featurizes with v${params.version} (masking v${params.maskingVersion}); ` +
        `this build has v${FEATURIZER_VERSION} (masking v${MASKING_VERSION}): retrain the model`
    );
  }
  const index = new Map(params.vocabulary.map((token, i) => [token, i] as const));
  return {
    params,
    dimension: params.vocabulary.length,
    transform(input) {
      const entries: Array<[number, number]> = [];
      for (const [token, count] of countTokens(featureTokens(input, params.options))) {
        const column = index.get(token);
        if (column !== undefined) entries.push([column, count * params.idf[column]]);
      }
      entries.sort((a, b) => a[0] - b[0]);
      const norm = Math.sqrt(entries.reduce((sum, [, v]) => sum + v * v, 0));
      return {
        indices: entries.map(([column]) => column),
        values: entries.map(([, v]) => (norm > 0 ? v / norm : 0)),
      };
    },
  };
}

/** Dense row-major float32 [rows.length, dimension] matrix, the shape the ONNX graph takes. */
export function toDenseMatrix(rows: readonly SparseVector[], dimension: number): Float32Array {
  const out = new Float32Array(rows.length * dimension);
  rows.forEach((row, r) => {
    for (let k = 0; k < row.indices.length; k++) out[r * dimension + row.indices[k]] = row.values[k];
  });
  return out;
}
