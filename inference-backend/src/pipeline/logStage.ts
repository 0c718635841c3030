import { OUTPUT, type Decision, type EventClass, type Inventory } from '@nocai/contract';
import { syslogLineKey, type SyslogLine } from '../domain/logs/syslogLine';
import type { Clock, PointSink, SeriesPoint } from '../domain/series';
import type { StateStore } from '../domain/state';

/** What the stage needs of a template miner (domain/logs). */
export interface LineMiner<State> {
  add(message: string): { templateId: string; template: string; isNew: boolean };
  toJSON(): State;
}

export interface LineClassification {
  eventClass: EventClass;
  decision: Decision;
  confidence: number;
  modelVersion: string;
}

export interface LineClassifier {
  classify(input: { message: string; template: string; severity: string; appname: string; deviceKind?: string }): LineClassification;
}

export interface LogStageState<MinerState> {
  /** Time (µs) of the newest line processed. */
  watermarkUs: number;
  /** Keys of the processed lines at exactly watermarkUs (the next read starts at that instant). */
  boundaryKeys: string[];
  /** Absent until the first batch is committed. */
  miner?: MinerState;
}

export interface LogStageSource {
  read(fromUs: number, toUs: number, limit: number): Promise<SyslogLine[]>;
}

export interface LogStageOptions {
  batchSize: number;
  settleMs: number;
  startLookbackMs: number;
}

export interface LogStageHooks {
  onBatch?(info: { lines: number; events: number; seconds: number; watermarkUs: number; newTemplates: number }): void;
}

export const LOG_STAGE_STATE_KEY = 'log-stage';

/**
 * One tick: read syslog lines from the watermark on, mine templates, classify, write one
 * aiops_events point per line, flush, and only then persist the new watermark together with the
 * miner state (one atomic file). A crash anywhere before that commit replays the batch from the
 * same miner state, which rewrites the same points (same tags and timestamp): nothing lost,
 * nothing duplicated.
 */
export class LogStage<MinerState> {
  private state: LogStageState<MinerState> | undefined;
  private miner: LineMiner<MinerState> | undefined;

  constructor(
    private readonly deps: {
      source: LogStageSource;
      sink: PointSink;
      store: StateStore;
      clock: Clock;
      classifier: LineClassifier;
      createMiner: (state: MinerState | undefined) => LineMiner<MinerState>;
      inventory?: Inventory;
      options: LogStageOptions;
      hooks?: LogStageHooks;
    }
  ) {}

  get watermarkUs(): number | undefined {
    return this.state?.watermarkUs;
  }

  /** Processes at most one batch; returns the number of new lines processed. */
  async tick(): Promise<number> {
    const started = process.hrtime.bigint();
    const { source, sink, store, clock, options } = this.deps;
    const state = await this.loadState();
    const upperUs = (clock.nowMs() - options.settleMs) * 1000;
    if (upperUs < state.watermarkUs) return 0;
    const lines = await source.read(state.watermarkUs, upperUs, options.batchSize);
    const boundary = new Set(state.boundaryKeys);
    const fresh = lines.filter((line) => line.timeUs !== state.watermarkUs || !boundary.has(syslogLineKey(line)));
    if (fresh.length === 0) {
      if (lines.length >= options.batchSize) {
        throw new Error(
          `more than ${options.batchSize} syslog lines share the timestamp ${state.watermarkUs} µs: raise NOCAI_BATCH_SIZE`
        );
      }
      return 0;
    }

    // A miner that saw lines of a batch that was never committed must not be reused: it is rebuilt
    // from the committed state so that a replay reproduces the same templates and ids.
    const miner = this.miner ?? this.deps.createMiner(state.miner);
    this.miner = undefined;
    const byHost = indexDevices(this.deps.inventory);
    let newTemplates = 0;
    const points: SeriesPoint[] = fresh.map((line) => {
      const mined = miner.add(line.message);
      if (mined.isNew) newTemplates++;
      const device = byHost.get(line.hostname);
      const verdict = this.deps.classifier.classify({
        message: line.message,
        template: mined.template,
        severity: line.severity,
        appname: line.appname,
        deviceKind: device?.deviceKind,
      });
      return eventPoint(line, mined, verdict, device);
    });

    await sink.write(points);
    await sink.flush();

    const watermarkUs = fresh[fresh.length - 1].timeUs;
    const atWatermark = fresh.filter((l) => l.timeUs === watermarkUs).map(syslogLineKey);
    const boundaryKeys = watermarkUs === state.watermarkUs ? [...state.boundaryKeys, ...atWatermark] : atWatermark;
    const next: LogStageState<MinerState> = { watermarkUs, boundaryKeys, miner: miner.toJSON() };
    await store.save(LOG_STAGE_STATE_KEY, next);
    this.state = next;
    this.miner = miner;
    this.deps.hooks?.onBatch?.({
      lines: fresh.length,
      events: points.length,
      seconds: Number(process.hrtime.bigint() - started) / 1e9,
      watermarkUs,
      newTemplates,
    });
    return fresh.length;
  }

  private async loadState(): Promise<LogStageState<MinerState>> {
    if (this.state) return this.state;
    const saved = await this.deps.store.load<LogStageState<MinerState>>(LOG_STAGE_STATE_KEY);
    const start = (this.deps.clock.nowMs() - this.deps.options.startLookbackMs) * 1000;
    this.state = saved ?? { watermarkUs: start, boundaryKeys: [] };
    this.miner = undefined;
    return this.state;
  }
}

interface DeviceInfo {
  site: string;
  siteKind: string;
  deviceKind: string;
}

const deviceIndexCache = new WeakMap<Inventory, Map<string, DeviceInfo>>();

function indexDevices(inventory: Inventory | undefined): Map<string, DeviceInfo> {
  if (!inventory) return new Map();
  const cached = deviceIndexCache.get(inventory);
  if (cached) return cached;
  const sites = new Map(inventory.sites.map((s) => [s.id, s]));
  const index = new Map(
    inventory.devices.map((d) => [d.host, { site: d.site, siteKind: sites.get(d.site)?.kind ?? '', deviceKind: d.kind }])
  );
  deviceIndexCache.set(inventory, index);
  return index;
}

function eventPoint(
  line: SyslogLine,
  mined: { templateId: string; template: string },
  verdict: LineClassification,
  device: DeviceInfo | undefined
): SeriesPoint {
  const tags = OUTPUT.events.tags;
  const fields = OUTPUT.events.fields;
  return {
    measurement: OUTPUT.events.measurement,
    tags: {
      [tags.hostname]: line.hostname,
      [tags.appname]: line.appname,
      [tags.facility]: line.facility,
      [tags.severity]: line.severity,
      [tags.site]: device?.site ?? '',
      [tags.siteKind]: device?.siteKind ?? '',
      [tags.deviceKind]: device?.deviceKind ?? '',
      [tags.eventClass]: verdict.eventClass,
    },
    fields: {
      [fields.decision]: verdict.decision,
      [fields.templateId]: mined.templateId,
      [fields.template]: mined.template,
      [fields.message]: line.message,
      [fields.confidence]: verdict.confidence,
      [fields.modelVersion]: verdict.modelVersion,
    },
    timeUs: line.timeUs,
  };
}
