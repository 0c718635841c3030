import { specTerms } from '../../../domain/mlops/importedModel';
import type { ImportCheckReport, ImportSpec, SpecTerms } from '../../../domain/mlops/importedModel';
import type { ImportedOutputsBatch } from '../../onnx/importedModel';

/**
 * The check an imported model passes before the registry takes it: its outputs on the reference
 * rows must be what its manifest says (probabilities in [0, 1] summing to 1, labels among the
 * manifest's) and, where the training tool wrote its own predictions next to the inputs
 * (`expected_label`, `expected_p_<label>`, `expected_value`), equal to them.
 */

/** |ours − expected| ≤ TOLERANCE × max(1, |expected|): 1e-5, relative beyond 1 because outputs are float32. */
export const TOLERANCE = 1e-5;
/** Row sums of float32 probabilities stray ~1e-7 from 1; unnormalised scores stray by far more. */
const PROBABILITY_SUM_TOLERANCE = 1e-4;

export const EXPECTED_LABEL = 'expected_label';
export const EXPECTED_VALUE = 'expected_value';
export const EXPECTED_PROBABILITY_PREFIX = 'expected_p_';

/** The model's outputs contradict its manifest or the reference predictions; the message says where. */
export class ReferenceMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReferenceMismatchError';
  }
}

const within = (ours: number, expected: number) =>
  Math.abs(ours - expected) <= TOLERANCE * Math.max(1, Math.abs(expected));

/** The expected-output columns of `columns`, refusing a probability column for a label the manifest lacks. */
export function expectedColumns(
  columns: readonly string[],
  spec: Pick<ImportSpec, 'task' | 'labels'>,
  terms: SpecTerms = specTerms()
): string[] {
  const found: string[] = [];
  for (const column of columns) {
    if (column === EXPECTED_LABEL || column === EXPECTED_VALUE) found.push(column);
    else if (column.startsWith(EXPECTED_PROBABILITY_PREFIX)) {
      const label = column.slice(EXPECTED_PROBABILITY_PREFIX.length);
      if (!spec.labels.includes(label)) {
        throw new ReferenceMismatchError(
          `the reference column ${column} is for label "${label}", which is not among ${terms.labels} (${spec.labels.join(', ')})`
        );
      }
      found.push(column);
    }
  }
  if (spec.task === 'regression' && found.some((c) => c !== EXPECTED_VALUE)) {
    throw new ReferenceMismatchError(
      `the reference file has label or probability columns, but ${terms.taskIs('regression')}`
    );
  }
  if (spec.task === 'classification' && found.includes(EXPECTED_VALUE)) {
    throw new ReferenceMismatchError(
      `the reference file has expected_value, but ${terms.taskIs('classification', 'classifier')}`
    );
  }
  return found;
}

function expectedNumber(cell: string | undefined, row: number, column: string): number {
  const value = Number(cell);
  if (cell === undefined || cell.trim() === '' || !Number.isFinite(value)) {
    throw new ReferenceMismatchError(`reference row ${row + 1}: ${column} is not a number`);
  }
  return value;
}

/**
 * Compares the model's outputs on the reference rows with the manifest and the expected columns.
 * Throws a `ReferenceMismatchError` naming the first row that differs; returns the figures.
 */
export function checkReference(
  spec: Pick<ImportSpec, 'task' | 'labels'>,
  batch: ImportedOutputsBatch,
  rows: ReadonlyArray<Record<string, string>>,
  columns: readonly string[],
  terms: SpecTerms = specTerms()
): ImportCheckReport {
  const expected = expectedColumns(columns, spec, terms);
  const K = spec.labels.length;
  let maxAbsDifference: number | null = null;
  let maxSumError: number | null = null;
  let agreeing = 0;
  const note = (difference: number) => (maxAbsDifference = Math.max(maxAbsDifference ?? 0, difference));
  for (let r = 0; r < batch.rows; r++) {
    if (spec.task === 'regression') {
      const ours = batch.values?.[r] ?? Number.NaN;
      if (!Number.isFinite(ours))
        throw new ReferenceMismatchError(`reference row ${r + 1}: the model's value is ${ours}`);
      if (expected.includes(EXPECTED_VALUE)) {
        const want = expectedNumber(rows[r][EXPECTED_VALUE], r, EXPECTED_VALUE);
        note(Math.abs(ours - want));
        if (!within(ours, want)) {
          throw new ReferenceMismatchError(
            `reference row ${r + 1}: the model predicts ${ours} where the training tool predicted ${want} (tolerance ${TOLERANCE}, relative to values above 1)`
          );
        }
      }
      continue;
    }
    const p = batch.probabilities?.subarray(r * K, (r + 1) * K);
    if (p) {
      let sum = 0;
      for (let k = 0; k < K; k++) {
        if (!(p[k] >= -PROBABILITY_SUM_TOLERANCE && p[k] <= 1 + PROBABILITY_SUM_TOLERANCE)) {
          throw new ReferenceMismatchError(
            `reference row ${r + 1}: probability of ${spec.labels[k]} is ${p[k]}, outside [0, 1]`
          );
        }
        sum += p[k];
      }
      maxSumError = Math.max(maxSumError ?? 0, Math.abs(sum - 1));
      if (Math.abs(sum - 1) > PROBABILITY_SUM_TOLERANCE) {
        throw new ReferenceMismatchError(
          `reference row ${r + 1}: the probabilities sum to ${sum.toPrecision(6)}, not 1`
        );
      }
      for (let k = 0; k < K; k++) {
        const column = `${EXPECTED_PROBABILITY_PREFIX}${spec.labels[k]}`;
        if (!expected.includes(column)) continue;
        const want = expectedNumber(rows[r][column], r, column);
        note(Math.abs(p[k] - want));
        if (!within(p[k], want)) {
          throw new ReferenceMismatchError(
            `reference row ${r + 1}: the model gives ${spec.labels[k]} probability ${p[k].toPrecision(7)} where the ` +
              `training tool gave ${want} (is ${terms.labelOrder} that of the model's columns?)`
          );
        }
      }
    }
    const label = batch.labels?.[r] ?? (p ? spec.labels[argmax(p)] : undefined);
    if (batch.labels && !spec.labels.includes(batch.labels[r])) {
      throw new ReferenceMismatchError(
        `reference row ${r + 1}: the model's label output is "${batch.labels[r]}", which is not among ${terms.labels}`
      );
    }
    if (expected.includes(EXPECTED_LABEL)) {
      const want = rows[r][EXPECTED_LABEL];
      if (label === want) agreeing++;
      // A tie between the top classes may be broken either way; anything else must agree.
      else if (!(p && isTie(p, spec.labels.indexOf(want)))) {
        throw new ReferenceMismatchError(
          `reference row ${r + 1}: the model predicts "${label}" where the training tool predicted "${want}"`
        );
      }
    }
  }
  return {
    referenceRows: batch.rows,
    expectedColumns: expected,
    maxAbsDifference,
    labelAgreement: expected.includes(EXPECTED_LABEL) && batch.rows > 0 ? agreeing / batch.rows : null,
    tolerance: TOLERANCE,
    maxProbabilitySumError: maxSumError,
  };
}

function argmax(p: ArrayLike<number>): number {
  let best = 0;
  for (let k = 1; k < p.length; k++) if (p[k] > p[best]) best = k;
  return best;
}

function isTie(p: ArrayLike<number>, wanted: number): boolean {
  return wanted >= 0 && Math.abs(p[wanted] - p[argmax(p)]) <= TOLERANCE;
}
