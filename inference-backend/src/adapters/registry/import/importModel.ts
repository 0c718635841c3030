import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { plural } from '@nocai/contract';
import { recordThenSave, type AuditEntryInput, type AuditSink } from '../../../domain/audit/audit';
import { fitsBuiltInSlot, IMPORTED_KIND, inputColumns, specTerms } from '../../../domain/mlops/importedModel';
import type { ImportedManifest, ImportSpec, SlotFit, SpecOrigin, SpecTerms } from '../../../domain/mlops/importedModel';
import { MANIFEST_FORMAT } from '../../../domain/mlops/manifest';
import { printablePath, readTableFile, unreadableFileMessage } from '../../files/csv';
import type { Table } from '../../files/csv';
import { ImportedInputError, ImportedModel, ModelSignatureError } from '../../onnx/importedModel';
import { promote } from '../lifecycle';
import type { ChangeContext } from '../lifecycle';
import { saveModel } from '../modelRegistry';
import { ensembleToOnnx } from './ensembleOnnx';
import { isMissingLocaleError, PORTABLE_LOCALE, withStringNormalizerLocale } from './onnxCompat';
import { checkReference, ReferenceMismatchError } from './referenceCheck';
import { convertLightgbm, convertXgboost, UnsupportedModelError } from './treeDumps';
import type { TreeEnsembleModel } from './treeDumps';

/**
 * Importing a model trained elsewhere: parse → convert (XGBoost/LightGBM JSON to ONNX) → load with
 * onnxruntime against the manifest → run on the reference rows and compare → only then save a new
 * version (and, if asked, make it champion). Every refusal happens before the registry is touched
 * and is an `ImportRefusedError` with one sentence. The new version's audit entry (`model.import`)
 * is recorded before its folder is written, under the model's lock (`recordThenSave`): a trail
 * that cannot record it refuses the import, nothing saved.
 */

/** The import is refused (bad file, manifest that lies, predictions that differ): exit 2 / HTTP 400. */
export class ImportRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImportRefusedError';
  }
}

/** Largest model file read: an ONNX of a big forest is tens of MB; a JSON dump a few times that. */
export const MAX_MODEL_FILE_BYTES = 512 * 1024 * 1024;

export interface ImportRequest {
  registryDir: string;
  spec: ImportSpec;
  /** Where the spec came from, so refusals name a manifest's fields or the flags; default: a manifest. */
  origin?: SpecOrigin;
  /** The ONNX file or the JSON dump. */
  modelFile: string;
  /** CSV (or JSON Lines) with the input columns and optionally the training tool's predictions. */
  referenceFile: string;
  champion?: boolean;
  context: ChangeContext;
  audit?: AuditSink;
}

export interface ImportResult {
  manifest: ImportedManifest;
  champion: boolean;
  /** Whether the model could serve the built-in department slot, and why not. */
  builtInSlot: SlotFit;
}

/** The model file's bytes, or an `ImportRefusedError` saying why not: missing, not a file, too large, unreadable. */
export async function readModelFile(file: string): Promise<Uint8Array> {
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new ImportRefusedError(`${printablePath(file)} is not a file.`);
    if (info.size > MAX_MODEL_FILE_BYTES) {
      throw new ImportRefusedError(`${printablePath(file)} is larger than ${MAX_MODEL_FILE_BYTES / 1024 / 1024} MB.`);
    }
    return new Uint8Array(await readFile(file));
  } catch (error) {
    if (error instanceof ImportRefusedError) throw error;
    throw new ImportRefusedError(unreadableFileMessage(file, error));
  }
}

/** The dump converted, checked against what the manifest says of its inputs, classes and task. */
function convertDump(
  spec: ImportSpec,
  bytes: Uint8Array,
  file: string,
  terms: SpecTerms
): { onnx: Uint8Array; ensemble: TreeEnsembleModel } {
  let dump: unknown;
  try {
    dump = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new ImportRefusedError(`${printablePath(file)} is not valid JSON (a truncated or binary model file?).`);
  }
  let ensemble: TreeEnsembleModel;
  try {
    ensemble = spec.format === 'xgboost-json' ? convertXgboost(dump) : convertLightgbm(dump);
  } catch (error) {
    if (error instanceof UnsupportedModelError)
      throw new ImportRefusedError(`${printablePath(file)}: ${error.message}.`);
    throw error;
  }
  const columns = inputColumns(spec.inputs);
  if (ensemble.featureCount !== columns.length) {
    throw new ImportRefusedError(
      `the model takes ${plural(ensemble.featureCount, 'feature')} but ${terms.inputsAre(spec.inputs)} ` +
        `${plural(columns.length, 'column')} (${columns.join(', ')}).`
    );
  }
  if (ensemble.featureNames && ensemble.featureNames.join('\u0000') !== columns.join('\u0000')) {
    throw new ImportRefusedError(
      `the model was trained on features ${ensemble.featureNames.join(', ')} but ${terms.inputsAre(spec.inputs)} ` +
        `columns ${columns.join(', ')}: ` +
        'list them in the same order.'
    );
  }
  if (ensemble.task !== spec.task) {
    throw new ImportRefusedError(
      `the model's objective ${ensemble.objective} is a ${ensemble.task}, but ${terms.taskIs(spec.task)}.`
    );
  }
  const classes = ensemble.link === 'sigmoid' ? 2 : ensemble.targets;
  if (spec.task === 'classification' && classes !== spec.labels.length) {
    throw new ImportRefusedError(
      `the model has ${plural(classes, 'class', { plural: 'classes' })} but ${terms.labelsList} ` +
        `${plural(spec.labels.length, 'label')} (${spec.labels.join(', ')}).`
    );
  }
  const onnx = ensembleToOnnx(
    ensemble,
    {
      input: spec.inputs.tensor,
      probabilities: spec.outputs.probabilities ?? 'probabilities',
      value: spec.outputs.value ?? 'value',
    },
    `${spec.format} ${ensemble.objective}, ${ensemble.trees.length} trees, converted by nocai`
  );
  return { onnx, ensemble };
}

function checkReferenceColumns(table: Table, spec: ImportSpec, file: string, terms: SpecTerms): void {
  if (table.columns.length === 0) {
    throw new ImportRefusedError(
      `the reference file ${printablePath(file)} is empty; give rows of the input columns ` +
        `${inputColumns(spec.inputs).join(', ')}, with the training tool's predictions where it can.`
    );
  }
  const missing = inputColumns(spec.inputs).filter((c) => !table.columns.includes(c));
  if (missing.length > 0) {
    throw new ImportRefusedError(
      `the reference file ${printablePath(file)} has no column ${missing.map((c) => `"${c}"`).join(', ')}, ` +
        `which ${terms.inputsAre(spec.inputs)} as input.`
    );
  }
  if (table.rows.length === 0) throw new ImportRefusedError(`the reference file ${printablePath(file)} has no rows.`);
}

/** The audit entry of an import: the new version and where it came from. */
function importEntry(manifest: ImportedManifest, context: ChangeContext): AuditEntryInput {
  return {
    actor: context.actor,
    role: context.role,
    action: 'model.import',
    target: `model:${manifest.name}@${manifest.version}`,
    before: null,
    after: {
      version: manifest.version,
      sourceFormat: manifest.sourceFormat,
      source: manifest.source,
      metrics: manifest.metrics,
    },
    from: context.from,
    reason: context.reason,
  };
}

const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest('hex');
const sentence = (text: string) => (text.endsWith('.') ? text : `${text}.`);

/** Imports one model; see the module comment for the order of the checks. */
export async function importModel(request: ImportRequest): Promise<ImportResult> {
  const { spec } = request;
  const terms = specTerms(request.origin);
  const sourceBytes = await readModelFile(request.modelFile);
  const converted = spec.format === 'onnx' ? undefined : convertDump(spec, sourceBytes, request.modelFile, terms);
  let onnxBytes = converted?.onnx ?? sourceBytes;

  let model: ImportedModel;
  let patchedLocale = false;
  try {
    try {
      model = await ImportedModel.fromBytes(onnxBytes, spec, terms);
    } catch (error) {
      const patched =
        error instanceof ModelSignatureError && isMissingLocaleError(error.message)
          ? withStringNormalizerLocale(onnxBytes)
          : undefined;
      if (!patched) throw error;
      onnxBytes = patched;
      patchedLocale = true;
      model = await ImportedModel.fromBytes(onnxBytes, spec, terms);
    }
  } catch (error) {
    if (error instanceof ModelSignatureError) throw new ImportRefusedError(sentence(error.message));
    throw error;
  }
  let manifest: ImportedManifest;
  try {
    const table = await readTableFile(request.referenceFile);
    checkReferenceColumns(table, spec, request.referenceFile, terms);
    let metrics;
    try {
      metrics = checkReference(spec, await model.run(table.rows), table.rows, table.columns, terms);
    } catch (error) {
      if (
        error instanceof ReferenceMismatchError ||
        error instanceof ImportedInputError ||
        error instanceof ModelSignatureError
      ) {
        throw new ImportRefusedError(
          sentence(`the model fails its check on ${printablePath(request.referenceFile)}: ${error.message}`)
        );
      }
      throw error;
    }
    const { format, ...declared } = spec;
    const draft: Omit<ImportedManifest, 'version' | 'parentVersion' | 'artifactSha256'> = {
      ...declared,
      format: MANIFEST_FORMAT,
      kind: IMPORTED_KIND,
      sourceFormat: format,
      createdAt: new Date().toISOString(),
      source: {
        file: basename(request.modelFile),
        sha256: sha256(sourceBytes),
        ...(converted ? { objective: converted.ensemble.objective, trees: converted.ensemble.trees.length } : {}),
        ...(patchedLocale
          ? { changed: `StringNormalizer locale set to ${PORTABLE_LOCALE} (en_US.UTF-8 is not installed)` }
          : {}),
      },
      dataHash: sha256(JSON.stringify(table.rows.map((row) => inputColumns(spec.inputs).map((c) => row[c])))),
      metrics,
      createdBy: { kind: 'import', name: request.context.actor },
      ...(request.context.reason ? { reason: request.context.reason } : {}),
      ...(converted
        ? { hyperparameters: { objective: converted.ensemble.objective, trees: converted.ensemble.trees.length } }
        : {}),
    };
    const audit = request.audit;
    manifest = await saveModel<ImportedManifest>(
      request.registryDir,
      draft,
      onnxBytes,
      undefined,
      audit ? (full, write) => recordThenSave(audit, importEntry(full, request.context), write) : undefined
    );
  } finally {
    await model.release();
  }
  if (request.champion) {
    await promote(request.registryDir, manifest.name, manifest.version, {}, request.context, request.audit);
  }
  return { manifest, champion: request.champion === true, builtInSlot: fitsBuiltInSlot(manifest) };
}
