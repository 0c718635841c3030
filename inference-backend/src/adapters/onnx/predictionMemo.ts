import type { Explanation } from '@nocai/contract';
import { featureKey, type FeatureInput } from '../../domain/mlops/featurizer';
import type { ClassifierPrediction, OnnxClassifier } from './onnxClassifier';

/**
 * Distinct inputs remembered across batches. A month of simulated syslog has about 4,000
 * distinct masked lines per model; an entry is a few hundred bytes, so the bound is a few MB.
 */
export const DEFAULT_MEMO_ENTRIES = 20_000;

/**
 * A text classifier that featurizes and runs each distinct input once: syslog lines repeat
 * their templates and differ mostly in what masking replaces, so a 5,000-line page holds a
 * few hundred distinct inputs (issue 13: the pipeline near InfluxDB's own speed). Inputs with
 * the same `featureKey` have the same features, so the memo returns what the model would.
 * Least recently used entries go first once the bound is reached.
 */
export class PredictionMemo {
  private readonly predictions = new Map<string, ClassifierPrediction>();
  private readonly explanations = new Map<string, Explanation[]>();

  constructor(
    readonly classifier: OnnxClassifier,
    private readonly maxEntries = DEFAULT_MEMO_ENTRIES
  ) {}

  get modelVersion(): string {
    return this.classifier.modelVersion;
  }

  /** Keys of `inputs`; `wordsOf` lets two models over the same texts share the masking work. */
  keysOf(inputs: readonly FeatureInput[], wordsOf?: (text: string) => string): string[] {
    return inputs.map((input) => featureKey(input, wordsOf));
  }

  /** Predictions for `inputs`, whose keys are `keys` (from `keysOf`). */
  async predict(inputs: readonly FeatureInput[], keys: readonly string[]): Promise<ClassifierPrediction[]> {
    const missing = new Map<string, FeatureInput>();
    for (let i = 0; i < inputs.length; i++) {
      if (!this.predictions.has(keys[i]) && !missing.has(keys[i])) missing.set(keys[i], inputs[i]);
    }
    // Kept apart until the batch is answered: a batch with more distinct inputs than the bound
    // would otherwise evict its own first predictions.
    const computed = new Map<string, ClassifierPrediction>();
    if (missing.size > 0) {
      const predictions = await this.classifier.predict([...missing.values()]);
      let k = 0;
      for (const key of missing.keys()) computed.set(key, predictions[k++]);
    }
    const out = keys.map((key) => {
      const prediction = computed.get(key) ?? (this.predictions.get(key) as ClassifierPrediction);
      // Refreshed as recently used: re-inserting moves it to the end of the Map's order.
      this.predictions.delete(key);
      this.predictions.set(key, prediction);
      return prediction;
    });
    while (this.predictions.size > this.maxEntries)
      this.predictions.delete(this.predictions.keys().next().value as string);
    return out;
  }

  /** `classifier.explain` for an input whose key is `key`. */
  explain(input: FeatureInput, key: string, options: { label: string; top: number }): Explanation[] {
    const memoKey = `${options.label}\u0000${options.top}\u0000${key}`;
    const known = this.explanations.get(memoKey);
    if (known) return known;
    const explanation = this.classifier.explain(input, options);
    remember(this.explanations, memoKey, explanation, this.maxEntries);
    return explanation;
  }
}

function remember<T>(map: Map<string, T>, key: string, value: T, maxEntries: number): void {
  map.set(key, value);
  if (map.size > maxEntries) map.delete(map.keys().next().value as string);
}
