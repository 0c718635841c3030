import type { GroundTruthEvent, GroundTruthIncident, Inventory } from '@nocai/contract';
import type { Clock, PointSink } from '../domain/series';
import { systemClock } from '../domain/series';
import { DAY_US, HOUR_US } from './calendar';
import type { ScenarioSpec } from './incidents';
import { DEFAULT_SITE_COUNT, generateInventory } from './inventory';
import { Simulation } from './simulation';
import type { SimulationOptions, SliceOutput } from './simulation';

/** Where ground truth goes (files in the output folder); never the series the backend reads. */
export interface TruthSink {
  writeIncidents(incidents: readonly GroundTruthIncident[]): Promise<void>;
  writeEvents(events: readonly GroundTruthEvent[]): Promise<void>;
}

export interface RunSettings {
  seed: number;
  /** When absent, generated with `sites` sites. */
  inventory?: Inventory;
  sites?: number;
  metricsIntervalSeconds?: number;
  sensorIntervalSeconds?: number;
  incidentsPerSiteDay?: number;
  scenarios?: readonly ScenarioSpec[];
  truth?: TruthSink;
  clock?: Clock;
}

export interface BackfillOptions extends RunSettings {
  days: number;
  /** End of the simulated period (µs since the epoch); now when absent. */
  endUs?: number;
  /** Simulated time generated per batch; one hour keeps a batch near 10k points. */
  sliceUs?: number;
  /** Stops after the current batch (SIGINT); what was generated is flushed. */
  signal?: AbortSignal;
  progressIntervalMs?: number;
}

export interface BackfillProgress {
  daysDone: number;
  daysTotal: number;
  points: number;
  syslogLines: number;
  incidents: number;
  pointsPerSecond: number;
  elapsedSeconds: number;
}

export interface BackfillResult {
  points: number;
  syslogLines: number;
  incidents: number;
  seconds: number;
  startUs: number;
  endUs: number;
  /** False when stopped early through `signal`. */
  completed: boolean;
}

export function simulationFor(settings: RunSettings): Simulation {
  const options: SimulationOptions = {
    seed: settings.seed,
    inventory:
      settings.inventory ?? generateInventory({ seed: settings.seed, sites: settings.sites ?? DEFAULT_SITE_COUNT }),
    metricsIntervalSeconds: settings.metricsIntervalSeconds,
    sensorIntervalSeconds: settings.sensorIntervalSeconds,
    incidentsPerSiteDay: settings.incidentsPerSiteDay,
    scenarios: settings.scenarios,
  };
  return new Simulation(options);
}

async function emit(slice: SliceOutput, sink: PointSink, truth: TruthSink | undefined): Promise<void> {
  await sink.write(slice.points);
  if (truth) {
    if (slice.incidents.length > 0) await truth.writeIncidents(slice.incidents);
    if (slice.events.length > 0) await truth.writeEvents(slice.events);
  }
}

/**
 * Generates `days` of telemetry ending at `endUs` as fast as the sink accepts it, one slice at a
 * time (memory stays bounded), then flushes. Progress is reported at most every second.
 */
export async function runBackfill(
  options: BackfillOptions,
  sink: PointSink,
  onProgress?: (progress: BackfillProgress) => void,
  simulation: Simulation = simulationFor(options)
): Promise<BackfillResult> {
  if (!(options.days > 0)) throw new Error(`days must be positive, got ${options.days}`);
  const clock = options.clock ?? systemClock;
  const endUs = Math.floor(options.endUs ?? clock.nowMs() * 1000);
  const startUs = endUs - Math.round(options.days * DAY_US);
  const sliceUs = options.sliceUs ?? HOUR_US;
  const progressIntervalMs = options.progressIntervalMs ?? 1000;
  const began = performance.now();
  let lastReport = began;
  let points = 0;
  let syslogLines = 0;
  let incidents = 0;
  let cursor = startUs;
  const report = () => {
    const elapsedSeconds = (performance.now() - began) / 1000;
    onProgress?.({
      daysDone: (cursor - startUs) / DAY_US,
      daysTotal: options.days,
      points,
      syslogLines,
      incidents,
      pointsPerSecond: elapsedSeconds > 0 ? points / elapsedSeconds : 0,
      elapsedSeconds,
    });
  };
  while (cursor < endUs && !options.signal?.aborted) {
    // Slices end on slice boundaries so that batches are the same whatever the start time.
    const next = Math.min(endUs, (Math.floor(cursor / sliceUs) + 1) * sliceUs);
    const slice = simulation.generate(cursor, next);
    await emit(slice, sink, options.truth);
    points += slice.points.length;
    syslogLines += slice.syslogLines;
    incidents += slice.incidents.length;
    cursor = next;
    if (onProgress && performance.now() - lastReport >= progressIntervalMs) {
      lastReport = performance.now();
      report();
    }
  }
  await sink.flush();
  if (onProgress) report();
  return {
    points,
    syslogLines,
    incidents,
    seconds: (performance.now() - began) / 1000,
    startUs,
    endUs: cursor,
    completed: cursor >= endUs,
  };
}

export interface LiveOptions extends RunSettings {
  /** Simulated seconds per real second (1 = real time). */
  speed?: number;
  /** First simulated instant (µs); now when absent. */
  startUs?: number;
  /** Wall-clock time (ms) at which simulated time was `startUs` (default: when started); an earlier origin makes it catch up. */
  originMs?: number;
  /** How often a batch is generated, in real milliseconds. */
  tickMs?: number;
  /** A failed write stops the run; this is told why. */
  onError?: (error: Error) => void;
}

export interface LiveStats {
  points: number;
  syslogLines: number;
  incidents: number;
  /** Simulated time generated so far (exclusive end). */
  simulatedUntilUs: number;
}

export interface LiveRun {
  readonly simulation: Simulation;
  /** Forces a scenario; `atUs` defaults to the next simulated instant. */
  inject(spec: Omit<ScenarioSpec, 'atUs'> & { atUs?: number }): GroundTruthIncident;
  stats(): LiveStats;
  /** Finishes the current batch, flushes the sink and resolves. */
  stop(): Promise<void>;
  /** Resolves when the run ends (stopped, or failed: then it rejects). */
  readonly done: Promise<void>;
}

/**
 * Streams telemetry in (scaled) real time until stopped: every `tickMs` it generates the
 * simulated time elapsed since the previous batch. Runs in-process next to the backend.
 */
export function startLive(
  options: LiveOptions,
  sink: PointSink,
  simulation: Simulation = simulationFor(options)
): LiveRun {
  const clock = options.clock ?? systemClock;
  const speed = options.speed ?? 1;
  if (!(speed > 0)) throw new Error(`speed must be positive, got ${speed}`);
  const tickMs = options.tickMs ?? 1000;
  const wallStartMs = options.originMs ?? clock.nowMs();
  const startUs = Math.floor(options.startUs ?? wallStartMs * 1000);
  const stats: LiveStats = { points: 0, syslogLines: 0, incidents: 0, simulatedUntilUs: startUs };
  let stopping = false;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;

  const simulatedNowUs = () => startUs + Math.floor((clock.nowMs() - wallStartMs) * 1000 * speed);

  const step = async () => {
    const until = simulatedNowUs();
    // Batches of at most one simulated hour, so a fast speed never builds a huge batch.
    while (stats.simulatedUntilUs < until) {
      const next = Math.min(until, stats.simulatedUntilUs + HOUR_US);
      const slice = simulation.generate(stats.simulatedUntilUs, next);
      await emit(slice, sink, options.truth);
      stats.points += slice.points.length;
      stats.syslogLines += slice.syslogLines;
      stats.incidents += slice.incidents.length;
      stats.simulatedUntilUs = next;
    }
  };

  const done = (async () => {
    try {
      while (!stopping) {
        await step();
        if (stopping) break;
        await new Promise<void>((resolve) => {
          wake = resolve;
          timer = setTimeout(resolve, tickMs);
        });
      }
      await sink.flush();
    } catch (error) {
      options.onError?.(error as Error);
      throw error;
    }
  })();
  // `done` is awaited by stop(); this keeps an unobserved failure from crashing the process.
  done.catch(() => undefined);

  return {
    simulation,
    inject: (spec) => simulation.inject({ ...spec, atUs: spec.atUs ?? stats.simulatedUntilUs }),
    stats: () => ({ ...stats }),
    stop: async () => {
      stopping = true;
      if (timer) clearTimeout(timer);
      wake?.();
      await done;
    },
    done,
  };
}
