import { DEFAULT_OUTPUT_DATABASE, plural } from '@nocai/contract';
import { Option, type Command } from 'commander';
import { InputFileError, printablePath } from '../adapters/files/csv';
import { prepareOutputFile, writeOutputFile } from '../adapters/files/outputFolder';
import { InfluxClient } from '../adapters/influx/client';
import { InfluxReportSource } from '../adapters/report/influxReportSource';
import { buildReport } from '../adapters/report/reportGenerator';
import { parseReportRange, REPORT_TIME_HELP, ReportRangeError } from '../adapters/report/reportRange';
import { renderReportHtml } from '../adapters/report/renderHtml';
import { systemClock, type Clock } from '../domain/series';
import { withInfluxCredentials } from './influxOptions';

export interface ReportFlags {
  from: string;
  to: string;
  out: string;
  influxUrl: string;
  token?: string;
  username?: string;
  password?: string;
  database: string;
}

/**
 * `nocai report`: the performance report of a range, from the results database, as one HTML file.
 * The range and the output file are checked before InfluxDB is asked anything, so a typo costs no
 * query; a bad range or an unusable file is an InputFileError (exit 2), InfluxDB down exit 1.
 */
export async function runReport(flags: ReportFlags, clock: Clock = systemClock): Promise<string> {
  let range;
  try {
    range = parseReportRange(flags.from, flags.to, clock.nowMs());
  } catch (error) {
    if (error instanceof ReportRangeError) {
      // "from: …" names the flag as typed: "--from: …".
      throw new InputFileError(/^(from|to):/.test(error.message) ? `--${error.message}` : error.message);
    }
    throw error;
  }
  await prepareOutputFile(flags.out);
  const client = new InfluxClient({
    url: flags.influxUrl,
    token: flags.token,
    username: flags.username,
    password: flags.password,
  });
  const report = await buildReport(new InfluxReportSource(client, flags.database), range, clock);
  const html = renderReportHtml(report);
  await writeOutputFile(flags.out, html);
  const evaluations = report.models.reduce((n, m) => n + m.evaluations.length, 0);
  return (
    `report: ${plural(report.models.length, 'model')}, ${plural(evaluations, 'evaluation')}, ` +
    `${plural(report.alerts.total.raised, 'alert')} raised, written to ${printablePath(flags.out)}\n`
  );
}

export function registerReport(program: Command): void {
  withInfluxCredentials(
    program
      .command('report')
      .requiredOption('--from <time>', `start of the range (${REPORT_TIME_HELP})`)
      .requiredOption('--to <time>', 'end of the range, excluded (same forms)')
      .requiredOption('--out <file>', 'the HTML file to write: one self-contained page, charts included')
      .addOption(
        new Option('--influx-url <url>', 'InfluxDB base URL').default('http://127.0.0.1:8086').env('INFLUX_URL')
      )
      .addOption(
        new Option('--database <name>', 'the results database').default(DEFAULT_OUTPUT_DATABASE).env('INFLUX_OUTPUT_DB')
      )
  )
    .addHelpText(
      'after',
      '\nPer model: champion and versions, holdout vs production accuracy, per-segment figures, drift, retraining ' +
        'decisions; alerts raised and the verdicts on them. Example:\n' +
        '  nocai report --from 2024-05-06 --to 2024-05-13 --out week-19.html'
    )
    .action(async (flags: ReportFlags) => {
      process.stderr.write(await runReport(flags));
    });
}
