import type { Explanation } from '@nocai/contract';
import { featureKey, type FeatureInput } from '../../domain/mlops/featurizer';
import { FixedLru } from './fixedLru';
import type { ClassifierPrediction, OnnxClassifier } from './onnxClassifier';

/**
 * Distinct inputs remembered across batches. A month of simulated syslog has about 4,000
 * distinct masked lines per model; an entry takes its key's characters (256 code units set
 * aside a key) and a row of probabilities, about 0.6 MB per 1,000 entries, all allocated up front.
 * Halved, the bound held ten weeks of the soak's syslog without an eviction but not sixteen,
 * where it evicted and lost about half a point of hit rate (issue 13).
 */
export const DEFAULT_MEMO_ENTRIES = 20_000;

/** How often the memo found what it was asked (issue 13: a bound that costs nothing when halved is a bound to halve). */
export interface MemoStats {
  /** Inputs asked for, one per line. */
  inputs: number;
  /** Distinct inputs of each batch looked up in the memo. */
  lookups: number;
  hits: number;
  /** Featurized and run by the model. */
  misses: number;
  evictions: number;
  size: number;
  capacity: number;
  /** Code units of the keys held. */
  keyChars: number;
  explanations: { lookups: number; hits: number; size: number };
}

/** The answers for a batch: per input, its row of `rows` ([distinct inputs × labels] probabilities) and its best label. */
export interface MemoAnswers {
  rowOf: Int32Array;
  rows: Float32Array;
  /** Index into `labels` per input: the first label of highest probability, as OnnxClassifier.predict picks it. */
  best: Int32Array;
  /** Its probability per input. */
  confidence: Float32Array;
}

/**
 * A text classifier that featurizes and runs each distinct input once: syslog lines repeat
 * their templates and differ mostly in what masking replaces, so a 5,000-line page holds a
 * few hundred distinct inputs (issue 13: the pipeline near InfluxDB's own speed). Inputs with
 * the same `featureKey` have the same features, so the memo returns what the model would.
 * Least recently used entries go first once the bound is reached. Keys and probabilities live in
 * typed arrays allocated at full capacity (FixedLru): filling the memo grows no heap.
 */
export class PredictionMemo {
  readonly labels: readonly string[];
  private readonly keys: FixedLru;
  /** [capacity × labels] probabilities, a row per entry of `keys`. */
  private readonly stored: Float32Array;
  private readonly explanations = new Map<string, Explanation[]>();
  private readonly counts = { inputs: 0, lookups: 0, hits: 0, misses: 0, explainLookups: 0, explainHits: 0 };

  constructor(
    readonly classifier: OnnxClassifier,
    private readonly maxEntries = DEFAULT_MEMO_ENTRIES
  ) {
    this.labels = classifier.manifest.labels;
    this.keys = new FixedLru(maxEntries);
    this.stored = new Float32Array(maxEntries * this.labels.length).fill(0);
  }

  get modelVersion(): string {
    return this.classifier.modelVersion;
  }

  get stats(): MemoStats {
    const c = this.counts;
    return {
      inputs: c.inputs,
      lookups: c.lookups,
      hits: c.hits,
      misses: c.misses,
      evictions: this.keys.evictions,
      size: this.keys.size,
      capacity: this.keys.capacity,
      keyChars: this.keys.keyChars,
      explanations: { lookups: c.explainLookups, hits: c.explainHits, size: this.explanations.size },
    };
  }

  /** Keys of `inputs`; `wordsOf` lets two models over the same texts share the masking work. */
  keysOf(inputs: readonly FeatureInput[], wordsOf?: (text: string) => string): string[] {
    return inputs.map((input) => featureKey(input, wordsOf));
  }

  /**
   * The model's probabilities for `inputs`, whose keys are `keys` (from `keysOf`): each distinct
   * key of the batch is looked up once, those the memo lacks are run together, and then the
   * memo holds the most recently used keys as if the inputs had been asked for one by one.
   */
  async answer(inputs: readonly FeatureInput[], keys: readonly string[]): Promise<MemoAnswers> {
    const L = this.labels.length;
    const distinct = new Map<string, number>();
    const distinctKeys: string[] = [];
    const rowOf = new Int32Array(inputs.length);
    const missingInputs: FeatureInput[] = [];
    const missingRows: number[] = [];
    for (let i = 0; i < inputs.length; i++) {
      let d = distinct.get(keys[i]);
      if (d === undefined) {
        d = distinctKeys.length;
        distinct.set(keys[i], d);
        distinctKeys.push(keys[i]);
        missingInputs.push(inputs[i]);
      }
      rowOf[i] = d;
    }
    const rows = new Float32Array(distinctKeys.length * L);
    // Known rows are copied before the model runs: a call overlapping this one cannot take them away.
    let missing = 0;
    for (let d = 0; d < distinctKeys.length; d++) {
      const e = this.keys.find(distinctKeys[d]);
      if (e >= 0) rows.set(this.stored.subarray(e * L, (e + 1) * L), d * L);
      else {
        missingInputs[missing] = missingInputs[d];
        missingRows[missing++] = d;
      }
    }
    missingInputs.length = missing;
    this.counts.inputs += inputs.length;
    this.counts.lookups += distinctKeys.length;
    this.counts.hits += distinctKeys.length - missing;
    this.counts.misses += missing;
    if (missing > 0) {
      const computed = await this.classifier.probabilityMatrix(missingInputs);
      for (let m = 0; m < missing; m++) rows.set(computed.subarray(m * L, (m + 1) * L), missingRows[m] * L);
    }
    // Recency as the inputs come: each distinct key once, in the order of its last input.
    const lastOf = new Int32Array(distinctKeys.length);
    for (let i = 0; i < inputs.length; i++) lastOf[rowOf[i]] = i;
    for (let i = 0; i < inputs.length; i++) {
      const d = rowOf[i];
      if (lastOf[d] !== i) continue;
      const e = this.keys.find(distinctKeys[d]);
      if (e >= 0) this.keys.use(e);
      else {
        const added = this.keys.add(distinctKeys[d]);
        if (added >= 0) this.stored.set(rows.subarray(d * L, (d + 1) * L), added * L);
      }
    }
    const best = new Int32Array(inputs.length);
    const confidence = new Float32Array(inputs.length);
    const bestOfRow = new Int32Array(distinctKeys.length);
    for (let d = 0; d < distinctKeys.length; d++) {
      let b = 0;
      for (let k = 1; k < L; k++) if (rows[d * L + k] > rows[d * L + b]) b = k;
      bestOfRow[d] = b;
    }
    for (let i = 0; i < inputs.length; i++) {
      best[i] = bestOfRow[rowOf[i]];
      confidence[i] = rows[rowOf[i] * L + best[i]];
    }
    return { rowOf, rows, best, confidence };
  }

  /** Predictions for `inputs`, whose keys are `keys` (from `keysOf`), as `classifier.predict` gives them. */
  async predict(inputs: readonly FeatureInput[], keys: readonly string[]): Promise<ClassifierPrediction[]> {
    const { rowOf, rows, best, confidence } = await this.answer(inputs, keys);
    const L = this.labels.length;
    const modelVersion = this.modelVersion;
    return Array.from(rowOf, (d, i) => ({
      label: this.labels[best[i]],
      confidence: confidence[i],
      probabilities: Object.fromEntries(this.labels.map((label, k) => [label, rows[d * L + k]])),
      modelVersion,
    }));
  }

  /** `classifier.explain` for an input whose key is `key`. */
  explain(input: FeatureInput, key: string, options: { label: string; top: number }): Explanation[] {
    const memoKey = `${options.label}\u0000${options.top}\u0000${key}`;
    this.counts.explainLookups++;
    const known = this.explanations.get(memoKey);
    if (known) {
      this.counts.explainHits++;
      return known;
    }
    const explanation = this.classifier.explain(input, options);
    remember(this.explanations, memoKey, explanation, this.maxEntries);
    return explanation;
  }
}

function remember<T>(map: Map<string, T>, key: string, value: T, maxEntries: number): void {
  map.set(key, value);
  if (map.size > maxEntries) map.delete(map.keys().next().value as string);
}
