import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import type {
  GroundTruthEvent,
  GroundTruthIncident,
  Inventory,
  SeriesPage,
  Ticket,
  TicketsPage,
} from '@nocai/contract';
import { plural } from '@nocai/contract';
import { findInfluxd, freePort, INFLUXD_MISSING } from '../adapters/influx/localServer';
import { createLogger } from '../adapters/logger';
import { ConfigError, loadCommandEnvironment, type Config } from '../config';
import type { Clock, PointSink } from '../domain/series';
import { startService, StartupError, type RunningService } from '../main';
import { DEMO_OPENING_US, demoSettings, runBackfill, type RunSettings } from '../simulator';
import { trainDefaultModelSet } from './defaultModels';
import { startDemoSimulator, type DemoSimulator } from './demoSimulator';
import { applyJudgements, operatorJudgements } from './demoOperators';
import { monthApi, monthReport, playMonth, PlayedClock, prepareMonth } from './demoMonth';
import { onShutdownSignal } from './signals';
import { describeProgress, recordLabelledLines, writeSimulationFiles } from './simulate';

interface DemoFlags {
  days: number;
  triageDays?: number;
  speed: number;
  seed: number;
  sites: number;
  port: number;
  dir: string;
  month?: boolean;
  startedAt?: number;
}

const DAY_MS = 86_400_000;
/** Subfolders of the demo folder; a folder holding anything else is not wiped. */
const DEMO_ENTRIES = ['influxdb', 'sim', 'state', 'models', 'month'];
/** The backend must commit a batch at least this often while it triages the history. */
const STALL_MS = 120_000;
/** After the simulator's last batch, how long the backend may take to triage what is left. */
const DRAIN_MS = 60_000;

const number = (name: string, min: number, integer: boolean) => (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
    throw new InvalidArgumentError(`${name} must be ${integer ? 'an integer' : 'a number'} ≥ ${min}.`);
  }
  return n;
};

/** `1,024 tickets`, `1 ticket`. */
const count = (n: number, noun: string) => plural(n, noun, { shown: n.toLocaleString('en-US') });
const days = (n: number) => plural(n, 'day');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What the demo has started, each stopped in its turn. */
interface Running {
  influxd?: PrivateInfluxd;
  simulator?: DemoSimulator;
  service?: RunningService;
  clock?: FrontierClock;
  api?: DemoApi;
}

/**
 * The demo: a private InfluxDB (or INFLUX_URL), a simulated week that the backend triages before
 * the banner, then the live simulator with an incident every few minutes. The simulator runs in
 * a worker thread (see demoSimulator.ts) while this thread trains the models and runs the
 * backend. Any stop signal stops the simulator (last batch flushed), lets the backend triage
 * what is left and commit, and stops the private influxd last; the exit code is non-zero when
 * a step failed.
 */
async function demo(flags: DemoFlags): Promise<void> {
  const environment = loadCommandEnvironment();
  const startedMs = flags.startedAt ?? Date.now();
  const say = (text: string) =>
    process.stderr.write(`demo: [${Math.round((Date.now() - startedMs) / 1000)} s] ${text}\n`);
  const dir = resolve(flags.dir);
  const triageDays = Math.min(flags.triageDays ?? flags.days, flags.days);
  // --speed plays the live opening faster; it can only do so from the past, so the backfill ends
  // that much before now and live time catches up with the wall clock as the opening ends.
  const replayMs = flags.speed > 1 ? Math.round(((DEMO_OPENING_US / 1000) * (flags.speed - 1)) / flags.speed) : 0;

  const running: Running = {};
  let serving = false;
  let failed = false;
  const abort = new AbortController();
  let stopped: Promise<string[]> | undefined;
  // Once, whoever asks first (a signal or a failure): the simulator, then the backend once it has
  // triaged what the simulator wrote, then InfluxDB.
  const stopAll = (): Promise<string[]> =>
    (stopped ??= (async () => {
      const failures: string[] = [];
      const step = async (what: string, stop: () => Promise<void>) =>
        stop().catch((e: unknown) => failures.push(`${what}: ${e instanceof Error ? e.message : String(e)}`));
      const { influxd, simulator, service, clock, api } = running;
      if (simulator) await step('the simulator', () => simulator.stop());
      if (service && clock && api && simulator && serving && failures.length === 0) {
        clock.finish();
        await step('the backend', () => drain(service, api, simulator.newestSyslogUs()));
      }
      if (service) await step('the backend', () => service.stop());
      if (influxd) await step('InfluxDB', () => influxd.stop());
      for (const failure of failures) say(`failed while stopping ${failure}`);
      return failures;
    })());
  onShutdownSignal(async (signal) => {
    say(`${signal}: stopping the simulator, then the backend (last batch triaged and committed), then InfluxDB…`);
    // Whatever the setup was doing fails now; this handler reports the stop and chooses the exit code.
    abort.abort();
    const failures = await stopAll();
    if (failures.length > 0 || failed) return 1;
    say(serving ? 'stopped; nothing is left running' : 'stopped before the demo was ready');
    return serving ? 0 : 130;
  });

  try {
    await prepareFolder(dir);
    let influxUrl = environment.influxUrl;
    if (!influxUrl) {
      say('starting a private InfluxDB…');
      running.influxd = await startPrivateInfluxd(join(dir, 'influxdb'));
      influxUrl = running.influxd.url;
      say(`InfluxDB ${influxUrl} (data in ${join(dir, 'influxdb')}, kept after the demo stops)`);
    }
    if (flags.month) {
      await lifecycleMonth(dir, influxUrl, flags.port, running, say, abort.signal);
      serving = true;
      // Until a stop signal: its handler stops the backend and InfluxDB and exits.
      await new Promise<never>(() => undefined);
    }
    const simDir = join(dir, 'sim');
    const modelsDir = join(dir, 'models');
    const config = environment.serviceConfig(
      {
        INFLUX_URL: influxUrl,
        NOCAI_PORT: String(flags.port),
        NOCAI_STATE_DIR: join(dir, 'state'),
        NOCAI_INVENTORY: join(simDir, 'inventory.yaml'),
        NOCAI_TICKET_HISTORY: join(simDir, 'history', 'tickets.jsonl'),
        NOCAI_LINE_HISTORY: join(simDir, 'history', 'events.jsonl'),
        NOCAI_MODELS_DIR: modelsDir,
      },
      // The simulator writes straight to InfluxDB and the backend's clock follows what it has
      // flushed (see FrontierClock): no Telegraf flush to wait for, so lines need no settle time.
      {
        NOCAI_API_TOKEN: randomBytes(16).toString('hex'),
        LOG_LEVEL: 'warn',
        NOCAI_SETTLE_MS: '0',
        // The demo's own client reads the backfill's tickets in bursts.
        NOCAI_RATE_LIMIT: '0',
        NOCAI_POLL_INTERVAL_MS: '250',
      }
    );
    const token = config.http.apiToken ?? '';

    const endMs = Date.now() - replayMs;
    const settings = demoSettings({ seed: flags.seed, sites: flags.sites, endUs: endMs * 1000, days: flags.days });
    const simulator = startDemoSimulator(
      {
        seed: flags.seed,
        sites: flags.sites,
        days: flags.days,
        endUs: endMs * 1000,
        replayUs: replayMs * 1000,
        speed: flags.speed,
        simDir,
        influx: {
          url: influxUrl,
          database: config.influx.inputDatabase,
          token: config.influx.token,
          username: config.influx.username,
          password: config.influx.password,
        },
      },
      (p) =>
        say(
          describeProgress(p)
            .replace(/^simulate: /, 'backfill: ')
            .trim()
        )
    );
    running.simulator = simulator;
    say(
      `backfilling ${days(flags.days)} of telemetry into database ${config.influx.inputDatabase} (in a worker thread)…`
    );
    // From here on a failure of the simulator ends the demo, whatever this thread is doing.
    const untilFailure = <T>(work: Promise<T>) => Promise.race([work, simulator.failed]);

    say(`writing inventory and a year of ticket history to ${simDir}…`);
    const files = await writeSimulationFiles(simDir, settings, endMs, 365);
    say(count(files.tickets, 'historical ticket'));
    const { lines, incidents, alertLines } = await untilFailure(
      writeTrainingCorpus(simDir, settings, flags.days, endMs * 1000)
    );
    say(`${count(lines, 'labelled syslog line')} of the same ${days(flags.days)} for the line models`);
    await untilFailure(
      trainDefaultModelSet(simDir, modelsDir, say, config.maintenance.stage.horizonHours, 'nocai demo')
    );
    if (abort.signal.aborted) return;

    // The backend reads the history from its start (plus a minute); without triage, from the
    // backfill's end, which it has to reach first.
    if (triageDays === 0) await untilFailure(simulator.backfilled);
    const clock = new FrontierClock(config.pipeline.settleMs, () => simulator.flushedUntilUs());
    const startMs = clock.hold();
    const fromMs = triageDays > 0 ? endMs - triageDays * DAY_MS - 60_000 : endMs;
    const serviceConfig: Config = {
      ...config,
      pipeline: { ...config.pipeline, startLookbackMs: Math.max(0, startMs - fromMs) },
      // A day to learn each metric series, then the last two hours of the backfill scored, so the
      // anomaly panels have data when the banner prints.
      // The demo's clock runs up to --speed times faster than the metric stage's windows: the log
      // stage never waits for anomaly evidence (late alarms join the incident at its present).
      metrics: {
        ...config.metrics,
        catchUpLagMs: Infinity,
        stage: {
          ...config.metrics.stage,
          startLookbackMs: Math.min(flags.days * DAY_MS, config.metrics.stage.learnMs + 2 * 3_600_000),
        },
      },
      // Often enough that a disk filling up in the live phase gets its time until full.
      forecasts: {
        ...config.forecasts,
        stage: { ...config.forecasts.stage, intervalMs: Math.min(config.forecasts.stage.intervalMs, 5 * 60_000) },
      },
    };
    // Not raced against a failure: a service that is starting must be there to be stopped.
    running.service = await startService(serviceConfig, { logger: createLogger(config.logLevel), clock });
    // The log stage takes its starting point from the clock on its first tick: held until then.
    const logStage = running.service.logStage;
    await untilFailure(
      waitFor(() => logStage.watermarkUs !== undefined, STALL_MS, 'the backend starting its pipeline')
    );
    clock.release();
    running.clock = clock;
    const base = `http://localhost:${running.service.port}`;
    const api = new DemoApi(base, token);
    running.api = api;
    if (triageDays > 0) {
      await untilFailure(triageHistory(running.service, api, simulator, say));
      await untilFailure(judgeHistory(running.service, api, { incidents, alertLines }, fromMs, say));
    }

    simulator.startLive();
    const summary = await api.summary(endMs - flags.days * DAY_MS);
    serving = true;
    process.stdout.write(
      banner({
        readySeconds: (Date.now() - startedMs) / 1000,
        base,
        apiToken: token,
        influxUrl,
        config,
        simDir,
        summary,
        triageDays,
        speed: flags.speed,
        replayMs,
      })
    );
    // Until a stop signal (its handler exits) or a failure of the simulator.
    await simulator.failed;
  } catch (error) {
    // Stopped by a signal: the handler is stopping everything and will exit with its code.
    if (abort.signal.aborted) return;
    failed = true;
    abort.abort();
    await stopAll();
    throw error;
  }
}

/**
 * `--month`: the model lifecycle of a simulated month (see demoMonth.ts) on the backend in this
 * process, on a clock the month is played on, then the month's performance report written to
 * `<dir>/month/report.html`. The backend keeps serving what the month wrote, its clock at the
 * month's end.
 */
async function lifecycleMonth(
  dir: string,
  influxUrl: string,
  port: number,
  running: Running,
  say: (text: string) => void,
  signal: AbortSignal
): Promise<void> {
  const environment = loadCommandEnvironment();
  const plan = await prepareMonth(join(dir, 'month'), Date.now(), say, signal);
  const config = environment.serviceConfig(
    {
      INFLUX_URL: influxUrl,
      NOCAI_PORT: String(port),
      NOCAI_STATE_DIR: join(dir, 'state'),
      NOCAI_INVENTORY: plan.inventoryFile,
      NOCAI_TICKET_HISTORY: plan.historyFile,
      NOCAI_MODELS_DIR: plan.modelsDir,
    },
    {
      NOCAI_API_TOKEN: randomBytes(16).toString('hex'),
      LOG_LEVEL: 'warn',
      NOCAI_SETTLE_MS: '0',
      // The month is played through the API as fast as the backend answers.
      NOCAI_RATE_LIMIT: '0',
      // A month of a few hundred tickets: production accuracy is judged on ten verdicts and more, and
      // drift on a week of complaints (a day holds too few to test).
      NOCAI_ACCURACY_MIN_VERDICTS: '10',
      NOCAI_DRIFT_WINDOW_MS: String(7 * DAY_MS),
    }
  );
  const clock = new PlayedClock(plan.fromMs);
  running.service = await startService(config, { logger: createLogger(config.logLevel), clock });
  const base = `http://localhost:${running.service.port}`;
  const token = config.http.apiToken ?? '';
  const api = monthApi(base, token);
  say(
    `playing ${new Date(plan.fromMs).toISOString().slice(0, 10)} to ${new Date(plan.toMs).toISOString().slice(0, 10)}: ` +
      `${plural(plan.month.length, 'complaint')} routed, judged and resolved on the backend's clock…`
  );
  const result = await playMonth(api, plan, clock, say, signal);
  const report = await monthReport(api, plan, signal);
  const { outputDatabase } = config.influx;
  process.stdout.write(
    [
      '',
      'NOC AI lifecycle month is ready',
      `  month       ${plural(result.tickets, 'complaint')}, ${result.corrected} corrected by operators, ${result.resolved} resolved`,
      `  report      ${report.file}`,
      `              ${base}${report.location}`,
      `  backend     ${base}   (API token ${token})`,
      `  influxdb    ${influxUrl}   database ${outputDatabase}: aiops_models, aiops_drift, aiops_audit`,
      `  models      nocai models list --dir ${plan.modelsDir}`,
      '  stop        Ctrl-C',
      '',
    ].join('\n')
  );
}

/**
 * The labelled lines of the week the simulator backfills (the same settings give the same lines),
 * written to history/events.{jsonl,csv}: the line models' training set, made in this thread
 * without waiting for InfluxDB. Returns the number of lines, and the week's ground-truth incidents
 * and lines the truth calls alerts (what the simulated operators judge the triaged tickets by).
 */
async function writeTrainingCorpus(
  simDir: string,
  settings: RunSettings & { inventory: Inventory },
  days: number,
  endUs: number
): Promise<{ lines: number; incidents: GroundTruthIncident[]; alertLines: GroundTruthEvent[] }> {
  const incidents: GroundTruthIncident[] = [];
  const alertLines: GroundTruthEvent[] = [];
  const discard: PointSink = {
    write: async () => undefined,
    flush: async () => undefined,
    close: async () => undefined,
  };
  const incidentsOnly = {
    writeIncidents: async (records: readonly GroundTruthIncident[]) => {
      incidents.push(...records);
    },
    writeEvents: async (records: readonly GroundTruthEvent[]) => {
      for (const record of records) if (record.decision === 'alert') alertLines.push(record);
    },
    close: async () => undefined,
  };
  const recording = await recordLabelledLines(simDir, settings.inventory, discard, incidentsOnly);
  const result = await runBackfill({ ...settings, days, endUs, truth: recording.truth }, recording.sink);
  await recording.truth.close();
  return { lines: result.syslogLines, incidents, alertLines };
}

/**
 * Once the history is triaged: the simulated operators judge its tickets through the API by what
 * really happened (see demoOperators.ts), then the backend computes production accuracy from those
 * verdicts and checks its champions' inputs for drift, as it does every hour, so Model health has
 * both when the banner prints.
 */
async function judgeHistory(
  service: RunningService,
  api: DemoApi,
  truth: { incidents: readonly GroundTruthIncident[]; alertLines: readonly GroundTruthEvent[] },
  fromMs: number,
  say: (text: string) => void
): Promise<void> {
  const tickets = await api.tickets(fromMs);
  const judged = await applyJudgements(
    (path, method, body) => api.call(path, method, body),
    tickets,
    operatorJudgements(tickets, truth.incidents, truth.alertLines)
  );
  say(
    `operators judged ${count(judged.valid + judged.invalid, 'ticket')}: ${judged.valid} valid ` +
      `(${judged.corrected} of them with their routing corrected), ${count(judged.invalid, 'false positive')}`
  );
  const { accuracy, drift } = await service.checkModels();
  if (accuracy) {
    say(
      `production accuracy: ${count(accuracy.models, 'model version')} scored on ${count(accuracy.verdicts, 'verdict')}`
    );
  }
  if (drift) say(`drift: ${count(drift.models, 'champion')} checked, ${count(drift.points, 'input')} measured`);
}

/**
 * Creates the demo folder, or empties it for a fresh start (the backfill always ends now). A
 * folder holding anything the demo did not make is refused rather than wiped.
 */
async function prepareFolder(dir: string): Promise<void> {
  const existing = await stat(dir).catch(() => undefined);
  if (existing && !existing.isDirectory()) throw new ConfigError(`--dir ${dir} is a file, not a folder.`);
  const entries = existing ? await readdir(dir) : [];
  const foreign = entries.filter((e) => !DEMO_ENTRIES.includes(e));
  if (foreign.length > 0) {
    throw new ConfigError(
      `--dir ${dir} holds ${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? '…' : ''}, which the demo did not ` +
        'make: it wipes its folder at every start, so give it a new or empty folder.'
    );
  }
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
}

/**
 * Waits until the simulator has written the whole backfill and the backend has triaged every
 * line of it, telling how far it is. Fails when the backend stops making progress.
 */
async function triageHistory(
  service: RunningService,
  api: DemoApi,
  simulator: DemoSimulator,
  say: (text: string) => void
): Promise<void> {
  say('the backend triages the history as it is written…');
  let backfillDone = false;
  void simulator.backfilled.then(
    () => (backfillDone = true),
    () => undefined
  );
  let firstUs: number | undefined;
  let lastUs: number | undefined;
  let movedAt = Date.now();
  let reportedAt = Date.now();
  for (;;) {
    const watermarkUs = service.logStage.watermarkUs;
    if (backfillDone && watermarkUs !== undefined && watermarkUs >= simulator.newestSyslogUs()) return;
    if (watermarkUs !== lastUs) {
      lastUs = watermarkUs;
      movedAt = Date.now();
      firstUs ??= watermarkUs;
    }
    if (Date.now() - movedAt > STALL_MS) {
      const problem = await api.problem();
      throw new StartupError(
        `the backend made no progress for ${STALL_MS / 1000} s${problem ? `: ${problem}` : '; run with LOG_LEVEL=info to see why'}.`
      );
    }
    if (watermarkUs !== undefined && firstUs !== undefined && Date.now() - reportedAt >= 3000) {
      reportedAt = Date.now();
      const done = (watermarkUs - firstUs) / (DAY_MS * 1000);
      const tickets = await api.ticketCount().catch(() => undefined);
      say(`triage: ${done.toFixed(1)} days${tickets === undefined ? '' : `, ${count(tickets, 'ticket')} so far`}`);
    }
    await sleep(250);
  }
}

async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new StartupError(`${what} took more than ${timeoutMs / 1000} s`);
    await sleep(50);
  }
}

/**
 * After the simulator's last batch: lets the backend triage every line it wrote, so none is left
 * for a next start. Gives up as soon as the backend reports that it cannot commit.
 */
async function drain(service: RunningService, api: DemoApi, targetUs: number): Promise<void> {
  const deadline = Date.now() + DRAIN_MS;
  let nextCheck = Date.now() + 1000;
  while ((service.logStage.watermarkUs ?? -1) < targetUs) {
    if (Date.now() >= nextCheck) {
      nextCheck = Date.now() + 1000;
      const problem = await api.problem();
      if (problem) throw new Error(`the backend cannot triage the simulator's last lines: ${problem}`);
    }
    if (Date.now() > deadline) {
      throw new Error(`the backend did not triage the simulator's last lines within ${DRAIN_MS / 1000} s`);
    }
    await sleep(100);
  }
}

/**
 * The backend's clock in the demo: the wall clock, held back to what the simulator has written
 * and flushed (plus the settle window). The backend reads lines and heartbeats up to now −
 * settle, so it never reads a window the simulator is still writing, neither while the history
 * is backfilled nor when --speed replays the past faster than real time.
 */
class FrontierClock implements Clock {
  private heldAtMs: number | undefined;

  constructor(
    private readonly settleMs: number,
    private readonly frontierUs: () => number
  ) {}

  /** Stops the clock where it is and returns that instant: the backend starts from a known time. */
  hold(): number {
    this.heldAtMs = this.nowMs();
    return this.heldAtMs;
  }

  release(): void {
    this.heldAtMs = undefined;
  }

  /**
   * The simulator has stopped: nothing more is coming, so the backend may read up to its last
   * point at once, and the clock stays there (the silence after it is not an outage).
   */
  finish(): void {
    this.heldAtMs = this.frontierMs();
  }

  nowMs(): number {
    return this.heldAtMs ?? Math.min(Date.now(), this.frontierMs());
  }

  /** A millisecond short of the frontier: a line at the frontier itself belongs to the next batch. */
  private frontierMs(): number {
    return Math.floor(this.frontierUs() / 1000) - 1 + this.settleMs;
  }
}

interface Summary {
  tickets: Ticket[];
  falseAlarmLines: number;
  silences: number;
}

/** What the banner shows, read through the backend's own API (what Grafana would see). */
class DemoApi {
  constructor(
    private readonly base: string,
    private readonly token: string
  ) {}

  /** What /readyz reports as failing (InfluxDB unreachable, a stage not committing), if anything. */
  async problem(): Promise<string | undefined> {
    const response = await fetch(`${this.base}/readyz`).catch(() => undefined);
    if (!response) return 'the backend does not answer';
    if (response.ok) return undefined;
    const body = (await response.json().catch(() => ({}))) as {
      checks?: Record<string, { ok: boolean; message?: string }>;
    };
    const failing = Object.entries(body.checks ?? {}).find(([, check]) => !check.ok);
    return failing ? `${failing[0]}: ${failing[1].message ?? 'failing'}` : `/readyz answered ${response.status}`;
  }

  /** Every ticket opened since `fromMs`, page by page. */
  async tickets(fromMs: number): Promise<Ticket[]> {
    const tickets: Ticket[] = [];
    for (;;) {
      const page = await this.get<TicketsPage>(`/api/tickets?limit=1000&offset=${tickets.length}&from=${fromMs}`);
      tickets.push(...page.tickets);
      if (page.tickets.length === 0 || tickets.length >= page.total) return tickets;
    }
  }

  /** A change through the API, as an operator makes it: its status and body. */
  async call(path: string, method: 'PATCH' | 'POST', body: unknown): Promise<{ status: number; body: unknown }> {
    const response = await fetch(`${this.base}${path}`, {
      method,
      headers: { Authorization: `Bearer ${this.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: await response.json().catch(() => undefined) };
  }

  async ticketCount(): Promise<number> {
    return (await this.get<TicketsPage>('/api/tickets?limit=1')).total;
  }

  async summary(fromMs: number): Promise<Summary> {
    const [page, falseAlarms, silences] = await Promise.all([
      this.get<TicketsPage>(`/api/tickets?limit=1000&from=${fromMs}`),
      this.get<{ events: unknown[] }>(`/api/events?decision=false_alarm&limit=10000&from=${fromMs}`),
      this.get<SeriesPage>(`/api/series/silences?limit=10000&from=${fromMs}`),
    ]);
    return {
      tickets: page.tickets,
      falseAlarmLines: falseAlarms.events.length,
      silences: silences.rows.filter((r) => r.tags.state === 'silent').length,
    };
  }

  private async get<T>(path: string): Promise<T> {
    const response = await fetch(`${this.base}${path}`, { headers: { Authorization: `Bearer ${this.token}` } });
    if (!response.ok) throw new Error(`GET ${path} answered ${response.status}`);
    return (await response.json()) as T;
  }
}

function banner(b: {
  readySeconds: number;
  base: string;
  apiToken: string;
  influxUrl: string;
  config: Config;
  simDir: string;
  summary: Summary;
  triageDays: number;
  speed: number;
  replayMs: number;
}): string {
  const { tickets } = b.summary;
  const byClass = new Map<string, number>();
  for (const t of tickets) byClass.set(t.eventClass, (byClass.get(t.eventClass) ?? 0) + 1);
  const classes = [...byClass].sort((x, y) => y[1] - x[1]).map(([c, n]) => `${c} ${n}`);
  const p1 = tickets.filter((t) => t.priority === 'P1');
  const withRoot = p1.filter((t) => t.rootCause).slice(0, 3);
  const { inputDatabase, outputDatabase } = b.config.influx;
  const auth = `-H 'Authorization: Bearer ${b.apiToken}'`;
  const live =
    b.speed > 1
      ? `the first ${DEMO_OPENING_US / 60_000_000} simulated minutes at ${b.speed}× (about ${Math.round(b.replayMs / (b.speed - 1) / 1000)} s), then real time`
      : 'real time';
  return [
    '',
    `NOC AI demo is serving (ready after ${Math.round(b.readySeconds)} s). Ctrl-C stops everything it started.`,
    b.triageDays > 0
      ? `  history     ${days(b.triageDays)} triaged: ${plural(tickets.length, 'ticket')} (${classes.join(', ')}), ${p1.length} P1, ` +
        `${plural(b.summary.falseAlarmLines, 'false-alarm line')}, ${plural(b.summary.silences, 'silent device')}`
      : '  history     not triaged (--triage-days 0): tickets come from live data only',
    ...withRoot.map((t) => `  P1          ${t.title} — root cause ${describeRoot(t)}`),
    `  backend     ${b.base}   (health ${b.base}/healthz, metrics ${b.base}/metrics)`,
    `  API token   ${b.apiToken}`,
    `  tickets     curl ${auth} '${b.base}/api/tickets?limit=5'`,
    `  events      curl ${auth} '${b.base}/api/events?limit=5'`,
    `  InfluxDB    ${b.influxUrl}   databases ${inputDatabase} (simulated Telegraf data), ${outputDatabase} (results)`,
    `  try         curl -G '${b.influxUrl}/query' --data-urlencode db=${outputDatabase} --data-urlencode ` +
      `"q=SELECT count(message) FROM aiops_events WHERE time > now() - 5m GROUP BY \\"class\\""`,
    `  simulator   ${b.simDir} (inventory.yaml, truth/, history/); live: an incident every few minutes, ` +
      `a power flicker (false alarm) at +1 min and a power failure at +3 min; ${live}`,
    '',
  ].join('\n');
}

function describeRoot(ticket: Ticket): string {
  const root = ticket.rootCause;
  if (!root) return 'none';
  const kind = root.deviceKind ? `${root.deviceKind.replace(/_/g, ' ')}, ` : '';
  return `${root.host} (${kind}${plural(root.dependants.length, 'dependant')})`;
}

/** A private influxd, run by the demo. */
interface PrivateInfluxd {
  url: string;
  stop(): Promise<void>;
}

/**
 * influxd in a process group of its own, behind a shell that stops it when its stdin closes.
 * Ctrl-C (or any signal sent to the demo's process group) then reaches the demo but not influxd,
 * which the demo stops last, after the backend's final batch; and when the demo dies without
 * stopping it (SIGKILL), the pipe closes all the same and influxd goes with it.
 */
const SUPERVISOR = [
  'influxd="$1"',
  '"$influxd" </dev/null & pid=$!',
  'exec 3<&0',
  '( cat <&3 >/dev/null; kill -TERM "$pid" 2>/dev/null ) <&3 &',
  'wait "$pid"',
].join('\n');

async function startPrivateInfluxd(dataDir: string): Promise<PrivateInfluxd> {
  const binary = findInfluxd();
  if (!binary) throw new StartupError(INFLUXD_MISSING);
  const httpPort = await freePort();
  const rpcPort = await freePort();
  const env = {
    // For `cat` in the supervising shell; influxd itself is started by its full path.
    PATH: '/usr/local/bin:/usr/bin:/bin',
    INFLUXDB_META_DIR: join(dataDir, 'meta'),
    INFLUXDB_DATA_DIR: join(dataDir, 'data'),
    INFLUXDB_DATA_WAL_DIR: join(dataDir, 'wal'),
    INFLUXDB_HTTP_BIND_ADDRESS: `127.0.0.1:${httpPort}`,
    INFLUXDB_BIND_ADDRESS: `127.0.0.1:${rpcPort}`,
    INFLUXDB_REPORTING_DISABLED: 'true',
    INFLUXDB_MONITOR_STORE_ENABLED: 'false',
    INFLUXDB_DATA_QUERY_LOG_ENABLED: 'false',
    INFLUXDB_HTTP_LOG_ENABLED: 'false',
    INFLUXDB_LOGGING_LEVEL: 'warn',
  };
  const child = spawn('sh', ['-c', SUPERVISOR, 'nocai-influxd', binary], {
    env,
    detached: true,
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  // Closing stdin is how influxd is stopped; if the shell is already gone, that is not an error.
  child.stdin?.on('error', () => undefined);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const killGroup = () => {
    try {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  const url = `http://127.0.0.1:${httpPort}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new StartupError(
        `influxd exited (${child.exitCode ?? child.signalCode}) before answering: ${stderr.trim()}`
      );
    }
    const answered = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1000) }).then(
      (r) => r.status === 204,
      () => false
    );
    if (answered) break;
    if (Date.now() > deadline) {
      child.stdin?.end();
      killGroup();
      throw new StartupError(`influxd did not answer /ping within 20 s: ${stderr.trim()}`);
    }
    await sleep(100);
  }
  return {
    url,
    stop: async () => {
      child.stdin?.end();
      const timer = setTimeout(killGroup, 15_000);
      const code = await exited;
      clearTimeout(timer);
      if (code !== 0) {
        const last = stderr.trim().split('\n').pop();
        throw new Error(
          `influxd ${code === null ? 'was killed' : `exited with code ${code}`}${last ? `: ${last}` : ''}`
        );
      }
    },
  };
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .option('--days <n>', 'days of telemetry history to backfill', number('--days', 1, true), 7)
    .addOption(
      new Option(
        '--triage-days <n>',
        'days of that history the backend triages before the demo serves (default: all; 0: live data only)'
      ).argParser(number('--triage-days', 0, true))
    )
    .option(
      '--speed <factor>',
      'play the first live minutes (the scripted incidents) this many times faster; the backfill ends that much ' +
        'earlier, so no point is ever dated in the future, and live time is real time once it has caught up',
      number('--speed', 1, false),
      1
    )
    .option('--seed <n>', 'simulator seed', number('--seed', 0, true), 42)
    .option('--sites <n>', 'number of simulated sites', number('--sites', 1, true), 4)
    .option('--port <n>', 'backend HTTP port', number('--port', 0, true), 8080)
    .option(
      '--dir <path>',
      'folder for the private InfluxDB, state, models and simulator files (wiped at start)',
      '.demo'
    )
    .option(
      '--month',
      'instead of the live NOC: a month of the model lifecycle (complaints routed, judged and corrected by ' +
        'simulated operators, hourly production accuracy and drift, weekly retraining) played on the backend, ' +
        'and its performance report written to <dir>/month/report.html'
    )
    .addOption(
      new Option('--started-at <ms>', 'when the demo was launched (scripts/demo.sh)').hideHelp().argParser(Number)
    )
    .addHelpText(
      'after',
      '\nWith INFLUX_URL set (and INFLUX_TOKEN or INFLUX_USERNAME/INFLUX_PASSWORD), the demo writes simulated data to\n' +
        'INFLUX_INPUT_DB (default telegraf) of that InfluxDB instead of starting a private one. Other service settings\n' +
        '(LOG_LEVEL, NOCAI_API_TOKEN, …) are read from the environment as `nocai serve` reads them.'
    )
    .action((flags: DemoFlags) => demo(flags));
}
