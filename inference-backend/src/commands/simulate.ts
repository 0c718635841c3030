import { withInfluxCredentials } from './influxOptions';
import { InvalidArgumentError, Option } from 'commander';
import type { Command } from 'commander';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_INPUT_DATABASE, INCIDENT_KINDS, isIncidentKind, SITE_KINDS, plural } from '@nocai/contract';
import type { Inventory, SiteKind } from '@nocai/contract';
import { loadInventoryFile } from '../adapters/files/inventory';
import { LineFileWriter, createLineProtocolFileSink } from '../adapters/files/lineProtocolFileSink';
import { createInfluxSink } from '../adapters/influx';
import type { PointSink } from '../domain/series';
import {
  DEFAULT_INCIDENTS_PER_SITE_DAY,
  DEFAULT_METRICS_INTERVAL_SECONDS,
  DEFAULT_SENSOR_INTERVAL_SECONDS,
  DEFAULT_SITE_COUNT,
  formatInventory,
  generateInventory,
  generateTicketHistory,
  runBackfill,
  simulationFor,
  startLive,
  ticketsToCsv,
  ticketsToJsonl,
} from '../simulator';
import type { BackfillProgress, LiveRun, RunSettings, ScenarioSpec, TruthSink } from '../simulator';
import { LabelledLineJoiner, labelledLineCsvHeader, labelledLineToCsv } from '../simulator/labelledLines';
import { Topology } from '../simulator/topology';
import { onShutdownSignal } from './signals';

const DEFAULT_OUT_DIR = './.demo/sim';
const DEFAULT_DAYS = 30;
const DEFAULT_HISTORY_DAYS = 365;
/** With --speed above 1 and no --end, the last hour is replayed: there is nothing else to play faster. */
const DEFAULT_REPLAY_MINUTES = 60;
const DAY_MS = 86_400_000;

interface SimulateFlags {
  days?: number;
  end?: number;
  live?: boolean;
  speed?: number;
  replay?: number;
  seed: number;
  sites: number;
  inventory?: string;
  interval: number;
  sensorInterval: number;
  incidentRate: number;
  scenario?: ScenarioFlag[];
  historyDays: number;
  outFile?: string;
  influxUrl?: string;
  database: string;
  token?: string;
  username?: string;
  password?: string;
  batchSize: number;
  outDir: string;
  quiet?: boolean;
}

/** `--scenario kind@time[@target]` before the inventory is known to say what the target is. */
interface ScenarioFlag {
  kind: ScenarioSpec['kind'];
  atUs: number;
  target?: string;
}

const integer = (name: string, min: number) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer ≥ ${min}.`);
  return n;
};

const positiveNumber =
  (name: string, allowZero = false) =>
  (value: string) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0 || (!allowZero && n === 0)) {
      throw new InvalidArgumentError(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} number.`);
    }
    return n;
  };

function parseTimeMs(value: string, name: string): number {
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) {
    throw new InvalidArgumentError(`${name} must be an ISO 8601 time such as 2024-05-01T12:00:00Z.`);
  }
  return ms;
}

function parseScenario(value: string, previous: ScenarioFlag[] | undefined): ScenarioFlag[] {
  const [kind, time, target, ...rest] = value.split('@');
  if (!kind || !time || rest.length > 0 || !isIncidentKind(kind)) {
    throw new InvalidArgumentError(
      `--scenario must look like KIND@TIME[@SITE|SITE_KIND|HOST] with KIND one of ${INCIDENT_KINDS.join(', ')}.`
    );
  }
  return [
    ...(previous ?? []),
    { kind, atUs: parseTimeMs(time, '--scenario TIME') * 1000, target: target || undefined },
  ];
}

function toSpec(flag: ScenarioFlag, inventory: Inventory): ScenarioSpec {
  const { kind, atUs, target } = flag;
  if (target === undefined) return { kind, atUs };
  if (inventory.sites.some((s) => s.id === target)) return { kind, atUs, site: target };
  if (inventory.devices.some((d) => d.host === target)) return { kind, atUs, host: target };
  if ((SITE_KINDS as readonly string[]).includes(target)) return { kind, atUs, siteKind: target as SiteKind };
  throw new InvalidArgumentError(
    `--scenario target "${target}" is neither a site, a site kind nor a host of the inventory.`
  );
}

/**
 * truth/incidents.jsonl and truth/events.jsonl in the output folder, started afresh; with
 * `append`, a later phase of the same run (the demo's live part) adds to what its backfill wrote.
 */
export async function openTruthFiles(
  outDir: string,
  options: { append?: boolean } = {}
): Promise<TruthSink & { close(): Promise<void> }> {
  const incidents = await LineFileWriter.open(join(outDir, 'truth', 'incidents.jsonl'), options);
  const events = await LineFileWriter.open(join(outDir, 'truth', 'events.jsonl'), options);
  return {
    writeIncidents: (records) => incidents.writeLines(records.map((r) => JSON.stringify(r))),
    writeEvents: (records) => events.writeLines(records.map((r) => JSON.stringify(r))),
    close: async () => {
      await incidents.close();
      await events.close();
    },
  };
}

/**
 * Wraps a run's point sink and truth sink so that every syslog line is also written with its
 * true class and decision to history/events.{jsonl,csv} (training data for the text models).
 * Runs write a slice's points before its truth, so each event finds its line already seen.
 */
export async function recordLabelledLines(
  outDir: string,
  inventory: Inventory,
  sink: PointSink,
  truth: TruthSink & { close(): Promise<void> }
): Promise<{ sink: PointSink; truth: TruthSink & { close(): Promise<void> } }> {
  const joiner = new LabelledLineJoiner(new Topology(inventory));
  const jsonl = await LineFileWriter.open(join(outDir, 'history', 'events.jsonl'));
  const csv = await LineFileWriter.open(join(outDir, 'history', 'events.csv'));
  await csv.writeLines([labelledLineCsvHeader()]);
  return {
    sink: {
      write: async (points) => {
        joiner.addPoints(points);
        await sink.write(points);
      },
      flush: () => sink.flush(),
      close: () => sink.close(),
    },
    truth: {
      writeIncidents: (records) => truth.writeIncidents(records),
      writeEvents: async (records) => {
        await truth.writeEvents(records);
        const rows = joiner.join(records);
        await jsonl.writeLines(rows.map((r) => JSON.stringify(r)));
        await csv.writeLines(rows.map(labelledLineToCsv));
      },
      close: async () => {
        await truth.close();
        await jsonl.close();
        await csv.close();
      },
    },
  };
}

/** inventory.yaml, and history/tickets.{jsonl,csv} for `days` days ending at `endMs`. */
export async function writeSimulationFiles(
  outDir: string,
  settings: RunSettings & { inventory: Inventory },
  endMs: number,
  historyDays: number
): Promise<{ tickets: number }> {
  await mkdir(join(outDir, 'history'), { recursive: true });
  await writeFile(join(outDir, 'inventory.yaml'), formatInventory(settings.inventory));
  if (historyDays <= 0) return { tickets: 0 };
  // A separate simulation: planning a year of incidents must not fill the streaming one's cache.
  const simulation = simulationFor(settings);
  const toUs = endMs * 1000;
  const fromUs = toUs - historyDays * DAY_MS * 1000;
  const tickets = generateTicketHistory({
    seed: settings.seed,
    topology: simulation.topology,
    fromUs,
    toUs,
    incidents: simulation.incidentsBetween(fromUs, toUs),
  });
  await writeFile(join(outDir, 'history', 'tickets.jsonl'), ticketsToJsonl(tickets));
  await writeFile(join(outDir, 'history', 'tickets.csv'), ticketsToCsv(tickets));
  return { tickets: tickets.length };
}

const number = (n: number) => Math.round(n).toLocaleString('en-US');
/** `1,204 points`, `1 incident`: a count as `number` writes it, with its noun agreeing. */
const count = (n: number, noun: string) => plural(Math.round(n), noun, { shown: number(n) });

export function describeProgress(p: BackfillProgress): string {
  return `simulate: ${p.daysDone.toFixed(1)}/${p.daysTotal} days, ${count(p.points, 'point')}, ${number(p.pointsPerSecond)} points/s\n`;
}

async function openSink(flags: SimulateFlags): Promise<{ sink: PointSink; target: string }> {
  if (flags.outFile) return { sink: await createLineProtocolFileSink(flags.outFile), target: flags.outFile };
  if (!flags.influxUrl) throw new Error('no output: pass --out-file FILE.lp or --influx-url URL');
  const sink = await createInfluxSink({
    url: flags.influxUrl,
    database: flags.database,
    token: flags.token,
    username: flags.username,
    password: flags.password,
    batchSize: flags.batchSize,
  });
  return { sink, target: `${flags.influxUrl} database ${flags.database}` };
}

async function simulate(flags: SimulateFlags, command: Command): Promise<void> {
  const live = flags.live === true || flags.speed !== undefined;
  const days = flags.days ?? (live ? 0 : DEFAULT_DAYS);
  if (!live && days === 0) command.error('error: nothing to do: pass --days N (N ≥ 1) or --live.', { exitCode: 2 });
  if (flags.replay !== undefined && !live) command.error('error: --replay needs --live or --speed.', { exitCode: 2 });
  if (flags.replay !== undefined && flags.end !== undefined) {
    command.error('error: pass --end or --replay, not both: each says where live time starts.', { exitCode: 2 });
  }
  const startedMs = Date.now();
  if (live && flags.end !== undefined && flags.end > startedMs) {
    command.error(
      'error: --end is in the future: live time cannot start after now (the backend cannot triage future points).',
      {
        exitCode: 2,
      }
    );
  }
  if (flags.password && !flags.username) command.error('error: --password needs --username.', { exitCode: 2 });
  if (!flags.outFile && !flags.influxUrl) {
    command.error('error: choose an output: --out-file FILE.lp or --influx-url URL (or set INFLUX_URL).', {
      exitCode: 2,
    });
  }
  let inventory: Inventory;
  let scenarios: ScenarioSpec[];
  try {
    inventory = flags.inventory
      ? await loadInventoryFile(flags.inventory)
      : generateInventory({ seed: flags.seed, sites: flags.sites });
    scenarios = (flags.scenario ?? []).map((s) => toSpec(s, inventory));
  } catch (error) {
    command.error(`error: ${(error as Error).message}`, { exitCode: 2 });
    return;
  }

  const stderr = (text: string) => {
    if (!flags.quiet) process.stderr.write(text);
  };
  const speed = flags.speed ?? 1;
  // Live time starts where the backfill ends: --end, or now minus what is to be replayed faster.
  const replayMinutes = live
    ? (flags.replay ?? (speed > 1 && flags.end === undefined ? DEFAULT_REPLAY_MINUTES : 0))
    : 0;
  const endMs = flags.end ?? startedMs - replayMinutes * 60_000;
  const settings = {
    seed: flags.seed,
    inventory,
    metricsIntervalSeconds: flags.interval,
    sensorIntervalSeconds: flags.sensorInterval,
    incidentsPerSiteDay: flags.incidentRate,
    scenarios,
  };
  const opened = await openSink(flags);
  const target = opened.target;
  const { tickets } = await writeSimulationFiles(flags.outDir, settings, endMs, flags.historyDays);
  const { sink, truth } = await recordLabelledLines(
    flags.outDir,
    inventory,
    opened.sink,
    await openTruthFiles(flags.outDir)
  );

  const abort = new AbortController();
  let liveRun: LiveRun | undefined;
  const run = (async () => {
    const simulation = simulationFor(settings);
    let points = 0;
    let syslogLines = 0;
    let incidents = 0;
    const began = performance.now();
    try {
      if (days > 0) {
        const result = await runBackfill(
          { ...settings, days, endUs: endMs * 1000, truth, signal: abort.signal },
          sink,
          (p) => stderr(describeProgress(p)),
          simulation
        );
        ({ points, syslogLines, incidents } = result);
      }
      if (live && !abort.signal.aborted) {
        // Faster than real time, everything since the backfill ended plays at that speed until it
        // reaches now; in real time it is written at once. Either way no point is dated after now.
        const behindMs = Math.max(0, Date.now() - endMs);
        stderr(
          speed > 1 && behindMs > 0
            ? `simulate: live from ${new Date(endMs).toISOString()} at ${speed}× until it reaches now (in about ` +
                `${Math.ceil(behindMs / (speed - 1) / 1000)} s), then in real time, into ${target}; Ctrl-C to stop\n`
            : `simulate: live at ${speed}× real time into ${target}; Ctrl-C to stop\n`
        );
        liveRun = startLive(
          { ...settings, startUs: endMs * 1000, replayUs: speed > 1 ? behindMs * 1000 : 0, speed, truth },
          sink,
          simulation
        );
        await liveRun.done;
        const s = liveRun.stats();
        points += s.points;
        syslogLines += s.syslogLines;
        incidents += s.incidents;
      }
    } catch (error) {
      // Keep what was written; the original error is the one worth reporting.
      await Promise.allSettled([sink.close(), truth.close()]);
      throw error;
    }
    await sink.close();
    await truth.close();
    const seconds = (performance.now() - began) / 1000;
    stderr(
      `simulate: wrote ${count(points, 'point')} (${count(syslogLines, 'syslog line')}, ${count(incidents, 'incident')}) ` +
        `in ${seconds.toFixed(1)} s (${number(points / Math.max(seconds, 1e-3))} points/s) to ${target}; ` +
        `${count(tickets, 'history ticket')}, inventory and ground truth in ${flags.outDir}\n`
    );
  })();
  onShutdownSignal(async () => {
    abort.abort();
    await liveRun?.stop();
    await run;
  });
  await run;
}

const HELP = `
Outputs:
  line protocol to --out-file, or InfluxDB (v1 API: 1.x, 2.x, 3.x) at --influx-url;
  <out-dir>/inventory.yaml        the estate that was simulated (give it to the backend)
  <out-dir>/truth/incidents.jsonl injected incidents: root host, affected hosts, expected triage
  <out-dir>/truth/events.jsonl    for every syslog line: its true class and incident id
  <out-dir>/history/tickets.{jsonl,csv}  resolved tickets for training (nocai train --history FILE)
  <out-dir>/history/events.{jsonl,csv}   every syslog line of the run with its true class and decision

Examples:
  nocai simulate --days 30 --out-file .demo/sim/telegraf.lp
  nocai simulate --days 1 --live --influx-url http://localhost:8086 --scenario power_failure@2024-05-01T12:00:00Z@hospital
  nocai simulate --days 1 --speed 30 --replay 90 --influx-url http://localhost:8086   (the last 90 minutes in 3 minutes)`;

export function registerSimulate(program: Command): void {
  withInfluxCredentials(
    program
      .command('simulate')
      .addOption(
        new Option('--days <n>', `backfill this many days (default ${DEFAULT_DAYS}, or none with --live)`).argParser(
          integer('--days', 0)
        )
      )
      .addOption(
        new Option('--end <time>', 'end of the backfill, ISO 8601 (default: now)').argParser((v) =>
          parseTimeMs(v, '--end')
        )
      )
      .option('--live', 'after the backfill, keep generating in real time until SIGINT/SIGTERM')
      .addOption(
        new Option(
          '--speed <factor>',
          'live time runs this many times faster until it reaches now, then in real time; points are never dated ' +
            `after now, so only past time plays faster: --end, or --replay (default ${DEFAULT_REPLAY_MINUTES}) (implies --live)`
        ).argParser(positiveNumber('--speed'))
      )
      .addOption(
        new Option('--replay <minutes>', 'live time starts this many minutes ago (the backfill ends there)').argParser(
          positiveNumber('--replay', true)
        )
      )
      .addOption(
        new Option('--seed <n>', 'random seed: the same seed gives the same data')
          .default(42)
          .argParser(integer('--seed', 0))
      )
      .addOption(
        new Option('--sites <n>', 'number of generated sites (kinds rotate hospital, factory, hotel, smart_city)')
          .default(DEFAULT_SITE_COUNT)
          .argParser(integer('--sites', 1))
      )
      .option('--inventory <file>', 'simulate this inventory.yaml instead of generating one')
      .addOption(
        new Option('--interval <seconds>', 'host metrics (cpu, mem, disk, net, system) interval')
          .default(DEFAULT_METRICS_INTERVAL_SECONDS)
          .argParser(integer('--interval', 1))
      )
      .addOption(
        new Option('--sensor-interval <seconds>', 'sensors measurement interval')
          .default(DEFAULT_SENSOR_INTERVAL_SECONDS)
          .argParser(integer('--sensor-interval', 1))
      )
      .addOption(
        new Option('--incident-rate <n>', 'automatic incidents per site per day (0: only --scenario ones)')
          .default(DEFAULT_INCIDENTS_PER_SITE_DAY)
          .argParser(positiveNumber('--incident-rate', true))
      )
      .addOption(
        new Option(
          '--scenario <spec>',
          `force an incident, repeatable: KIND@TIME[@SITE|SITE_KIND|HOST], KIND one of ${INCIDENT_KINDS.join(', ')}`
        ).argParser(parseScenario)
      )
      .addOption(
        new Option('--history-days <n>', 'days of ticket history ending at the end time (0: none)')
          .default(DEFAULT_HISTORY_DAYS)
          .argParser(integer('--history-days', 0))
      )
      .option('--out-file <file>', 'write line protocol (precision u) to this file instead of InfluxDB')
      .addOption(new Option('--influx-url <url>', 'InfluxDB base URL').env('INFLUX_URL'))
      .addOption(
        new Option('--database <name>', 'database to write to').default(DEFAULT_INPUT_DATABASE).env('INFLUX_INPUT_DB')
      )
  )
    .addOption(
      new Option('--batch-size <n>', 'points per InfluxDB write request')
        .default(5000)
        .argParser(integer('--batch-size', 1))
    )
    .addOption(new Option('--out-dir <dir>', 'folder for inventory.yaml, truth/ and history/').default(DEFAULT_OUT_DIR))
    .option('--quiet', 'no progress on stderr')
    .addHelpText('after', HELP)
    .action(async (_options: unknown, command: Command) => {
      await simulate(command.opts<SimulateFlags>(), command);
    });
}
