import { createFeaturizer, fitFeaturizer, toSparseMatrix } from './featurizer';

/** Test fixture: a separable toy problem of nine log lines in three classes, featurized. */
export const texts: Array<[string, string]> = [
  ['link down on port', 'network'],
  ['interface flapping link', 'network'],
  ['bgp neighbor down', 'network'],
  ['fan failure detected', 'hardware'],
  ['disk failure predicted', 'hardware'],
  ['power supply failure', 'hardware'],
  ['failed password for root', 'security'],
  ['invalid user login attempt', 'security'],
  ['port scan detected', 'security'],
];

export function toySet() {
  const inputs = texts.map(([text]) => ({ text, context: {} }));
  const featurizer = createFeaturizer(fitFeaturizer(inputs, { minDocumentFrequency: 1 }));
  const labels = ['hardware', 'network', 'security'];
  return {
    featurizer,
    set: {
      features: toSparseMatrix(
        inputs.map((i) => featurizer.transform(i)),
        featurizer.dimension
      ),
      targets: texts.map(([, label]) => labels.indexOf(label)),
      labels,
    },
  };
}
