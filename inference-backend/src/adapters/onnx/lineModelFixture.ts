import { MANIFEST_FORMAT, type ModelManifest } from '../../domain/mlops/manifest';
import { trainTextClassifier, type LabelledExample } from '../../domain/mlops/textClassifier';
import { FEATURE_INDICES_INPUT, FEATURE_VALUES_INPUT, PROBABILITIES_OUTPUT } from './linearClassifierExport';

/**
 * Test fixture: a small line classifier's training rows (power, network and security lines at two
 * site kinds) and the registry manifest of a model trained on them.
 */
const PHRASES: Record<string, string[]> = {
  power: ['UPS on battery after utility failure', 'PDU input voltage lost on feed A'],
  network: ['Interface Gi1/0/3 changed state to down', 'BGP neighbor 10.0.0.1 down'],
  security: ['Failed password for root from 1.2.3.4', 'Invalid user admin from 5.6.7.8'],
};

export function lineExamples(): LabelledExample[] {
  const rows: LabelledExample[] = [];
  for (let i = 0; i < 30; i++) {
    for (const [label, texts] of Object.entries(PHRASES)) {
      rows.push({
        text: `${texts[i % 2]} #${i}`,
        context: { site_kind: i % 2 ? 'hotel' : 'hospital' },
        label,
        timeMs: i,
      });
    }
  }
  return rows;
}

/** The manifest of `trained` as the registry would hold it (by default the line classifier's names and columns). */
export function lineManifestOf(
  trained: ReturnType<typeof trainTextClassifier>,
  names: { name: string; target: string; textColumns: string[]; contextColumns: string[] } = {
    name: 'event-class',
    target: 'class',
    textColumns: ['message'],
    contextColumns: ['site_kind'],
  }
): ModelManifest {
  return {
    format: MANIFEST_FORMAT,
    name: names.name,
    version: 'v1',
    createdAt: new Date(0).toISOString(),
    target: names.target,
    kind: 'linear_text_classifier',
    labels: trained.model.labels,
    inputs: {
      textColumns: names.textColumns,
      contextColumns: names.contextColumns,
      tensor: { name: FEATURE_INDICES_INPUT, values: FEATURE_VALUES_INPUT, dimension: trained.model.dimension },
    },
    outputs: { name: PROBABILITIES_OUTPUT },
    featurizer: trained.featurizer,
    trainingWindow: { trainRows: trained.window.trainRows, testRows: trained.window.testRows },
    dataHash: 'test',
    metrics: trained.report,
    parentVersion: null,
  };
}
