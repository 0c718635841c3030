import { z } from 'zod';
import { checkInput, refusalPredicates } from '@nocai/contract';
import { COLUMN_TYPES, IMPORT_FORMATS } from '../../../domain/mlops/importedModel';
import type { ImportSpec } from '../../../domain/mlops/importedModel';
import { canonicalModelName, MODEL_NAME_PATTERN, MODEL_NAME_RULE } from '../../../domain/mlops/manifest';
import type { ModelSignature } from '../../../domain/mlops/manifest';

/**
 * The manifest a data scientist writes next to a model trained elsewhere (or the flags that stand
 * in for it), e.g.
 *
 *   {"name": "severity", "target": "severity", "task": "classification", "format": "xgboost-json",
 *    "inputs": {"tensor": "features", "columns": [{"name": "cpu", "type": "float"}, …]},
 *    "outputs": {"probabilities": "probabilities", "labels": ["low", "high"]}}
 *
 *   {"name": "department-sk", "target": "department", "task": "classification", "format": "onnx",
 *    "inputs": {"text": {"column": "text", "tensor": "text"}},
 *    "outputs": {"label": "output_label", "probabilities": "output_probability", "labels": […]}}
 *
 * For converted dumps the project names the graph's tensors, so `inputs.tensor` and the output
 * names may be left out (`features`, `probabilities`, `value`).
 */

const nonEmpty = z.string().trim().min(1, 'must not be empty').max(256, 'is longer than 256 characters');

export const importManifestSchema = z
  .object({
    name: z
      .string()
      .regex(MODEL_NAME_PATTERN, `must hold only ${MODEL_NAME_RULE}`)
      .max(128)
      .transform(canonicalModelName),
    target: z.string().regex(MODEL_NAME_PATTERN, `must hold only ${MODEL_NAME_RULE}`),
    task: z.enum(['classification', 'regression']),
    format: z.enum(IMPORT_FORMATS),
    inputs: z
      .object({
        tensor: nonEmpty.optional(),
        columns: z
          .array(z.object({ name: nonEmpty, type: z.enum(COLUMN_TYPES) }).strict())
          .min(1)
          .optional(),
        text: z.object({ column: nonEmpty, tensor: nonEmpty }).strict().optional(),
      })
      .strict()
      .refine((i) => (i.columns === undefined) !== (i.text === undefined), {
        message: 'give either columns (a tensor of columns) or text (one text column), not both or neither',
      })
      .refine((i) => i.columns === undefined || new Set(i.columns.map((c) => c.name)).size === i.columns.length, {
        message: 'a column is listed twice',
        path: ['columns'],
      }),
    outputs: z
      .object({
        label: nonEmpty.optional(),
        probabilities: nonEmpty.optional(),
        value: nonEmpty.optional(),
        labels: z.array(nonEmpty).optional(),
      })
      .strict()
      .refine((o) => o.labels === undefined || new Set(o.labels).size === o.labels.length, {
        message: 'a label is listed twice',
        path: ['labels'],
      }),
  })
  .strict()
  .superRefine((m, ctx) => {
    const labels = m.outputs.labels ?? [];
    if (m.task === 'classification' && labels.length < 2) {
      ctx.addIssue({
        code: 'custom',
        path: ['outputs', 'labels'],
        message: 'a classifier needs at least 2 labels, in the order of its probability columns',
      });
    }
    if (m.task === 'regression' && (labels.length > 0 || m.outputs.probabilities || m.outputs.label)) {
      ctx.addIssue({
        code: 'custom',
        path: ['outputs'],
        message: 'a regression has a value output, no labels or probabilities',
      });
    }
    if (m.format === 'onnx') {
      if (m.inputs.columns && !m.inputs.tensor) {
        ctx.addIssue({
          code: 'custom',
          path: ['inputs', 'tensor'],
          message: 'name the ONNX input tensor the columns are fed to',
        });
      }
      if (m.task === 'regression' && !m.outputs.value) {
        ctx.addIssue({ code: 'custom', path: ['outputs', 'value'], message: 'name the ONNX output holding the value' });
      }
      if (m.task === 'classification' && !m.outputs.probabilities && !m.outputs.label) {
        ctx.addIssue({
          code: 'custom',
          path: ['outputs', 'probabilities'],
          message: 'name the ONNX output of probabilities (or of labels)',
        });
      }
    } else {
      if (m.inputs.text) {
        ctx.addIssue({
          code: 'custom',
          path: ['inputs', 'text'],
          message: 'tree models take number columns, not text',
        });
      }
      if (m.inputs.columns?.some((c) => c.type === 'string')) {
        ctx.addIssue({
          code: 'custom',
          path: ['inputs', 'columns'],
          message: 'tree models take float or int columns, not string',
        });
      }
      if (m.outputs.label) {
        ctx.addIssue({
          code: 'custom',
          path: ['outputs', 'label'],
          message: 'a converted tree model has no label output: the label is the most probable class',
        });
      }
    }
  });

export type ImportManifestInput = z.input<typeof importManifestSchema>;

/** A manifest that does not describe an import; the message names the field (`inputs.columns.2.type must be …`). */
export class ImportSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImportSpecError';
  }
}

/**
 * The flag of `nocai models import` that sets each manifest field, most specific path first. A
 * refusal of a flag-built spec names the flag to give, not a field of a file the user never wrote.
 */
const FLAG_OF_FIELD: ReadonlyArray<{ path: string; flag: string; metavar: string }> = [
  { path: 'name', flag: '--name', metavar: 'NAME' },
  { path: 'target', flag: '--target', metavar: 'TARGET' },
  { path: 'task', flag: '--task', metavar: 'classification|regression' },
  { path: 'format', flag: '--format', metavar: 'onnx|xgboost-json|lightgbm-json' },
  { path: 'inputs.tensor', flag: '--input-tensor', metavar: 'NAME' },
  { path: 'inputs.text.tensor', flag: '--input-tensor', metavar: 'NAME' },
  { path: 'inputs.text', flag: '--text-column', metavar: 'COLUMN' },
  { path: 'inputs.columns', flag: '--columns', metavar: 'LIST' },
  { path: 'inputs', flag: '--columns LIST or --text-column', metavar: 'COLUMN' },
  { path: 'outputs.labels', flag: '--labels', metavar: 'LIST' },
  { path: 'outputs.label', flag: '--label-output', metavar: 'NAME' },
  { path: 'outputs.probabilities', flag: '--probabilities-output', metavar: 'NAME (or --label-output NAME)' },
  { path: 'outputs.value', flag: '--value-output', metavar: 'NAME' },
  { path: 'outputs', flag: '--labels, --label-output or --probabilities-output', metavar: '' },
];

const valueAt = (input: unknown, path: readonly PropertyKey[]): unknown =>
  path.reduce<unknown>(
    (value, key) =>
      typeof value === 'object' && value !== null ? (value as Record<PropertyKey, unknown>)[key] : undefined,
    input
  );

/**
 * One refusal of a flag-built spec in terms of its flags: `give --input-tensor NAME, the ONNX input
 * tensor the columns are fed to`, `--task must be one of …`, `--columns: the type of column 1 must be …`.
 */
function flagRefusal(issue: z.core.$ZodIssue, input: unknown, hints: Readonly<Record<string, string>>): string {
  const dotted = issue.path.map(String).join('.');
  const entry = FLAG_OF_FIELD.find((f) => dotted === f.path || dotted.startsWith(`${f.path}.`));
  const hint = entry && hints[entry.path] ? ` (${hints[entry.path]})` : '';
  if (!entry) return `${dotted || 'the flags'} ${issue.message}`;
  const custom = issue.code === 'custom';
  const missing = valueAt(input, issue.path) === undefined || (entry.path === 'inputs' && custom);
  if (missing) {
    const why =
      !custom || issue.message.startsWith('give ')
        ? ''
        : issue.message.startsWith('name the ')
          ? `, ${issue.message.slice(5)}`
          : `: ${issue.message}`;
    return `give ${entry.flag} ${entry.metavar}${why}${hint}`;
  }
  // `inputs.columns.0.type` → the type of column 1.
  const rest = dotted.slice(entry.path.length + 1).split('.');
  const part = rest.length === 2 && /^\d+$/.test(rest[0]) ? `the ${rest[1]} of column ${Number(rest[0]) + 1} ` : '';
  return custom || part ? `${entry.flag}: ${part}${issue.message}${hint}` : `${entry.flag} ${issue.message}${hint}`;
}

export interface ImportSpecSource {
  /**
   * The spec was built from flags only (no manifest file): refusals name the flags. A manifest file's
   * refusals name its fields, as the file is what the user edits.
   */
  fromFlags?: boolean;
  /** A word for a field's refusal, keyed by field path (`inputs.tensor` → `the graph has inputs a, b`). */
  hints?: Readonly<Record<string, string>>;
}

/** The parsed manifest as the importer and the registry use it, with the default tensor names filled in. */
export function parseImportManifest(input: unknown, source: ImportSpecSource = {}): ImportSpec {
  if (source.fromFlags) {
    const parsed = importManifestSchema.safeParse(input, { error: refusalPredicates('flag') });
    if (!parsed.success) throw new ImportSpecError(flagRefusal(parsed.error.issues[0], input, source.hints ?? {}));
  }
  const result = checkInput(importManifestSchema, input, { subject: 'the manifest' });
  if (!result.success) {
    const hint = Object.entries(source.hints ?? {}).find(([path]) => result.message.startsWith(`${path}`));
    throw new ImportSpecError(`the import manifest is invalid: ${result.message}${hint ? ` (${hint[1]})` : ''}`);
  }
  const m = result.data;
  const converted = m.format !== 'onnx';
  const inputs: ImportSpec['inputs'] = m.inputs.text
    ? { kind: 'text', tensor: m.inputs.text.tensor, column: m.inputs.text.column }
    : { kind: 'columns', tensor: m.inputs.tensor ?? 'features', columns: m.inputs.columns ?? [] };
  const outputs: ImportSpec['outputs'] =
    m.task === 'regression'
      ? { value: m.outputs.value ?? 'value' }
      : {
          ...(m.outputs.label ? { label: m.outputs.label } : {}),
          ...(m.outputs.probabilities || converted
            ? { probabilities: m.outputs.probabilities ?? 'probabilities' }
            : {}),
        };
  return {
    name: m.name,
    target: m.target,
    task: m.task,
    format: m.format,
    inputs,
    outputs,
    labels: m.task === 'classification' ? (m.outputs.labels ?? []) : [],
  };
}

/** A tensor name taken from the graph because the spec left it out and the graph has only one candidate. */
export interface TakenTensor {
  /** The manifest field it fills: `inputs.tensor`, `outputs.value`, `outputs.probabilities`. */
  path: string;
  name: string;
  /** What the graph has one of: `input`, `output`, `float output`. */
  kind: string;
}

/** The flag (or, for a manifest file, the field) a taken name stands for, for the note on stderr. */
export function fieldLabel(path: string, fromFlags: boolean): string {
  return fromFlags ? (FLAG_OF_FIELD.find((f) => f.path === path)?.flag ?? path) : path;
}

const isProbabilities = (t: ModelSignature['outputs'][number]) =>
  ['float', 'double'].includes(t.type) && (t.shape === undefined || t.shape.length === 2);

/**
 * The ONNX tensor names an import left out, filled in from the graph where the graph leaves no
 * choice: the one input for the columns, the one output for a regression's value, the one float
 * [N, k] output for a classifier's probabilities. Where it has several, the name stays missing and
 * `hints` lists them, so the refusal says which names the graph offers. Converted dumps need none:
 * the project names their tensors.
 */
export function defaultTensorNames(
  input: Record<string, unknown>,
  signature: ModelSignature
): { input: Record<string, unknown>; taken: TakenTensor[]; hints: Record<string, string> } {
  const inputs = { ...((input.inputs as Record<string, unknown> | undefined) ?? {}) };
  const outputs = { ...((input.outputs as Record<string, unknown> | undefined) ?? {}) };
  const taken: TakenTensor[] = [];
  const hints: Record<string, string> = {};
  const choose = (path: string, candidates: string[], kind: string, set: (name: string) => void) => {
    if (candidates.length === 1) {
      set(candidates[0]);
      taken.push({ path, name: candidates[0], kind });
    } else if (candidates.length > 1) {
      hints[path] = `the graph has ${kind}s ${candidates.join(', ')}`;
    }
  };
  if (inputs.columns !== undefined && inputs.text === undefined && inputs.tensor === undefined) {
    choose(
      'inputs.tensor',
      signature.inputs.map((t) => t.name),
      'input',
      (name) => (inputs.tensor = name)
    );
  }
  if (input.task === 'regression' && outputs.value === undefined) {
    choose(
      'outputs.value',
      signature.outputs.map((t) => t.name),
      'output',
      (name) => (outputs.value = name)
    );
  }
  if (input.task === 'classification' && outputs.probabilities === undefined && outputs.label === undefined) {
    choose(
      'outputs.probabilities',
      signature.outputs.filter(isProbabilities).map((t) => t.name),
      'float output',
      (name) => (outputs.probabilities = name)
    );
  }
  return { input: { ...input, inputs, outputs }, taken, hints };
}
