import { InvalidArgumentError, Option } from 'commander';
import type { Command } from 'commander';
import {
  DEFAULT_MAX_CELL_CHARS,
  DEFAULT_MAX_INPUT_MB,
  InputFileError,
  printable,
  printablePath,
} from '../adapters/files/csv';
import type { Table } from '../adapters/files/csv';

/**
 * What the file commands (train, predict, templates, …) share: where they write, how they parse
 * their flags and how they report bad input. Kept apart from any command's work so that loading
 * one command never loads another (`nocai templates` must not pull in the trainer).
 */
export interface CommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export const processIo: CommandIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/** Bad input the user can fix (missing file, unknown column, one class, a damaged model): exit code 2. */
export class TrainInputError extends Error {}

/** Errors the user fixes by changing the input or the flags: one sentence on stderr and exit code 2. */
export function isInputError(error: unknown): error is Error {
  return error instanceof TrainInputError || error instanceof InputFileError;
}

/** The message of an input error as written to stderr: printable even if a cause quoted raw data. */
export function inputErrorMessage(error: Error): string {
  return printable(error.message, Number.POSITIVE_INFINITY);
}

/** Column names come from the file: quoted printable, and a header of thousands of columns is cut. */
const MAX_LISTED_COLUMNS = 30;

function columnsOf(table: Table): string {
  const shown = table.columns.slice(0, MAX_LISTED_COLUMNS).map((c) => printable(c));
  const more = table.columns.length - shown.length;
  return `${shown.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
}

export function checkColumns(table: Table, wanted: readonly string[], file: string): void {
  const missing = wanted.filter((c) => !table.columns.includes(c));
  const quoted = missing.map((c) => `"${printable(c)}"`).join(', ');
  // An empty file has no columns to list: "its columns are ." says nothing.
  if (missing.length > 0 && table.columns.length === 0) {
    throw new TrainInputError(
      `${printablePath(file)} is empty; give rows with the ${missing.length === 1 ? 'column' : 'columns'} ${quoted}.`
    );
  }
  if (missing.length > 0) {
    throw new TrainInputError(
      `${printablePath(file)} has no column ${quoted}; ` + `its columns are ${columnsOf(table)}.`
    );
  }
}

/**
 * A cell longer than `maxChars` in a column the models read is refused before any work: one
 * 150 MB cell took `nocai train` past 4 GB of memory (issue 7).
 */
export function checkCellLengths(table: Table, columns: readonly string[], maxChars: number, file: string): void {
  table.rows.forEach((row, i) => {
    for (const column of columns) {
      const length = row[column]?.length ?? 0;
      if (length > maxChars) {
        throw new TrainInputError(
          `${printablePath(file)} row ${i + 1} has ${length} characters in column "${printable(column)}", ` +
            `over the limit of ${maxChars} (raise it with --max-cell-chars).`
        );
      }
    }
  });
}

/**
 * A column that can teach a model nothing: `empty` when `valueOf` finds no value in any row,
 * `constant` (with that value) when every row has the same one (a missing cell counts as a value of
 * its own). `valueOf` says how the model reads a cell: undefined for a missing one.
 */
export function columnSpread(
  table: Table,
  column: string,
  valueOf: (cell: string) => string | undefined
): { kind: 'empty' } | { kind: 'constant'; value: string } | undefined {
  let first: string | undefined;
  let seen = false;
  let varies = false;
  let present = false;
  for (const row of table.rows) {
    const value = valueOf(row[column] ?? '');
    if (value !== undefined) present = true;
    if (!seen) {
      first = value;
      seen = true;
    } else if (value !== first) varies = true;
    if (present && varies) return undefined;
  }
  if (!present) return { kind: 'empty' };
  return varies || first === undefined ? undefined : { kind: 'constant', value: first };
}

export const columnList = (value: string): string[] => {
  const columns = value
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c !== '');
  if (columns.length === 0) throw new InvalidArgumentError('give at least one column name.');
  // `--features s2,s2` would feed the same column to the model twice, as two features.
  const twice = columns.find((c, i) => columns.indexOf(c) !== i);
  if (twice !== undefined) throw new InvalidArgumentError(`"${printable(twice)}" is listed twice.`);
  return columns;
};

export const positiveInteger = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer.`);
  return n;
};

/** Adds `--max-input-mb` and `--max-cell-chars`, the size guards of every command that reads a table. */
export function withInputLimits(command: Command): Command {
  return command
    .addOption(
      new Option('--max-input-mb <n>', 'refuse input files larger than this many MB (10^6 bytes)')
        .default(DEFAULT_MAX_INPUT_MB)
        .argParser(positiveInteger('--max-input-mb'))
    )
    .addOption(
      new Option('--max-cell-chars <n>', 'refuse longer cells in the columns the models read')
        .default(DEFAULT_MAX_CELL_CHARS)
        .argParser(positiveInteger('--max-cell-chars'))
    );
}
