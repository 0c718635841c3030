import { InferenceSession, Tensor } from 'onnxruntime-node';
import { plural } from '@nocai/contract';
import { inputColumns, isImportedManifest, specTerms } from '../../domain/mlops/importedModel';
import type { ImportedInputs, ImportedManifest, ImportSpec, SpecTerms } from '../../domain/mlops/importedModel';

/**
 * Serving of imported models (issue 11): rows of named values in, per row a label with its class
 * probabilities or a value out. The graph is whatever the training tool exported; the manifest
 * says how to feed it (one tensor [N, k] of the columns in order, or a string tensor [N, 1] of
 * one text column) and which outputs to read.
 */

export type ImportedRow = Readonly<Record<string, string | number | null | undefined>>;

export type ImportedPrediction = { label: string; probabilities: Record<string, number> } | { value: number };

/** What the graph returned for a batch, before it is shaped per row (the import check compares these). */
export interface ImportedOutputsBatch {
  rows: number;
  /** [rows × classes], row-major, in the graph's column order. */
  probabilities?: Float32Array;
  /** Columns of `probabilities`. */
  classes?: number;
  labels?: string[];
  values?: Float64Array;
}

/** A row the model cannot take (a missing column, text where a number belongs): the caller's input. */
export class ImportedInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImportedInputError';
  }
}

/** The graph does not match its manifest (names, types, widths): the model cannot be served as declared. */
export class ModelSignatureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelSignatureError';
  }
}

/** Rows per onnxruntime call: bounds the tensors of one call whatever the request size. */
export const IMPORTED_CHUNK_ROWS = 1000;

type Numeric = 'float32' | 'float64' | 'int64';
const NUMERIC_TYPES: readonly string[] = ['float32', 'float64', 'int64'];

type Spec = Pick<ImportSpec, 'name' | 'task' | 'inputs' | 'outputs' | 'labels'>;

const describeShape = (shape: ReadonlyArray<number | string>) => `[${shape.join(', ')}]`;

function tensorMeta(
  list: readonly InferenceSession.ValueMetadata[],
  name: string
): InferenceSession.ValueMetadata | undefined {
  return list.find((m) => m.name === name);
}

/**
 * Why the session cannot be fed and read as `spec` declares, or undefined when it can. Widths
 * that the graph leaves symbolic are checked again on the first run. `terms` name what the user
 * declared: the manifest's fields, or the flags of an import given by flags.
 */
export function signatureProblem(
  session: InferenceSession,
  spec: Spec,
  terms: SpecTerms = specTerms()
): string | undefined {
  const { inputs, outputs } = spec;
  const inputNames = session.inputNames;
  if (!inputNames.includes(inputs.tensor)) {
    return `the model has no input ${inputs.tensor} (its inputs: ${inputNames.join(', ')})`;
  }
  if (inputNames.length !== 1) {
    return `the model has ${inputNames.length} inputs (${inputNames.join(', ')}); an import feeds one tensor`;
  }
  const input = tensorMeta(session.inputMetadata, inputs.tensor);
  if (!input?.isTensor) return `input ${inputs.tensor} is not a tensor`;
  const width = inputs.kind === 'text' ? 1 : inputs.columns.length;
  if (input.shape.length !== 2) {
    return `input ${inputs.tensor} has shape ${describeShape(input.shape)}; an import feeds [N, ${width}]`;
  }
  if (typeof input.shape[1] === 'number' && input.shape[1] !== width) {
    const what = inputs.kind === 'text' ? 'one text column' : `${width} columns`;
    return `input ${inputs.tensor} takes ${plural(input.shape[1], 'value')} per row but ${terms.inputsAre(inputs)} ${what}`;
  }
  const wantsStrings = inputs.kind === 'text' || inputs.columns.every((c) => c.type === 'string');
  if (inputs.kind === 'columns' && !wantsStrings && inputs.columns.some((c) => c.type === 'string')) {
    return `${terms.columnsMix} string and number columns, but one tensor ${inputs.tensor} holds one type`;
  }
  if (wantsStrings && input.type !== 'string') {
    const what = inputs.kind === 'text' ? 'text' : 'string columns';
    return `input ${inputs.tensor} holds ${input.type}, but ${terms.inputsAre(inputs)} ${what} (a string tensor)`;
  }
  if (!wantsStrings) {
    if (!NUMERIC_TYPES.includes(input.type)) {
      return `input ${inputs.tensor} holds ${input.type}; number columns need float, double or int64`;
    }
    if (input.type === 'int64' && inputs.kind === 'columns' && inputs.columns.some((c) => c.type !== 'int')) {
      return `input ${inputs.tensor} holds int64, but ${terms.inputsAre(inputs)} float columns`;
    }
  }
  for (const [role, name] of Object.entries(outputs)) {
    if (name === undefined) continue;
    const meta = tensorMeta(session.outputMetadata, name);
    if (!meta) return `the model has no output ${name} (its outputs: ${session.outputNames.join(', ')})`;
    if (!meta.isTensor) {
      return `output ${name} is not a tensor (a ZipMap of dictionaries?): export without it, e.g. skl2onnx options {'zipmap': False}`;
    }
    if (role === 'probabilities' && meta.shape.length === 2 && typeof meta.shape[1] === 'number') {
      if (meta.shape[1] !== spec.labels.length) {
        return `output ${name} has ${meta.shape[1]} columns but ${terms.labelsList} ${spec.labels.length} labels`;
      }
    }
  }
  if (spec.task === 'classification' && !outputs.probabilities && !outputs.label) {
    return 'a classifier needs outputs.probabilities or outputs.label';
  }
  if (spec.task === 'regression' && !outputs.value) return 'a regression needs outputs.value';
  return undefined;
}

function numberCell(value: ImportedRow[string], row: number, column: string, integer: boolean): number {
  if (typeof value === 'number') {
    if (integer && !Number.isInteger(value))
      throw new ImportedInputError(`row ${row + 1}: ${column} must be an integer, not ${value}`);
    return value;
  }
  const text = value === null || value === undefined ? '' : value.trim();
  // An empty cell or NaN is a missing value: tree models send it their default way.
  if (!integer && (text === '' || text.toLowerCase() === 'nan')) return Number.NaN;
  const number = Number(text);
  if (text === '' || !Number.isFinite(number) || (integer && !Number.isInteger(number))) {
    const kind = integer ? 'an integer' : 'a number';
    throw new ImportedInputError(`row ${row + 1}: ${column} must be ${kind}, not "${text.slice(0, 40)}"`);
  }
  return number;
}

/** A cell `numberCell` reads as a missing value (NaN). */
function isMissingCell(value: ImportedRow[string]): boolean {
  if (typeof value === 'number') return Number.isNaN(value);
  const text = value === null || value === undefined ? '' : value.trim();
  return text === '' || text.toLowerCase() === 'nan';
}

function checkColumns(rows: readonly ImportedRow[], inputs: ImportedInputs, offset: number): void {
  const columns = inputColumns(inputs);
  rows.forEach((row, i) => {
    const missing = columns.filter((c) => !(c in row));
    if (missing.length > 0) {
      throw new ImportedInputError(
        `row ${offset + i + 1} has no ${missing.map((c) => `"${c}"`).join(', ')} (the model reads ${columns.join(', ')})`
      );
    }
  });
}

/** A model imported into the registry, ready to predict. */
export class ImportedModel {
  private constructor(
    readonly manifest: Spec & Partial<Pick<ImportedManifest, 'version'>>,
    private readonly session: InferenceSession,
    private readonly inputType: Numeric | 'string',
    private readonly terms: SpecTerms
  ) {}

  /**
   * A session for `bytes` checked against `spec`: a corrupt graph or one whose inputs and outputs
   * differ from the manifest is a `ModelSignatureError` naming what differs, in `terms` (the
   * manifest's fields, or the flags of an import given by flags).
   */
  static async fromBytes(bytes: Uint8Array, spec: Spec, terms: SpecTerms = specTerms()): Promise<ImportedModel> {
    let session: InferenceSession;
    try {
      // Fatal only: a graph that fails to load is reported in the thrown message, not on stderr too.
      session = await InferenceSession.create(bytes, { logSeverityLevel: 4 });
    } catch (error) {
      const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0].slice(0, 200);
      throw new ModelSignatureError(`onnxruntime cannot load the model (${reason})`);
    }
    const problem = signatureProblem(session, spec, terms);
    if (problem) {
      await session.release();
      throw new ModelSignatureError(problem);
    }
    const meta = tensorMeta(session.inputMetadata, spec.inputs.tensor);
    const type = meta?.isTensor ? meta.type : 'float32';
    return new ImportedModel(spec, session, type === 'string' ? 'string' : (type as Numeric), terms);
  }

  /** A stored version (`loadModel` has checked its sha256). */
  static async load(stored: { manifest: { kind?: unknown }; onnx: Uint8Array }): Promise<ImportedModel> {
    if (!isImportedManifest(stored.manifest)) {
      throw new ModelSignatureError(`the model is of kind ${String(stored.manifest.kind)}, not an imported model`);
    }
    return ImportedModel.fromBytes(stored.onnx, stored.manifest);
  }

  get modelVersion(): string {
    return `${this.manifest.name}@${this.manifest.version ?? 'unsaved'}`;
  }

  async release(): Promise<void> {
    await this.session.release();
  }

  private inputTensor(rows: readonly ImportedRow[], offset: number): Tensor {
    const { inputs } = this.manifest;
    if (inputs.kind === 'text') {
      const texts = rows.map((row) => String(row[inputs.column] ?? ''));
      return new Tensor('string', texts, [rows.length, 1]);
    }
    const k = inputs.columns.length;
    if (this.inputType === 'string') {
      const cells = rows.flatMap((row) => inputs.columns.map((c) => String(row[c.name] ?? '')));
      return new Tensor('string', cells, [rows.length, k]);
    }
    const values = new Float64Array(rows.length * k);
    rows.forEach((row, r) =>
      inputs.columns.forEach((c, j) => {
        values[r * k + j] = numberCell(row[c.name], offset + r, c.name, c.type === 'int' || this.inputType === 'int64');
      })
    );
    if (this.inputType === 'int64')
      return new Tensor(
        'int64',
        BigInt64Array.from(values, (v) => BigInt(v)),
        [rows.length, k]
      );
    if (this.inputType === 'float64') return new Tensor('float64', values, [rows.length, k]);
    return new Tensor('float32', Float32Array.from(values), [rows.length, k]);
  }

  /** The graph's outputs for `rows`, in chunks of IMPORTED_CHUNK_ROWS; a row the model cannot take is an ImportedInputError. */
  async run(rows: readonly ImportedRow[]): Promise<ImportedOutputsBatch> {
    checkColumns(rows, this.manifest.inputs, 0);
    const { outputs, labels } = this.manifest;
    const batch: ImportedOutputsBatch = { rows: rows.length };
    const probabilityChunks: Float32Array[] = [];
    const labelChunks: string[] = [];
    const values = new Float64Array(rows.length);
    for (let start = 0; start < rows.length; start += IMPORTED_CHUNK_ROWS) {
      const chunk = rows.slice(start, start + IMPORTED_CHUNK_ROWS);
      const result = await this.session.run({ [this.manifest.inputs.tensor]: this.inputTensor(chunk, start) });
      if (outputs.probabilities) {
        const tensor = result[outputs.probabilities];
        const classes = tensor.dims.length === 2 ? tensor.dims[1] : 0;
        if (classes !== labels.length || tensor.dims[0] !== chunk.length) {
          throw new ModelSignatureError(
            `output ${outputs.probabilities} has shape [${tensor.dims.join(', ')}] for ${chunk.length} rows; ` +
              `${this.terms.labelsList} ${labels.length} labels`
          );
        }
        batch.classes = classes;
        probabilityChunks.push(Float32Array.from(tensor.data as ArrayLike<number>));
      }
      if (outputs.label) {
        const tensor = result[outputs.label];
        const data = Array.from(tensor.data as ArrayLike<unknown>, (v) => String(v));
        if (data.length !== chunk.length) {
          throw new ModelSignatureError(`output ${outputs.label} has ${data.length} labels for ${chunk.length} rows`);
        }
        labelChunks.push(...data);
      }
      if (outputs.value) {
        const tensor = result[outputs.value];
        const data = tensor.data as ArrayLike<number>;
        if (data.length !== chunk.length) {
          throw new ModelSignatureError(`output ${outputs.value} has ${data.length} values for ${chunk.length} rows`);
        }
        for (let i = 0; i < chunk.length; i++) values[start + i] = Number(data[i]);
      }
    }
    if (outputs.probabilities) {
      batch.probabilities = new Float32Array(rows.length * labels.length);
      let at = 0;
      for (const chunk of probabilityChunks) {
        batch.probabilities.set(chunk, at);
        at += chunk.length;
      }
      batch.classes = labels.length;
    }
    if (outputs.label) batch.labels = labelChunks;
    if (outputs.value) batch.values = values;
    return batch;
  }

  /**
   * Per row, a label and its probabilities by label, or a value. The label is the graph's own
   * label output when it has one, else the most probable label.
   */
  async predict(rows: readonly ImportedRow[]): Promise<ImportedPrediction[]> {
    const batch = await this.run(rows);
    const { labels, task } = this.manifest;
    return rows.map((row, r): ImportedPrediction => {
      if (task === 'regression') {
        const value = batch.values?.[r] ?? Number.NaN;
        if (!Number.isFinite(value)) throw this.noPrediction(row, r);
        return { value };
      }
      const probabilities: Record<string, number> = {};
      let best = 0;
      if (batch.probabilities) {
        const K = labels.length;
        for (let k = 0; k < K; k++) {
          const p = batch.probabilities[r * K + k];
          if (!Number.isFinite(p)) throw this.noPrediction(row, r);
          probabilities[labels[k]] = p;
          if (p > batch.probabilities[r * K + best]) best = k;
        }
      }
      return { label: batch.labels?.[r] ?? labels[best], probabilities };
    });
  }

  /**
   * A row whose output is NaN: a graph that takes no missing values (a logistic regression, unlike
   * trees) turns an empty cell into NaN probabilities, and its label output into a guess. Answered
   * as the caller's input to fix rather than as a label with probabilities of null.
   */
  private noPrediction(row: ImportedRow, r: number): ImportedInputError {
    const { inputs } = this.manifest;
    const missing =
      inputs.kind === 'text' ? [] : inputs.columns.map((c) => c.name).filter((name) => isMissingCell(row[name]));
    if (missing.length === 0) return new ImportedInputError(`row ${r + 1}: the model's output is not a number`);
    const names = missing.join(', ');
    return new ImportedInputError(
      `row ${r + 1}: the model takes no missing values and ${names} ${missing.length === 1 ? 'is' : 'are'} missing: give ${missing.length === 1 ? 'a number' : 'numbers'}`
    );
  }
}
