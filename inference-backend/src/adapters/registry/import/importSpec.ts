import { z } from 'zod';
import { checkInput } from '@nocai/contract';
import { COLUMN_TYPES, IMPORT_FORMATS } from '../../../domain/mlops/importedModel';
import type { ImportSpec } from '../../../domain/mlops/importedModel';

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

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const nonEmpty = z.string().trim().min(1, 'must not be empty').max(256, 'is longer than 256 characters');

export const importManifestSchema = z
  .object({
    name: z
      .string()
      .regex(NAME, 'must start with a letter or digit and hold only letters, digits, ".", "_" or "-"')
      .max(128),
    target: z.string().regex(NAME, 'must start with a letter or digit and hold only letters, digits, ".", "_" or "-"'),
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

/** The parsed manifest as the importer and the registry use it, with the default tensor names filled in. */
export function parseImportManifest(input: unknown): ImportSpec {
  const result = checkInput(importManifestSchema, input, { subject: 'the manifest' });
  if (!result.success) throw new ImportSpecError(`the import manifest is invalid: ${result.message}`);
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
