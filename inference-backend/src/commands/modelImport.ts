import { statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { Option } from 'commander';
import type { Command } from 'commander';
import { basename } from 'node:path';
import { auditDirIn, FileAuditTrail } from '../adapters/audit/fileAuditTrail';
import { InputFileError, printable, printablePath, readInputText } from '../adapters/files/csv';
import {
  DamagedModelError,
  InvalidModelNameError,
  ModelNotFoundError,
  RegistryConflictError,
} from '../adapters/registry/errors';
import { importModel, ImportRefusedError, readModelFile } from '../adapters/registry/import/importModel';
import type { ImportResult } from '../adapters/registry/import/importModel';
import {
  defaultTensorNames,
  fieldLabel,
  ImportSpecError,
  parseImportManifest,
} from '../adapters/registry/import/importSpec';
import { referenceCheckText } from '../domain/mlops/importedModel';
import type { ImportManifestInput } from '../adapters/registry/import/importSpec';
import { onnxSignature } from '../adapters/registry/signature';
import type { AuditSink } from '../domain/audit/audit';
import { processIo } from './commandInput';
import type { CommandIo } from './commandInput';

/**
 * `nocai models import FILE --reference REF.csv (--manifest M.json | flags) --dir MODELS`: a model
 * trained elsewhere into the registry, after its check on the reference rows. Flags stand in for a
 * manifest in the simple cases and override its fields when both are given.
 */

export interface ModelsImportFlags {
  /** The registry folder. */
  dir: string;
  /** The ONNX file or the XGBoost/LightGBM JSON dump. */
  file: string;
  reference: string;
  manifest?: string;
  name?: string;
  target?: string;
  task?: string;
  format?: string;
  /** `cpu:float,disk:float,port:int` (type defaults to float). */
  columns?: string;
  /** The one text column of a text model. */
  textColumn?: string;
  inputTensor?: string;
  /** Comma-separated, in the order of the probability columns. */
  labels?: string;
  labelOutput?: string;
  probabilitiesOutput?: string;
  valueOutput?: string;
  champion?: boolean;
  reason?: string;
  stateDir?: string;
  json?: boolean;
}

/** The format a file name suggests when none is given. */
function guessFormat(file: string): string | undefined {
  if (/\.onnx$/i.test(file)) return 'onnx';
  return undefined;
}

const list = (value: string) =>
  value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');

/** The manifest (file, then flags over it) as the schema reads it. */
async function manifestInput(flags: ModelsImportFlags): Promise<Record<string, unknown>> {
  let base: Record<string, unknown> = {};
  if (flags.manifest) {
    const text = await readInputText(flags.manifest, { maxInputMb: 10 });
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      base = parsed as Record<string, unknown>;
    } catch {
      throw new InputFileError(`${printablePath(flags.manifest)} is not a JSON object.`);
    }
  }
  const inputs = { ...((base.inputs as Record<string, unknown> | undefined) ?? {}) };
  const outputs = { ...((base.outputs as Record<string, unknown> | undefined) ?? {}) };
  if (flags.columns !== undefined) {
    delete inputs.text;
    inputs.columns = list(flags.columns).map((spec) => {
      const [name, type = 'float'] = spec.split(':').map((s) => s.trim());
      return { name, type };
    });
  }
  if (flags.textColumn !== undefined) {
    delete inputs.columns;
    inputs.text = {
      column: flags.textColumn,
      tensor: flags.inputTensor ?? (inputs.tensor as string | undefined) ?? 'text',
    };
    delete inputs.tensor;
  } else if (flags.inputTensor !== undefined) {
    if (inputs.text && typeof inputs.text === 'object') inputs.text = { ...inputs.text, tensor: flags.inputTensor };
    else inputs.tensor = flags.inputTensor;
  }
  if (flags.labels !== undefined) outputs.labels = list(flags.labels);
  if (flags.labelOutput !== undefined) outputs.label = flags.labelOutput;
  if (flags.probabilitiesOutput !== undefined) outputs.probabilities = flags.probabilitiesOutput;
  if (flags.valueOutput !== undefined) outputs.value = flags.valueOutput;
  const merged: ImportManifestInput | Record<string, unknown> = {
    ...base,
    ...(flags.name !== undefined ? { name: flags.name } : {}),
    ...(flags.target !== undefined ? { target: flags.target } : {}),
    ...(flags.task !== undefined ? { task: flags.task } : {}),
    format: flags.format ?? base.format ?? guessFormat(flags.file),
    inputs,
    outputs,
  };
  // The target defaults to the name: a model that serves a target of its own.
  if (merged.target === undefined && typeof merged.name === 'string') merged.target = merged.name;
  return merged;
}

/**
 * The ONNX graph's inputs and outputs, or undefined when the file cannot be read as one: the import
 * itself then refuses it with the reason.
 */
async function graphSignature(file: string) {
  // A missing, unreadable or oversized file is refused as such, before any flag is asked for.
  const bytes = await readModelFile(file);
  try {
    return onnxSignature(bytes);
  } catch {
    return undefined;
  }
}

/** The names a refusal asks for when the file could not be read as an ONNX graph, with the reason. */
function unreadableGraphHints(file: string): Record<string, string> {
  const why = `${printablePath(file)} could not be read as an ONNX graph`;
  return { 'inputs.tensor': why, 'outputs.value': why, 'outputs.probabilities': why };
}

function cliContext(reason: string | undefined) {
  let actor = process.env.USER ?? 'unknown';
  try {
    actor = userInfo().username;
  } catch {
    // No passwd entry (a container's arbitrary uid): $USER or unknown.
  }
  // Whoever can write the models folder administers the registry: the CLI acts as an admin.
  return { actor, role: 'admin', from: 'cli', ...(reason ? { reason } : {}) };
}

function resultText(result: ImportResult): string {
  const { manifest } = result;
  const m = manifest.metrics;
  const lines = [
    `imported ${manifest.name} ${manifest.version} (${manifest.sourceFormat}, target ${manifest.target}, ${manifest.task})` +
      (result.champion ? ': champion' : ''),
    `  ${referenceCheckText(m)}`,
  ];
  if (manifest.target === 'department') {
    lines.push(
      result.builtInSlot.fits
        ? '  fits the built-in department slot'
        : `  does not fit the built-in department slot: ${result.builtInSlot.reason}`
    );
  }
  return `${lines.join('\n')}\n`;
}

const isRefusal = (error: unknown): error is Error =>
  error instanceof ImportRefusedError ||
  error instanceof ImportSpecError ||
  error instanceof InputFileError ||
  error instanceof InvalidModelNameError ||
  error instanceof ModelNotFoundError ||
  error instanceof RegistryConflictError ||
  error instanceof DamagedModelError;

/**
 * Runs one import: 0 imported, 2 refused (one sentence on stderr; the registry is untouched),
 * 1 anything else. `audit` replaces the file trail of `--state-dir` (tests, callers with a trail).
 */
export async function runModelsImport(
  flags: ModelsImportFlags,
  io: CommandIo = processIo,
  audit?: AuditSink
): Promise<number> {
  try {
    const dirInfo = statSync(flags.dir, { throwIfNoEntry: false });
    if (!dirInfo?.isDirectory()) {
      throw new ImportRefusedError(
        `${printablePath(flags.dir)} ${dirInfo ? 'is a file, not a folder' : 'does not exist'}; ` +
          'give the models folder with --dir (or NOCAI_MODELS_DIR)'
      );
    }
    const sink = audit ?? (flags.stateDir ? new FileAuditTrail(auditDirIn(flags.stateDir)) : undefined);
    if (!sink) {
      throw new ImportRefusedError(
        "an import is written to the audit trail: give the backend's state folder with --state-dir (or NOCAI_STATE_DIR)"
      );
    }
    const fromFlags = flags.manifest === undefined;
    const input = await manifestInput(flags);
    const signature = input.format === 'onnx' ? await graphSignature(flags.file) : undefined;
    const defaulted = signature
      ? defaultTensorNames(input, signature)
      : { input, taken: [], hints: input.format === 'onnx' ? unreadableGraphHints(flags.file) : {} };
    const spec = parseImportManifest(defaulted.input, { fromFlags, hints: defaulted.hints });
    // Said once the spec holds, so a refusal stays one sentence.
    for (const taken of defaulted.taken) {
      const label = fieldLabel(taken.path, fromFlags);
      io.stderr(
        `nocai models import: no ${label} given: took ${printable(taken.name, 256)}, the graph's only ${taken.kind}\n`
      );
    }
    const result = await importModel({
      registryDir: flags.dir,
      spec,
      origin: fromFlags ? 'flags' : 'manifest',
      modelFile: flags.file,
      referenceFile: flags.reference,
      champion: flags.champion,
      // Without --reason, the command, as nocai train records it: every version says why it was made.
      context: cliContext(flags.reason ?? `nocai models import ${basename(flags.file)}`),
      audit: sink,
    });
    io.stdout(flags.json ? `${JSON.stringify(result, null, 2)}\n` : resultText(result));
    return 0;
  } catch (error) {
    const message = printable(error instanceof Error ? error.message : String(error), Number.POSITIVE_INFINITY);
    io.stderr(`nocai models import: ${message.endsWith('.') ? message : `${message}.`}\n`);
    return isRefusal(error) ? 2 : 1;
  }
}

/** Adds `import` under `nocai models` (`models` is the command `registerModels` builds). */
export function registerModelsImport(models: Command): void {
  models
    .command('import')
    .description('import a model trained elsewhere (ONNX, XGBoost or LightGBM JSON), checked on reference rows')
    .argument('<file>', 'the .onnx file, or the JSON model of XGBoost (save_model) or LightGBM (dump_model)')
    .addOption(
      new Option('--dir <folder>', 'the models folder (the registry)').env('NOCAI_MODELS_DIR').makeOptionMandatory()
    )
    .requiredOption(
      '--reference <file.csv>',
      'rows with the input columns, and expected_label / expected_p_<label> / expected_value'
    )
    .option('--manifest <file.json>', 'name, target, task, format, inputs, outputs (flags override its fields)')
    .option('--name <name>', 'the registered model name')
    .option('--target <target>', 'what it predicts (department fits the built-in slot); default: the name')
    .addOption(new Option('--task <task>', 'classification or regression').choices(['classification', 'regression']))
    .addOption(
      new Option('--format <format>', 'default: onnx for .onnx files').choices([
        'onnx',
        'xgboost-json',
        'lightgbm-json',
      ])
    )
    .option('--columns <list>', 'input columns in tensor order, e.g. cpu:float,disk:float,port:int')
    .option('--text-column <column>', 'the one text column of a text model (string tensor [N, 1])')
    .option('--input-tensor <name>', 'the ONNX input the columns or the text are fed to')
    .option('--labels <list>', 'class labels in the order of the probability columns')
    .option('--label-output <name>', 'the ONNX output of labels')
    .option('--probabilities-output <name>', 'the ONNX output of probabilities [N, labels]')
    .option('--value-output <name>', 'the ONNX output of a regression')
    .option('--champion', 'make the imported version the champion')
    .option('--reason <text>', 'why: kept in the manifest and the audit trail')
    .addOption(
      new Option('--state-dir <folder>', "the backend's state folder, whose audit trail records the import").env(
        'NOCAI_STATE_DIR'
      )
    )
    .option('--json', 'print the stored manifest as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  nocai models import booster.json --format xgboost-json --name link-failure --task classification \\\n' +
        '      --columns cpu,errors,latency_ms --labels ok,fails --reference ref.csv --dir models --state-dir .state\n' +
        '  nocai models import dept.onnx --manifest dept.manifest.json --reference ref.csv --champion --dir models --state-dir .state'
    )
    .action(async (file: string, flags: Omit<ModelsImportFlags, 'file'>) => {
      process.exitCode = await runModelsImport({ ...flags, file });
    });
}
