import { plural } from '@nocai/contract';
import { isMissingCell } from '../../domain/mlops/tabularFeatures';
import { parseTimestampMs } from '../../domain/timeseries/timestamps';
import {
  InputFileError,
  parseCsvRecords,
  printable,
  printablePath,
  readInputText,
  repeatedColumnMessage,
  TableFormatError,
} from './csv';
import type { InputLimits } from './csv';

/**
 * One metric series in NAB's CSV shape: a header with `timestamp` and `value` (other columns
 * are ignored), one row per sample, oldest first.
 */
export interface MetricSeries {
  /** As written in the file, so output rows echo their input. */
  timestamps: string[];
  timesMs: number[];
  /** As written in the file (trimmed). */
  valueTexts: string[];
  /** NaN where the cell is empty: a missing sample, which the detector skips. */
  values: number[];
}

/** A plain decimal number: `Number()` would also take `0x1f`, `Infinity` and `1_000`-like typos as numbers. */
const DECIMAL = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/**
 * The series in `text`, or a `TableFormatError` saying in one sentence which line is wrong and
 * why: no `timestamp`/`value` column, no row, a timestamp that is no date-time or epoch, a value
 * that is not a number, or a time earlier than the row before (the scores are causal, so the rows
 * must be in time order), or a second `timestamp` or `value` column. Two handlings instead of errors:
 * - an empty value cell, or NA, N/A, NaN, null or None in any case (as R, pandas and databases
 *   write them, and as `nocai train` reads them), is a missing sample (the detector skips it);
 * - a repeated timestamp is the next sample: exports repeat an hour when clocks go back (two of
 *   NAB's AWS files repeat 03:00 twelve times), and the rows keep their file order.
 */
export function parseMetricSeries(text: string): MetricSeries {
  const [header, ...body] = parseCsvRecords(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  const columns = (header?.fields ?? []).map((c) => c.trim().toLowerCase());
  const timeColumn = columns.indexOf('timestamp');
  const valueColumn = columns.indexOf('value');
  if (timeColumn < 0 || valueColumn < 0) {
    const shown = header ? header.fields.map((c) => `"${printable(c)}"`).join(', ') : 'none';
    throw new TableFormatError(`needs the columns timestamp and value (found: ${shown})`);
  }
  const repeated = repeatedColumnMessage(columns, ['timestamp', 'value']);
  if (repeated) throw new TableFormatError(repeated);
  const series: MetricSeries = { timestamps: [], timesMs: [], valueTexts: [], values: [] };
  let previousLine = 0;
  for (const { line, fields } of body) {
    if (fields.length === 1 && fields[0].trim() === '') continue;
    if (fields.length !== columns.length) {
      throw new TableFormatError(
        `line ${line} has ${plural(fields.length, 'cell')} but the header has ${columns.length}`
      );
    }
    const stamp = fields[timeColumn].trim();
    const timeMs = parseTimestampMs(stamp);
    if (timeMs === undefined) {
      throw new TableFormatError(
        `line ${line}: timestamp "${printable(stamp)}" is not a date-time (2014-02-14 14:30:00, ISO 8601) or a Unix epoch`
      );
    }
    const previous = series.timesMs.length ? series.timesMs[series.timesMs.length - 1] : undefined;
    if (previous !== undefined && timeMs < previous) {
      throw new TableFormatError(
        `line ${line}: timestamp "${printable(stamp)}" is earlier than that of line ${previousLine}; sort the rows by time`
      );
    }
    const valueText = fields[valueColumn].trim();
    const missing = isMissingCell(valueText);
    if (!missing && !DECIMAL.test(valueText)) {
      throw new TableFormatError(`line ${line}: value "${printable(valueText)}" is not a number`);
    }
    const value = missing ? Number.NaN : Number(valueText);
    if (!missing && !Number.isFinite(value)) {
      throw new TableFormatError(`line ${line}: value "${printable(valueText)}" is too large for a finite number`);
    }
    series.timestamps.push(stamp);
    series.timesMs.push(timeMs);
    // Printed back empty: no output cell reads NaN.
    series.valueTexts.push(missing ? '' : valueText);
    series.values.push(value);
    previousLine = line;
  }
  if (series.timestamps.length === 0) throw new TableFormatError('has a header but no rows');
  return series;
}

/** The series in `file`; every problem is an `InputFileError` whose message names the file. */
export async function readMetricSeries(file: string, limits: InputLimits = {}): Promise<MetricSeries> {
  const text = await readInputText(file, limits);
  try {
    return parseMetricSeries(text);
  } catch (error) {
    if (error instanceof TableFormatError) throw new InputFileError(`${printablePath(file)} ${error.message}.`);
    throw error;
  }
}
