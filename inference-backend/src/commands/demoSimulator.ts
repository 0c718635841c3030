import { isMainThread, parentPort, Worker, workerData, type MessagePort } from 'node:worker_threads';
import { INPUT } from '@nocai/contract';
import { createInfluxSink, type InfluxConnection } from '../adapters/influx';
import type { PointSink } from '../domain/series';
import {
  createDemoLiveScript,
  demoSettings,
  runBackfill,
  simulationFor,
  startLive,
  type BackfillProgress,
  type BackfillResult,
  type LiveRun,
} from '../simulator';
import { openTruthFiles } from './simulate';

/**
 * The demo's simulated NOC runs in a worker thread of its own: it backfills the week and then
 * plays the live profile into InfluxDB while the main thread trains the models and runs the
 * backend. The two then use both cores, and the backend's API never waits behind a batch of
 * simulation (at --speed 20, a second of live time is twenty seconds of telemetry). It tells
 * the main thread how far everything it wrote is flushed: the backend's clock follows that.
 */
export interface SimulatorSetup {
  seed: number;
  sites: number;
  days: number;
  /** End of the backfill, where live time starts (µs). */
  endUs: number;
  /** How far behind the wall clock live time starts, played at `speed` (see startLive). */
  replayUs: number;
  speed: number;
  /** truth/ goes here; inventory and history are written by the main thread. */
  simDir: string;
  influx: InfluxConnection & { database: string };
}

/** The longest delay setTimeout takes (about 24 days). */
const NEVER_MS = 2 ** 31 - 1;

type ToWorker = { type: 'live' } | { type: 'stop' };

type FromWorker =
  | { type: 'progress'; progress: BackfillProgress }
  | { type: 'flushed'; untilUs: number; newestSyslogUs: number }
  | { type: 'backfilled'; result: BackfillResult }
  | { type: 'stopped' }
  | { type: 'failed'; message: string };

export interface DemoSimulator {
  /** Resolves once the backfill is written and flushed; rejects if it fails or is stopped first. */
  readonly backfilled: Promise<BackfillResult>;
  /** Rejects when the simulator fails (a write refused, InfluxDB gone); never resolves. */
  readonly failed: Promise<never>;
  /** Everything before this instant (µs) is stored. */
  flushedUntilUs(): number;
  /** Time of the newest syslog line written (µs): how far the backend has to read. */
  newestSyslogUs(): number;
  /** Starts live time where the backfill ended. */
  startLive(): void;
  /** Stops the backfill or live part: the last batch is flushed and the truth files closed. */
  stop(): Promise<void>;
}

export function startDemoSimulator(
  setup: SimulatorSetup,
  onProgress: (progress: BackfillProgress) => void
): DemoSimulator {
  const worker = new Worker(__filename, { workerData: setup });
  let flushedUntilUs = setup.endUs - setup.days * 86_400_000_000;
  let newestSyslogUs = -1;
  let stopped = false;
  let settleBackfill: { resolve(result: BackfillResult): void; reject(error: Error): void } | undefined;
  let fail: (error: Error) => void = () => undefined;
  let onStopped: (() => void) | undefined;

  const backfilled = new Promise<BackfillResult>((resolve, reject) => (settleBackfill = { resolve, reject }));
  const failed = new Promise<never>((_resolve, reject) => (fail = reject));
  // Observed by whoever awaits them; these keep an unobserved rejection from ending the process.
  backfilled.catch(() => undefined);
  failed.catch(() => undefined);
  const failWith = (error: Error) => {
    settleBackfill?.reject(error);
    fail(error);
  };

  worker.on('message', (message: FromWorker) => {
    switch (message.type) {
      case 'progress':
        onProgress(message.progress);
        break;
      case 'flushed':
        flushedUntilUs = message.untilUs;
        newestSyslogUs = message.newestSyslogUs;
        break;
      case 'backfilled':
        settleBackfill?.resolve(message.result);
        break;
      case 'stopped':
        onStopped?.();
        break;
      case 'failed':
        failWith(new Error(message.message));
        break;
    }
  });
  worker.on('error', (error) => failWith(error));
  const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
  void exited.then((code) => {
    if (!stopped) failWith(new Error(`the simulator ended unexpectedly (exit code ${code})`));
  });

  return {
    backfilled,
    failed,
    flushedUntilUs: () => flushedUntilUs,
    newestSyslogUs: () => newestSyslogUs,
    startLive: () => worker.postMessage({ type: 'live' } satisfies ToWorker),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      settleBackfill?.reject(new Error('stopped before the backfill ended'));
      const done = new Promise<void>((resolve) => (onStopped = resolve));
      worker.postMessage({ type: 'stop' } satisfies ToWorker);
      // A failure ends the worker without 'stopped': whichever comes first ends the wait, the failure is reported.
      await Promise.race([done, failed, exited.then(() => undefined)]);
      // Its last batch is flushed and its files closed: idle HTTP connections need not keep it alive.
      await worker.terminate();
    },
  };
}

/** Passes points on and remembers the time of the newest syslog line. */
class SyslogWatch implements PointSink {
  newestUs = -1;

  constructor(private readonly sink: PointSink) {}

  async write(points: Parameters<PointSink['write']>[0]): Promise<void> {
    await this.sink.write(points);
    for (const p of points) {
      if (p.measurement === INPUT.syslog.measurement && p.timeUs > this.newestUs) this.newestUs = p.timeUs;
    }
  }

  flush(): Promise<void> {
    return this.sink.flush();
  }

  close(): Promise<void> {
    return this.sink.close();
  }
}

/** The worker: backfill, wait for the word to go live, play live time until told to stop. */
async function runWorker(setup: SimulatorSetup, port: MessagePort): Promise<void> {
  const post = (message: FromWorker) => port.postMessage(message);
  const settings = demoSettings(setup);
  const simulation = simulationFor(settings);
  // The runner flushes after every slice and live batch itself, and reports the flushed time
  // only then. A timer flush beside it could put two batches in flight at once, and a flush
  // could then return before the older one is stored: the timer never fires here.
  const sink = new SyslogWatch(await createInfluxSink({ ...setup.influx, flushIntervalMs: NEVER_MS }));
  const truth = await openTruthFiles(setup.simDir);
  const abort = new AbortController();
  let live: LiveRun | undefined;
  let goLive: () => void = () => undefined;
  const liveRequested = new Promise<void>((resolve) => (goLive = resolve));
  port.on('message', (message: ToWorker) => {
    if (message.type === 'live') goLive();
    if (message.type === 'stop') {
      abort.abort();
      goLive();
      void live?.stop().catch(() => undefined);
    }
  });
  const flushed = (untilUs: number) => post({ type: 'flushed', untilUs, newestSyslogUs: sink.newestUs });

  try {
    const result = await runBackfill(
      { ...settings, days: setup.days, endUs: setup.endUs, truth, signal: abort.signal, onFlushed: flushed },
      sink,
      (progress) => post({ type: 'progress', progress }),
      simulation
    );
    flushed(result.endUs);
    if (result.completed) post({ type: 'backfilled', result });
    await liveRequested;
    if (!abort.signal.aborted) {
      live = startLive(
        {
          ...settings,
          truth,
          speed: setup.speed,
          startUs: result.endUs,
          replayUs: setup.replayUs,
          script: createDemoLiveScript(setup.seed, settings.topology),
          onFlushed: flushed,
        },
        sink,
        simulation
      );
      await live.done;
    }
    await sink.close();
    await truth.close();
    post({ type: 'stopped' });
  } catch (error) {
    await Promise.allSettled([truth.close()]);
    post({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
  }
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  void runWorker(workerData as SimulatorSetup, port).finally(() => port.close());
}
