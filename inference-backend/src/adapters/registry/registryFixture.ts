import { MANIFEST_FORMAT } from '../../domain/mlops/manifest';
import type { ModelManifest } from '../../domain/mlops/manifest';

/**
 * A minimal text-classifier manifest for the registry's tests (the registry stores and checks
 * manifests; these tests need one that is valid, not a trained model): `saveModel` gives it its
 * version and parent.
 */
export const draftManifest = (
  name: string,
  extra: Partial<ModelManifest> = {}
): Omit<ModelManifest, 'version' | 'parentVersion'> => ({
  format: MANIFEST_FORMAT,
  name,
  createdAt: new Date(0).toISOString(),
  target: 'department',
  kind: 'linear_text_classifier',
  labels: ['a', 'b'],
  inputs: { textColumns: ['title'], contextColumns: [], tensor: { name: 'features', dimension: 1 } },
  outputs: { name: 'probabilities' },
  featurizer: {
    version: 1,
    maskingVersion: 1,
    options: { maxFeatures: 1, wordNgrams: [1], charNgrams: [], minDocumentFrequency: 1 },
    vocabulary: ['x'],
    idf: [1],
  },
  trainingWindow: { trainRows: 1, testRows: 1 },
  dataHash: 'abc',
  metrics: {
    target: 'department',
    train: { rows: 1, accuracy: 1, macroF1: 1 },
    test: { rows: 1, accuracy: 0.75, macroF1: 0.5, perClass: [], confusion: { labels: [], matrix: [] } },
  },
  ...extra,
});
