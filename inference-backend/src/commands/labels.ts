import { DEFAULT_OUTPUT_DATABASE, plural } from '@nocai/contract';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { systemClock, type PointSink } from '../domain/series';
import { labelRows, readFeedback } from '../adapters/influx/feedbackLabels';
import { InfluxClient } from '../adapters/influx/client';
import { TicketsRepository } from '../adapters/influx/ticketsRepository';
import { toCsvRow } from '../adapters/files/csv';
import { prepareOutputFile, writeOutputFile } from '../adapters/files/outputFolder';
import { withInfluxCredentials } from './influxOptions';

interface LabelsFlags {
  influxUrl: string;
  token?: string;
  username?: string;
  password?: string;
  database: string;
  days: number;
  out: string;
}

const READ_ONLY: PointSink = {
  write: () => Promise.reject(new Error('nocai labels only reads')),
  flush: () => Promise.resolve(),
  close: () => Promise.resolve(),
};

/**
 * Operators' feedback and corrections become labels: each judged or corrected ticket is written as
 * a training row (JSON lines, or CSV when the file ends in .csv) that `nocai train --history` reads
 * next to, or merged into, the ticket history.
 */
async function labels(flags: LabelsFlags): Promise<void> {
  await prepareOutputFile(flags.out);
  const client = new InfluxClient({
    url: flags.influxUrl,
    token: flags.token,
    username: flags.username,
    password: flags.password,
  });
  const nowMs = Date.now();
  const sinceMs = nowMs - flags.days * 86_400_000;
  const feedback = await readFeedback(client, flags.database, sinceMs);
  const tickets = new TicketsRepository(client, flags.database, READ_ONLY, systemClock);
  await tickets.load(nowMs);
  const { rows, missing } = labelRows(tickets.all(), feedback, sinceMs);
  // Through toCsvRow, like every CSV the CLI writes: comments and titles typed by people are neutralised there.
  if (flags.out.toLowerCase().endsWith('.csv')) {
    const columns = rows.length ? Object.keys(rows[0]) : [];
    await writeOutputFile(
      flags.out,
      [toCsvRow(columns), ...rows.map((r) => toCsvRow(columns.map((c) => r[c])))].join('\n') + '\n'
    );
  } else {
    await writeOutputFile(flags.out, rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : ''));
  }
  const counts = rows.reduce<Record<string, number>>((acc, r) => {
    const kinds = [r.verdict, r.corrected ? 'corrected' : ''].filter(Boolean);
    for (const kind of kinds) acc[kind] = (acc[kind] ?? 0) + 1;
    return acc;
  }, {});
  process.stderr.write(
    `labels: ${plural(rows.length, 'labelled ticket')} written to ${flags.out} (${
      Object.entries(counts)
        .map(([v, n]) => `${n} ${v}`)
        .join(', ') || 'no verdicts or corrections yet'
    })${missing ? `; ${plural(missing, 'verdict names a ticket', { plural: 'verdicts name tickets' })} no longer stored` : ''}\n`
  );
}

const positiveInt = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('--days must be an integer ≥ 1.');
  return n;
};

export function registerLabels(program: Command): void {
  withInfluxCredentials(
    program
      .command('labels')
      .requiredOption('--out <file>', 'JSON lines (or .csv) to write')
      .addOption(
        new Option('--influx-url <url>', 'InfluxDB base URL').default('http://127.0.0.1:8086').env('INFLUX_URL')
      )
      .addOption(
        new Option('--database <name>', 'the results database').default(DEFAULT_OUTPUT_DATABASE).env('INFLUX_OUTPUT_DB')
      )
  )
    .option('--days <n>', 'how far back to read verdicts and corrections', positiveInt, 365)
    .addHelpText(
      'after',
      '\nThen: nocai train --history FILE --text title,description --department department --priority priority --time opened_at --out DIR'
    )
    .action((flags: LabelsFlags) => labels(flags));
}
