import { DEPARTMENTS } from '@nocai/contract';
import type { MANIFEST_FORMAT, VersionMetadata } from './manifest';

/**
 * Models trained elsewhere (scikit-learn via skl2onnx, XGBoost and LightGBM from Python, R or
 * Julia) and imported into the registry after a check on reference data (issue 11). What the
 * registry keeps of them: how to feed the graph, how to read it, and what the check found.
 */

export const IMPORTED_KIND = 'imported';
export const IMPORT_FORMATS = ['onnx', 'xgboost-json', 'lightgbm-json'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];
export type ImportTask = 'classification' | 'regression';

export const COLUMN_TYPES = ['float', 'int', 'string'] as const;
export type ColumnType = (typeof COLUMN_TYPES)[number];

/**
 * Either named columns fed, in this order, as one tensor [N, columns.length] (numbers for
 * `float`/`int` columns, strings when every column is `string`), or one text column fed as a
 * string tensor [N, 1].
 */
export type ImportedInputs =
  | { kind: 'columns'; tensor: string; columns: Array<{ name: string; type: ColumnType }> }
  | { kind: 'text'; tensor: string; column: string };

/** Graph outputs: a label [N] or [N, 1], probabilities [N, labels.length] in `labels` order, or a value [N] / [N, 1]. */
export interface ImportedOutputs {
  label?: string;
  probabilities?: string;
  value?: string;
}

/** What the user declares (a manifest file or flags); the registry adds the rest. */
export interface ImportSpec {
  name: string;
  target: string;
  task: ImportTask;
  format: ImportFormat;
  inputs: ImportedInputs;
  outputs: ImportedOutputs;
  /** Classification: the order of the probability columns. Regression: empty. */
  labels: string[];
}

/** Where an import's spec came from: a manifest file (or the API's JSON), or the CLI's flags alone. */
export type SpecOrigin = 'manifest' | 'flags';

/**
 * How a refusal raised after the spec is accepted (by the graph, the dump or the reference rows)
 * names what the user declared: a manifest's fields, or, for an import given by flags, the flags,
 * since the user never wrote a manifest.
 */
export interface SpecTerms {
  /** `the manifest declares` / `--columns gives`, followed by what the inputs are. */
  inputsAre(inputs: ImportedInputs): string;
  /** `the manifest mixes` / `--columns mixes`. */
  columnsMix: string;
  /** `the manifest declares a regression` / `--task says regression`. */
  taskIs(task: ImportTask, noun?: string): string;
  /** `the manifest lists` / `--labels lists`, followed by the count. */
  labelsList: string;
  /** `the manifest's labels` / `--labels`. */
  labels: string;
  /** `the manifest's label order` / `the order of --labels`. */
  labelOrder: string;
}

export function specTerms(origin: SpecOrigin = 'manifest'): SpecTerms {
  if (origin === 'flags') {
    return {
      inputsAre: (inputs) => (inputs.kind === 'text' ? '--text-column gives' : '--columns gives'),
      columnsMix: '--columns mixes',
      taskIs: (task) => `--task says ${task}`,
      labelsList: '--labels lists',
      labels: '--labels',
      labelOrder: 'the order of --labels',
    };
  }
  return {
    inputsAre: () => 'the manifest declares',
    columnsMix: 'the manifest mixes',
    taskIs: (task, noun) => `the manifest declares a ${noun ?? task}`,
    labelsList: 'the manifest lists',
    labels: "the manifest's labels",
    labelOrder: "the manifest's label order",
  };
}

/** The reference check's figures, stored as the version's metrics. */
export interface ImportCheckReport {
  referenceRows: number;
  /** Which expected columns the reference file held (`expected_label`, `expected_p_<label>`, `expected_value`). */
  expectedColumns: string[];
  /** Largest |ours − expected| over every probability (or value) compared; null when none was given. */
  maxAbsDifference: number | null;
  /** Share of rows whose label equals `expected_label`; null when the file has no such column. */
  labelAgreement: number | null;
  /** The tolerance the comparison used: |ours − expected| ≤ tolerance × max(1, |expected|). */
  tolerance: number;
  /** Largest |Σ probabilities − 1| over the rows (classification). */
  maxProbabilitySumError: number | null;
}

export interface ImportedManifest extends Omit<ImportSpec, 'format'>, VersionMetadata {
  format: typeof MANIFEST_FORMAT;
  kind: typeof IMPORTED_KIND;
  /** Named `format` in the spec; kept apart here because `format` is the manifest's own format number. */
  sourceFormat: ImportFormat;
  version: string;
  parentVersion: string | null;
  createdAt: string;
  /**
   * The file as given: its name and sha256; for converted dumps the objective and tree count; and
   * what the import changed in an ONNX file to load it here, if anything.
   */
  source: { file: string; sha256: string; objective?: string; trees?: number; changed?: string };
  /** sha256 of the reference rows the check ran on. */
  dataHash: string;
  metrics: ImportCheckReport;
}

/**
 * What the reference check found, as the import and `nocai models show` say it: `checked on 200
 * reference rows; largest difference from the training tool 6.74e-6 (allowed: …); labels agree on 100.0%`.
 */
export function referenceCheckText(m: ImportCheckReport): string {
  return (
    `checked on ${m.referenceRows} reference ${m.referenceRows === 1 ? 'row' : 'rows'}` +
    (m.maxAbsDifference !== null
      ? `; largest difference from the training tool ${m.maxAbsDifference.toExponential(2)} (allowed: ${m.tolerance.toExponential(0)}, relative to values above 1)`
      : '') +
    (m.labelAgreement !== null ? `; labels agree on ${(m.labelAgreement * 100).toFixed(1)}%` : '') +
    (m.expectedColumns.length === 0 ? ' (no expected_* columns: outputs checked for shape and sums only)' : '')
  );
}

export function isImportedManifest(manifest: { kind?: unknown }): manifest is ImportedManifest {
  return manifest.kind === IMPORTED_KIND;
}

/** The columns a row must hold to be predicted. */
export function inputColumns(inputs: ImportedInputs): string[] {
  return inputs.kind === 'text' ? [inputs.column] : inputs.columns.map((c) => c.name);
}

export type SlotFit = { fits: true } | { fits: false; reason: string };

/**
 * Whether an imported model can serve the built-in department slot: it routes tickets to the
 * contract's departments from their text, so it must be a text classifier over exactly those
 * labels with a probability output (the slot needs a confidence for the review queue).
 */
export function fitsBuiltInSlot(
  manifest: Pick<ImportSpec, 'target' | 'task' | 'inputs' | 'outputs' | 'labels'>
): SlotFit {
  if (manifest.target !== 'department') {
    return { fits: false, reason: `it serves target ${manifest.target}; the built-in slot is department` };
  }
  if (manifest.task !== 'classification') return { fits: false, reason: 'it is a regression, not a classifier' };
  if (manifest.inputs.kind !== 'text') {
    return { fits: false, reason: 'it takes columns; the department slot feeds one text (a string tensor [N, 1])' };
  }
  if (!manifest.outputs.probabilities) {
    return { fits: false, reason: 'it has no probability output, which the slot needs for its confidence' };
  }
  const expected = new Set<string>(DEPARTMENTS);
  const missing = DEPARTMENTS.filter((d) => !manifest.labels.includes(d));
  const extra = manifest.labels.filter((l) => !expected.has(l));
  if (missing.length > 0 || extra.length > 0 || manifest.labels.length !== DEPARTMENTS.length) {
    const parts = [
      missing.length > 0 ? `lacks ${missing.join(', ')}` : '',
      extra.length > 0 ? `has ${extra.join(', ')} besides` : '',
    ].filter(Boolean);
    return {
      fits: false,
      reason: `its labels ${parts.join(' and ') || 'repeat a department'}: the slot's labels are ${DEPARTMENTS.join(', ')}`,
    };
  }
  return { fits: true };
}
