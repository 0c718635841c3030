import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { DEFAULT_INPUT_DATABASE, DEFAULT_OUTPUT_DATABASE } from '@nocai/contract';
import { createInfluxSink } from '../adapters/influx';
import { startLocalInfluxd, type LocalInfluxd } from '../adapters/influx/localServer';
import { createLogger } from '../adapters/logger';
import { loadConfig } from '../config';
import { startService, type RunningService } from '../main';
import { generateInventory, runBackfill, startLive, type LiveRun } from '../simulator';
import { onShutdownSignal } from './signals';
import { describeProgress, openTruthFiles, recordLabelledLines, writeSimulationFiles } from './simulate';
import { trainDefaultModels } from './train';
import { trainDefaultMttr } from '../adapters/onnx/mttrModel';
import { setAlias } from '../adapters/registry/modelRegistry';

interface DemoFlags {
  days: number;
  speed: number;
  seed: number;
  sites: number;
  port: number;
  dir: string;
}

const number = (name: string, min: number, integer: boolean) => (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
    throw new InvalidArgumentError(`${name} must be ${integer ? 'an integer' : 'a number'} ≥ ${min}.`);
  }
  return n;
};

/**
 * The demo: a private InfluxDB (or INFLUX_URL), simulated history, the backend and the live
 * simulator in one process tree. Ctrl-C stops the simulator, then the backend (its batch
 * finishes and flushes), then the private influxd.
 */
async function demo(flags: DemoFlags): Promise<void> {
  const env = process.env;
  const dir = resolve(flags.dir);
  const say = (text: string) => process.stderr.write(`demo: ${text}\n`);
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch((e: unknown) => say(`while stopping: ${String(e)}`));
  };
  onShutdownSignal(async () => {
    say('stopping (simulator, backend, InfluxDB)…');
    await stopAll();
  });

  try {
    let influxUrl = env.INFLUX_URL;
    let influxd: LocalInfluxd | undefined;
    if (!influxUrl) {
      // A fresh private database each run: the backfill below always ends "now".
      await rm(dir, { recursive: true, force: true });
      say('starting a private InfluxDB…');
      influxd = await startLocalInfluxd({ dataDir: join(dir, 'influxdb') });
      const server = influxd;
      stops.push(() => server.stop());
      influxUrl = influxd.url;
      say(`InfluxDB ${influxUrl} (data in ${join(dir, 'influxdb')})`);
    }
    const inputDb = env.INFLUX_INPUT_DB || DEFAULT_INPUT_DATABASE;
    const outputDb = env.INFLUX_OUTPUT_DB || DEFAULT_OUTPUT_DATABASE;
    const credentials = { token: env.INFLUX_TOKEN, username: env.INFLUX_USERNAME, password: env.INFLUX_PASSWORD };

    const simDir = join(dir, 'sim');
    const inventory = generateInventory({ seed: flags.seed, sites: flags.sites });
    const endMs = Date.now();
    const settings = { seed: flags.seed, inventory };
    say(`writing inventory and a year of ticket history to ${simDir}…`);
    const files = await writeSimulationFiles(simDir, settings, endMs, 365);
    say(`${files.tickets.toLocaleString('en-US')} historical tickets`);

    const sink = await createInfluxSink({ url: influxUrl, database: inputDb, ...credentials, flushIntervalMs: 1000 });
    // The backfill also records every line with its true class: the training set of the line models.
    const recording = await recordLabelledLines(simDir, inventory, sink, await openTruthFiles(simDir));
    say(`backfilling ${flags.days} days of telemetry into database ${inputDb}…`);
    const backfill = await runBackfill(
      { ...settings, days: flags.days, endUs: endMs * 1000, truth: recording.truth },
      recording.sink,
      (p) => process.stderr.write(describeProgress(p))
    );
    await recording.truth.close();
    say(
      `backfilled ${backfill.points.toLocaleString('en-US')} points (${backfill.syslogLines.toLocaleString('en-US')} syslog lines, ` +
        `${backfill.incidents} incidents) in ${backfill.seconds.toFixed(1)} s`
    );

    const modelsDir = join(dir, 'models');
    await trainModels(simDir, modelsDir, say);

    const apiToken = env.NOCAI_API_TOKEN || randomBytes(16).toString('hex');
    const config = loadConfig({
      ...env,
      INFLUX_URL: influxUrl,
      INFLUX_INPUT_DB: inputDb,
      INFLUX_OUTPUT_DB: outputDb,
      NOCAI_API_TOKEN: apiToken,
      NOCAI_PORT: String(flags.port),
      NOCAI_STATE_DIR: join(dir, 'state'),
      NOCAI_INVENTORY: join(simDir, 'inventory.yaml'),
      NOCAI_TICKET_HISTORY: join(simDir, 'history', 'tickets.jsonl'),
      NOCAI_MODELS_DIR: modelsDir,
      LOG_LEVEL: env.LOG_LEVEL ?? 'warn',
      // The demo's simulator writes straight to InfluxDB and flushes every second: no Telegraf
      // 10 s flush to wait for, so lines are picked up sooner than with the production default.
      NOCAI_SETTLE_MS: env.NOCAI_SETTLE_MS ?? '5000',
    });
    const service: RunningService = await startService(config, { logger: createLogger(config.logLevel) });
    stops.push(() => service.stop());

    const truth = await openTruthFiles(simDir);
    const live: LiveRun = startLive(
      { ...settings, truth, speed: flags.speed, startUs: backfill.endUs, onError: (e) => say(`live simulator stopped: ${e.message}`) },
      sink
    );
    stops.push(async () => {
      await live.stop();
      await truth.close();
    });

    const base = `http://localhost:${service.port}`;
    process.stdout.write(
      [
        '',
        'NOC AI demo is running. Ctrl-C stops everything it started.',
        `  backend     ${base}   (health ${base}/healthz, metrics ${base}/metrics)`,
        `  API token   ${apiToken}`,
        `  events      curl -H 'Authorization: Bearer ${apiToken}' '${base}/api/events?limit=5'`,
        `  InfluxDB    ${influxUrl}   databases ${inputDb} (simulated Telegraf data), ${outputDb} (results)`,
        `  try         curl -G '${influxUrl}/query' --data-urlencode db=${outputDb} --data-urlencode ` +
          `"q=SELECT count(message) FROM aiops_events WHERE time > now() - 5m GROUP BY \\"class\\""`,
        `  simulator   ${simDir} (inventory.yaml, truth/, history/tickets.csv), live at ${flags.speed}× real time`,
        '',
      ].join('\n')
    );
    // Resolves when Ctrl-C stopped it (the signal handler then exits); rejects when a write failed.
    await live.done;
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/**
 * The default models, trained at every demo start from the simulator's history (nothing opaque
 * is committed): the five text classifiers and the MTTR trees, each made champion.
 */
async function trainModels(simDir: string, modelsDir: string, say: (text: string) => void): Promise<void> {
  say(`training the default models into ${modelsDir}…`);
  const started = Date.now();
  const classifiers = await trainDefaultModels(simDir, modelsDir, (message) => say(message));
  const mttrVersion = 'v1';
  const mttr = await trainDefaultMttr(join(simDir, 'history', 'tickets.jsonl'), join(modelsDir, 'mttr', mttrVersion));
  await setAlias(modelsDir, 'mttr', 'champion', mttrVersion);
  say(
    `trained ${classifiers.length + 1} models in ${((Date.now() - started) / 1000).toFixed(1)} s ` +
      `(MTTR P50 MAE ${Math.round(mttr.report.holdout.maeSeconds / 60)} min vs baseline ${Math.round(mttr.report.holdout.baselineMaeSeconds / 60)} min, ` +
      `P90 coverage ${(mttr.report.holdout.p90Coverage * 100).toFixed(0)}%)`
  );
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run the demo: private InfluxDB (or INFLUX_URL), simulated history, the backend and the live simulator')
    .option('--days <n>', 'days of telemetry history to backfill', number('--days', 1, true), 7)
    .option('--speed <factor>', 'live simulation speed (1 = real time)', number('--speed', 0.1, false), 1)
    .option('--seed <n>', 'simulator seed', number('--seed', 0, true), 42)
    .option('--sites <n>', 'number of simulated sites', number('--sites', 1, true), 4)
    .option('--port <n>', 'backend HTTP port', number('--port', 0, true), 8080)
    .option('--dir <path>', 'folder for the private InfluxDB, state and simulator files (wiped at start)', '.demo')
    .addHelpText(
      'after',
      '\nWith INFLUX_URL set (and INFLUX_TOKEN or INFLUX_USERNAME/INFLUX_PASSWORD), the demo writes simulated data to\n' +
        'INFLUX_INPUT_DB (default telegraf) of that InfluxDB instead of starting a private one.'
    )
    .action((flags: DemoFlags) => demo(flags));
}
