/** How a classifier did on a set of rows, in the shape `report.json` and the registry store. */
export interface ClassMetrics {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  /** Rows whose true class is this one. */
  support: number;
}

export interface ConfusionMatrix {
  labels: string[];
  /** matrix[true][predicted], in `labels` order. */
  matrix: number[][];
}

export interface ClassificationReport {
  rows: number;
  accuracy: number;
  /** Mean F1 over the classes present in the truth or the predictions. */
  macroF1: number;
  perClass: ClassMetrics[];
  confusion: ConfusionMatrix;
}

/** Train next to test: a large gap would mean the model memorised its training rows. */
export interface EvaluationReport {
  target: string;
  train: { rows: number; accuracy: number; macroF1: number };
  test: ClassificationReport;
}

const ratio = (a: number, b: number) => (b > 0 ? a / b : 0);

/**
 * Scores predictions against the truth. `counts` weighs rows that stand for several identical
 * ones (deduplicated data); every count is 1 when absent.
 */
export function evaluateClassification(
  labels: readonly string[],
  truth: readonly string[],
  predicted: readonly string[],
  counts?: readonly number[]
): ClassificationReport {
  if (truth.length !== predicted.length) throw new Error('truth and predictions differ in length');
  const all = [...labels];
  for (const label of [...truth, ...predicted]) if (!all.includes(label)) all.push(label);
  const index = new Map(all.map((label, i) => [label, i] as const));
  const matrix = all.map(() => all.map(() => 0));
  let correct = 0;
  let rows = 0;
  truth.forEach((t, i) => {
    const c = counts?.[i] ?? 1;
    matrix[index.get(t) ?? 0][index.get(predicted[i]) ?? 0] += c;
    if (t === predicted[i]) correct += c;
    rows += c;
  });
  const perClass = all.map((label, k) => {
    const tp = matrix[k][k];
    const support = matrix[k].reduce((a, b) => a + b, 0);
    const predictedAs = matrix.reduce((sum, row) => sum + row[k], 0);
    const precision = ratio(tp, predictedAs);
    const recall = ratio(tp, support);
    return { label, precision, recall, f1: ratio(2 * precision * recall, precision + recall), support };
  });
  const scored = perClass.filter((m, k) => m.support > 0 || matrix.some((row) => row[k] > 0));
  return {
    rows,
    accuracy: ratio(correct, rows),
    macroF1: ratio(
      scored.reduce((sum, m) => sum + m.f1, 0),
      scored.length
    ),
    perClass,
    confusion: { labels: all, matrix },
  };
}
