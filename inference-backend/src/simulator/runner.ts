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
  /**
   * For a reader that follows the backfill as it is written (the demo's backend): every slice is
   * flushed, then this is told that everything before `untilUs` is stored.
   */
  onFlushed?: (untilUs: number) => void;
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
    if (options.onFlushed) {
      await sink.flush();
      options.onFlushed(next);
    }
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

/**
 * Scenarios that happen while the live simulator runs (the demo's profile). Called before each
 * window of simulated time is generated, with contiguous, increasing windows; it injects what
 * starts in [fromUs, toUs). `originUs` is where live time began, after any catch-up.
 */
export interface LiveScript {
  injectBetween(window: { fromUs: number; toUs: number; originUs: number }, simulation: Simulation): void;
}

export interface LiveOptions extends RunSettings {
  /** Simulated seconds per real second while simulated time is behind the wall clock (1 = real time). */
  speed?: number;
  /** First simulated instant (µs), typically where a backfill ended; now when absent. */
  startUs?: number;
  /**
   * How far behind the wall clock live time begins (µs): that span is played at `speed` until it
   * reaches the wall clock, and real time follows. Time between `startUs` and that beginning is
   * generated at once. 0 (the default) catches up at once: `speed` then changes nothing, because
   * simulated time never passes the wall clock (a point dated in the future is never written).
   */
  replayUs?: number;
  /** How often a batch is generated, in real milliseconds. */
  tickMs?: number;
  script?: LiveScript;
  /** Told after each batch is flushed: everything before `untilUs` is stored. */
  onFlushed?: (untilUs: number) => void;
  /** A failed write stops the run; this is told why. */
  onError?: (error: Error) => void;
}

export interface LiveStats {
  points: number;
  syslogLines: number;
  incidents: number;
  /** Simulated time generated so far (exclusive end). */
  simulatedUntilUs: number;
  /** Every point before this instant (µs) has been written and flushed to the sink. */
  flushedUntilUs: number;
  /** Where live time began (µs): after it, simulated time ran at `speed` until it met the wall clock. */
  originUs: number;
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
 * Streams telemetry until stopped: every `tickMs` it generates the simulated time elapsed since
 * the previous batch and flushes it, so `flushedUntilUs` tells a reader what is complete. Live
 * time runs at `speed` while it is behind the wall clock and in real time once it has caught up;
 * it never passes the wall clock. The demo runs it in a worker thread next to the backend.
 */
export function startLive(
  options: LiveOptions,
  sink: PointSink,
  simulation: Simulation = simulationFor(options)
): LiveRun {
  const clock = options.clock ?? systemClock;
  const speed = options.speed ?? 1;
  if (!(speed > 0)) throw new Error(`speed must be positive, got ${speed}`);
  const replayUs = options.replayUs ?? 0;
  if (!(replayUs >= 0)) throw new Error(`replayUs must not be negative, got ${replayUs}`);
  const tickMs = options.tickMs ?? 1000;
  const startedMs = clock.nowMs();
  const startUs = Math.floor(options.startUs ?? startedMs * 1000);
  const originUs = Math.max(startUs, Math.floor(startedMs * 1000 - replayUs));
  const stats: LiveStats = {
    points: 0,
    syslogLines: 0,
    incidents: 0,
    simulatedUntilUs: startUs,
    flushedUntilUs: startUs,
    originUs,
  };
  let stopping = false;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;

  const simulatedNowUs = () => {
    const nowMs = clock.nowMs();
    return Math.min(Math.floor(nowMs * 1000), originUs + Math.floor((nowMs - startedMs) * 1000 * speed));
  };

  const step = async () => {
    const until = simulatedNowUs();
    if (until <= stats.simulatedUntilUs) return;
    // Batches of at most one simulated hour, so a catch-up never builds a huge batch.
    while (stats.simulatedUntilUs < until) {
      const from = stats.simulatedUntilUs;
      const next = Math.min(until, from + HOUR_US);
      options.script?.injectBetween({ fromUs: from, toUs: next, originUs }, simulation);
      const slice = simulation.generate(from, next);
      await emit(slice, sink, options.truth);
      stats.points += slice.points.length;
      stats.syslogLines += slice.syslogLines;
      stats.incidents += slice.incidents.length;
      stats.simulatedUntilUs = next;
    }
    await sink.flush();
    stats.flushedUntilUs = stats.simulatedUntilUs;
    options.onFlushed?.(stats.flushedUntilUs);
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
