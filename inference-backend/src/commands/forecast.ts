import { InvalidArgumentError, Option } from 'commander';
import type { Command } from 'commander';
import { plural } from '@nocai/contract';
import {
  DEFAULT_MAX_INPUT_MB,
  InputFileError,
  parseCsvRecords,
  printable,
  printablePath,
  readInputText,
  repeatedColumnMessage,
  TableFormatError,
  toCsvRow,
} from '../adapters/files/csv';
import { forecastMany } from '../domain/timeseries/forecast';
import type { Forecast, ForecastChoice } from '../domain/timeseries/forecast';
import { assembleSeries, calendarSeasons, futureTimes, ForecastInputError } from '../domain/timeseries/forecastInput';
import type { ForecastInput, InputSeries, LongRow } from '../domain/timeseries/forecastInput';
import { inputErrorMessage, positiveInteger, processIo } from './commandInput';
import type { CommandIo } from './commandInput';

/** A guard against typos (`--horizon 480000`) that would fill memory and the terminal. */
export const MAX_HORIZON = 10_000;
const COLUMNS = ['series', 't', 'value'] as const;

export interface ForecastFlags {
  input: string;
  horizon: number;
  /** Seasonal periods in steps; [] for `--season none`; absent: from the calendar of timestamps. */
  season?: number[];
  /** Interval coverage in percent. */
  level: number;
  /** Largest input file read, in MB; DEFAULT_MAX_INPUT_MB when absent. */
  maxInputMb?: number;
}

/** The long rows of a `series,t,value` CSV (other columns are ignored), with their line numbers. */
export function readLongRows(text: string): LongRow[] {
  const [header, ...body] = parseCsvRecords(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  const names = (header?.fields ?? []).map((c) => c.trim().toLowerCase());
  const at = COLUMNS.map((column) => names.indexOf(column));
  if (at.some((i) => i < 0)) {
    const found = header ? header.fields.map((c) => `"${printable(c)}"`).join(', ') : 'none';
    throw new TableFormatError(`needs the columns series, t and value (found: ${found})`);
  }
  const repeated = repeatedColumnMessage(names, COLUMNS);
  if (repeated) throw new TableFormatError(repeated);
  const rows: LongRow[] = [];
  for (const { line, fields } of body) {
    if (fields.length === 1 && fields[0].trim() === '') continue;
    if (fields.length !== names.length) {
      throw new TableFormatError(
        `line ${line} has ${plural(fields.length, 'cell')} but the header has ${names.length}`
      );
    }
    rows.push({ line, series: fields[at[0]], t: fields[at[1]], value: fields[at[2]] });
  }
  return rows;
}

function seasonsOf(series: InputSeries, input: ForecastInput, flags: ForecastFlags): number[] {
  if (flags.season) return flags.season;
  if (input.timeKind === 'timestamp') return calendarSeasons(series.step);
  throw new ForecastInputError(
    'has an integer index in t, so there is no calendar to take the seasons from: give them with --season ' +
      '(for hourly data --season 24,168), or --season none'
  );
}

/** Compact numbers: ten significant digits are more than any sensor gives. */
const number = (value: number) => Number(value.toPrecision(10));

/**
 * `series,t,forecast,lower,upper` for the `horizon` steps after each series, in input order.
 * Series that share their seasons are forecast together (they share the global models).
 */
export function forecastCsv(input: ForecastInput, flags: ForecastFlags): { csv: string; summary: string } {
  const groups = new Map<string, { seasons: number[]; members: number[] }>();
  input.series.forEach((series, i) => {
    const seasons = seasonsOf(series, input, flags);
    const key = seasons.join(',');
    const group = groups.get(key) ?? { seasons, members: [] };
    group.members.push(i);
    groups.set(key, group);
  });
  const results = new Array<Forecast>(input.series.length);
  const choices: GroupChoice[] = [];
  for (const { seasons, members } of groups.values()) {
    const run = forecastMany(
      members.map((i) => input.series[i].values),
      { horizon: flags.horizon, seasons, level: flags.level / 100 }
    );
    run.forecasts.forEach((f, j) => (results[members[j]] = f));
    choices.push({ seasons, size: members.length, choice: run.choice });
  }
  const lines = [toCsvRow(['series', 't', 'forecast', 'lower', 'upper'])];
  input.series.forEach((series, i) => {
    const f = results[i];
    futureTimes(series, flags.horizon, input.timeKind).forEach((t, h) =>
      lines.push(toCsvRow([series.name, t, number(f.point[h]), number(f.lower[h]), number(f.upper[h])]))
    );
  });
  return { csv: `${lines.join('\n')}\n`, summary: summarise(input, choices) };
}

interface GroupChoice {
  seasons: number[];
  size: number;
  choice: ForecastChoice;
}

function summarise(input: ForecastInput, groups: readonly GroupChoice[]): string {
  const series = (n: number) => plural(n, 'series', { plural: 'series' });
  const imputed = input.series.reduce((sum, s) => sum + s.imputed, 0);
  const merged = input.series.reduce((sum, s) => sum + s.merged, 0);
  const parts = groups.map(({ seasons, size, choice }) => {
    const validated = choice.validatedSeries;
    const short = size - validated;
    const how = [
      validated > 0
        ? `${series(validated)} by the mean of their best ${plural(choice.combined, 'candidate')} at rolling origins`
        : '',
      short > 0 ? `${series(short)} too short to validate by the seasonal naive` : '',
    ].filter((part) => part !== '');
    return `seasons ${seasons.length > 0 ? seasons.join(',') : 'none'}: ${how.join(', ')}`;
  });
  const repairs = [
    imputed > 0 ? `${plural(imputed, 'missing value')} interpolated` : '',
    merged > 0 ? `${plural(merged, 'duplicate row')} merged` : '',
  ].filter((part) => part !== '');
  return `${series(input.series.length)}; ${parts.join('; ')}${repairs.length > 0 ? `; ${repairs.join(', ')}` : ''}`;
}

/** `nocai forecast`: returns the exit code (0, or 2 with one sentence on stderr for bad input). */
export async function runForecast(flags: ForecastFlags, io: CommandIo = processIo): Promise<number> {
  try {
    const text = await readInputText(flags.input, { maxInputMb: flags.maxInputMb, limitHint: '--max-input-mb' });
    let output: { csv: string; summary: string };
    try {
      output = forecastCsv(assembleSeries(readLongRows(text)), flags);
    } catch (error) {
      if (error instanceof TableFormatError || error instanceof ForecastInputError) {
        throw new InputFileError(`${printablePath(flags.input)} ${error.message}.`);
      }
      throw error;
    }
    io.stdout(output.csv);
    io.stderr(`nocai forecast: ${output.summary}\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof InputFileError)) throw error;
    io.stderr(`nocai forecast: ${inputErrorMessage(error)}\n`);
    return 2;
  }
}

const horizonOption = (value: string): number => {
  const n = positiveInteger('--horizon')(value);
  if (n > MAX_HORIZON) throw new InvalidArgumentError(`--horizon must be at most ${MAX_HORIZON} steps.`);
  return n;
};

export const seasonList = (value: string): number[] => {
  if (value.trim().toLowerCase() === 'none') return [];
  const periods = value.split(',').map((part) => part.trim());
  if (periods.some((p) => !/^\d+$/.test(p) || Number(p) < 2)) {
    throw new InvalidArgumentError('--season takes whole numbers of steps of at least 2, comma-separated (or none).');
  }
  return periods.map(Number);
};

const levelOption = (value: string): number => {
  const level = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value.trim()) || !(level > 0 && level < 100)) {
    throw new InvalidArgumentError('--level is a coverage in percent, above 0 and below 100 (e.g. 95).');
  }
  return level;
};

const HELP = `
Reads a long CSV with the columns series, t and value (t an ISO 8601 timestamp, or an integer index:
integers, epoch times included, are read as an index and continued with their own step) and prints
series,t,forecast,lower,upper for the H steps after each series.
Rows may come in any order; a t repeated within a series has its values averaged; missing steps and
empty values are filled by linear interpolation (at most half of a series).

Per series, the forecast is the mean of the best of a few candidates (seasonal naive, seasonal mean
and median, seasonal drift, ridge regressions on normalised lags pooled over all series, a local
autoregression), ranked on the last H steps, the H before them, ... (up to 7 origins); the intervals
come from the same held-out errors (split conformal). --season defaults to the day and the week of
timestamped data; with an integer index, give it (e.g. 24,168 for hourly data) or say none.

Example:
  nocai forecast --input load.csv --horizon 48 --season 24,168 --level 95 > forecast.csv`;

export function registerForecast(program: Command): void {
  program
    .command('forecast')
    .requiredOption('--input <file>', 'CSV with the columns series, t and value')
    .addOption(
      new Option('--horizon <steps>', 'steps to forecast after each series')
        .makeOptionMandatory()
        .argParser(horizonOption)
    )
    .addOption(
      new Option('--season <periods>', 'seasonal periods in steps, e.g. 24,168; or none').argParser(seasonList)
    )
    .addOption(new Option('--level <percent>', 'prediction interval coverage').default(95).argParser(levelOption))
    .addOption(
      new Option('--max-input-mb <n>', 'refuse input files larger than this many MB (10^6 bytes)')
        .default(DEFAULT_MAX_INPUT_MB)
        .argParser(positiveInteger('--max-input-mb'))
    )
    .addHelpText('after', HELP)
    .action(async (_options: unknown, command: Command) => {
      process.exitCode = await runForecast(command.opts<ForecastFlags>(), processIo);
    });
}
