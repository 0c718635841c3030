import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseTimestampMs } from '../../domain/timeseries/timestamps';
import { parseCsvRecords } from './csv';
import { parseMetricSeries } from './metricSeries';

/**
 * Reads the NAB files laid out as in `../shared/datasets/nab/`: one `<file>.csv` per series
 * (`timestamp,value`), `windows.json` (labelled windows under `realAWSCloudwatch/<file>`) and
 * `results/<detector>/<detector>_<file>.csv`, NAB's shipped score files.
 */
export interface NabSeries {
  /** The file name, e.g. `ec2_cpu_utilization_24ae8d.csv`. */
  name: string;
  timesMs: number[];
  values: number[];
  windowsMs: Array<[number, number]>;
}

export const NAB_WINDOWS_PREFIX = 'realAWSCloudwatch/';

function parseTime(text: string, where: string): number {
  const ms = parseTimestampMs(text);
  if (ms === undefined) throw new Error(`${where}: "${text}" is not a timestamp`);
  return ms;
}

/** Every series of the folder that has labelled windows, sorted by name. */
export function loadNabCorpus(nabDir: string): NabSeries[] {
  const windows = JSON.parse(readFileSync(path.join(nabDir, 'windows.json'), 'utf8')) as Record<
    string,
    Array<[string, string]>
  >;
  return readdirSync(nabDir)
    .filter((file) => file.endsWith('.csv') && windows[NAB_WINDOWS_PREFIX + file] !== undefined)
    .sort()
    .map((name): NabSeries => {
      const series = parseMetricSeries(readFileSync(path.join(nabDir, name), 'utf8'));
      if (series.values.some(Number.isNaN)) throw new Error(`${name}: a value is missing`);
      return {
        name,
        timesMs: series.timesMs,
        values: series.values,
        windowsMs: windows[NAB_WINDOWS_PREFIX + name].map(([start, end]): [number, number] => [
          parseTime(start, `windows.json ${name}`),
          parseTime(end, `windows.json ${name}`),
        ]),
      };
    });
}

export function hasNabResults(nabDir: string, detector: string): boolean {
  return existsSync(path.join(nabDir, 'results', detector));
}

/** The `anomaly_score` column of a shipped result file, checked row by row against the series' times. */
export function loadNabResultScores(nabDir: string, detector: string, series: NabSeries): number[] {
  const file = path.join(nabDir, 'results', detector, `${detector}_${series.name}`);
  const [header, ...rows] = parseCsvRecords(readFileSync(file, 'utf8')).filter(
    (record) => !(record.fields.length === 1 && record.fields[0] === '')
  );
  const timeColumn = header.fields.indexOf('timestamp');
  const scoreColumn = header.fields.indexOf('anomaly_score');
  if (timeColumn < 0 || scoreColumn < 0) throw new Error(`${file}: no timestamp or anomaly_score column`);
  if (rows.length !== series.timesMs.length) {
    throw new Error(`${file}: ${rows.length} rows for the ${series.timesMs.length} of ${series.name}`);
  }
  return rows.map(({ line, fields }, i) => {
    if (parseTime(fields[timeColumn], `${file} line ${line}`) !== series.timesMs[i]) {
      throw new Error(`${file} line ${line}: its time is not that of row ${i + 1} of ${series.name}`);
    }
    const score = Number(fields[scoreColumn]);
    if (!Number.isFinite(score)) throw new Error(`${file} line ${line}: anomaly_score is not a number`);
    return score;
  });
}
