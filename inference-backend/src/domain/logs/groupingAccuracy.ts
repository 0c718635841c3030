/**
 * Grouping accuracy as logparser's evaluator defines it (Zhu et al., ICSE-SEIP 2019): a line
 * is parsed correctly when the lines sharing its predicted group are exactly the lines sharing
 * its ground-truth template. One stray line therefore spoils its whole predicted group and
 * every line of its true template, which is what makes the measure strict.
 *
 * `truth[i]` and `predicted[i]` label line i; labels are compared only for equality.
 */
export function groupingAccuracy(truth: readonly string[], predicted: readonly string[]): number {
  if (truth.length !== predicted.length) {
    throw new RangeError(`ground truth has ${truth.length} lines, prediction ${predicted.length}`);
  }
  if (truth.length === 0) return 1;

  const truthSizes = new Map<string, number>();
  for (const label of truth) truthSizes.set(label, (truthSizes.get(label) ?? 0) + 1);

  // Per predicted group: its size and its single true label, or null once two labels meet.
  const groups = new Map<string, { size: number; label: string | null }>();
  for (let i = 0; i < predicted.length; i++) {
    const group = groups.get(predicted[i]);
    if (group === undefined) groups.set(predicted[i], { size: 1, label: truth[i] });
    else {
      group.size++;
      if (group.label !== truth[i]) group.label = null;
    }
  }

  let correct = 0;
  for (const { size, label } of groups.values()) {
    if (label !== null && truthSizes.get(label) === size) correct += size;
  }
  return correct / truth.length;
}
