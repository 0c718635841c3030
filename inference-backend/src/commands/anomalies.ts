import { Option } from 'commander';
import type { Command } from 'commander';
import { DEFAULT_MAX_INPUT_MB, InputFileError, toCsvRow } from '../adapters/files/csv';
import { readMetricSeries } from '../adapters/files/metricSeries';
import type { MetricSeries } from '../adapters/files/metricSeries';
import { createState, DEFAULT_ANOMALY_SETTINGS, update } from '../domain/timeseries/anomalyDetector';
import type { AnomalyDetectorSettings } from '../domain/timeseries/anomalyDetector';
import { inputErrorMessage, positiveInteger, processIo } from './commandInput';
import type { CommandIo } from './commandInput';

export interface AnomaliesFlags {
  input: string;
  kind: AnomalyDetectorSettings['kind'];
  /** Largest input file read, in MB; DEFAULT_MAX_INPUT_MB when absent. */
  maxInputMb?: number;
}

const KINDS: ReadonlyArray<AnomalyDetectorSettings['kind']> = ['auto', 'gauge', 'counter'];
/** Six decimals: finer differences between scores mean nothing, and the CSV stays readable. */
const SCORE_DECIMALS = 6;

/**
 * `timestamp,value,anomaly_score` for each row, in the input's order, each score computed from
 * that row and the rows before it only (the live stage's detector, one fresh state). Timestamps
 * and values are echoed as written; a row with an empty value scores 0.
 */
export function anomaliesCsv(
  series: MetricSeries,
  settings: AnomalyDetectorSettings = DEFAULT_ANOMALY_SETTINGS
): string {
  const state = createState();
  const out = [toCsvRow(['timestamp', 'value', 'anomaly_score'])];
  series.values.forEach((value, i) => {
    const { score } = update(state, series.timesMs[i], value, settings);
    out.push(toCsvRow([series.timestamps[i], series.valueTexts[i], Number(score.toFixed(SCORE_DECIMALS))]));
  });
  return `${out.join('\n')}\n`;
}

export async function runAnomalies(flags: AnomaliesFlags, io: CommandIo = processIo): Promise<number> {
  let series: MetricSeries;
  try {
    series = await readMetricSeries(flags.input, { maxInputMb: flags.maxInputMb, limitHint: '--max-input-mb' });
  } catch (error) {
    if (!(error instanceof InputFileError)) throw error;
    io.stderr(`nocai anomalies: ${inputErrorMessage(error)}\n`);
    return 2;
  }
  io.stdout(anomaliesCsv(series, { ...DEFAULT_ANOMALY_SETTINGS, kind: flags.kind }));
  return 0;
}

const HELP = `
The input is NAB's format: a header with timestamp and value (other columns are ignored), one row
per sample, oldest first. Timestamps are date-times (2014-02-14 14:30:00, ISO 8601; UTC unless a
zone is given) or Unix epochs in s, ms, µs or ns. Rows must not go back in time; a repeated
timestamp is taken as the next sample (clocks going back repeat an hour). An empty value is a
missing sample: it scores 0 and is not learnt. A non-numeric value, a missing column or an
unparseable timestamp is refused with the line it is on (exit code 2).

Scores are in [0, 1) and causal: each comes from its row and the rows before it. Only the first
sample of an anomaly scores (an ongoing one scores 0 until it gets worse); the first 30 samples
score 0 while the detector learns; a constant series scores 0 throughout. A counter (a total that
only rises) is scored on its increase per interval, and its resets are skipped.

Examples:
  nocai anomalies --input ec2_cpu_utilization_24ae8d.csv > scores.csv
  nocai anomalies --input bytes_total.csv --kind counter`;

export function registerAnomalies(program: Command): void {
  program
    .command('anomalies')
    .requiredOption('--input <file>', 'CSV with the columns timestamp and value (NAB format)')
    .addOption(
      new Option(
        '--kind <kind>',
        'gauge, counter (scored on its increases), or auto: a series that only rises is a counter'
      )
        .choices(KINDS)
        .default('auto')
    )
    .addOption(
      new Option('--max-input-mb <n>', 'refuse input files larger than this many MB (10^6 bytes)')
        .default(DEFAULT_MAX_INPUT_MB)
        .argParser(positiveInteger('--max-input-mb'))
    )
    .addHelpText('after', HELP)
    .action(async (_options: unknown, command: Command) => {
      process.exitCode = await runAnomalies(command.opts<AnomaliesFlags>());
    });
}
