import { OUTPUT, type Decision, type EventClass, type Inventory } from '@nocai/contract';
import { syslogLineKey, type SyslogLine } from '../domain/logs/syslogLine';
import type { Clock, PointSink, SeriesPoint } from '../domain/series';
import type { StateStore } from '../domain/state';
import { eventKey, type ClassifiedEvent } from '../domain/incidents';
import type { TriageResult, TriageState, TriageStep } from './triageStep';

/** What the stage needs of a template miner (domain/logs). */
export interface LineMiner<State> {
  /** `maskedMessage`: the message as `maskMessage` masks it, when the miner masked it so (see TemplateMiner). */
  add(message: string): { templateId: string; template: string; isNew: boolean; maskedMessage?: string };
  toJSON(): State;
}

export interface LineClassification {
  eventClass: EventClass;
  decision: Decision;
  confidence: number;
  modelVersion: string;
  explanation?: Array<{ feature: string; weight: number }>;
}

export interface LineInput {
  message: string;
  /**
   * `message` as `maskMessage` (domain/logs/masking) masks it, when the stage has it already from
   * template mining: a classifier that masks the message uses it instead of masking it again.
   */
  maskedMessage?: string;
  template: string;
  severity: string;
  appname: string;
  deviceKind?: string;
  siteKind?: string;
}

/** Classifies a batch of lines at once: ONNX models run a batch per call. */
export interface LineClassifier {
  classifyBatch(inputs: readonly LineInput[]): Promise<LineClassification[]>;
}

export interface LogStageState<MinerState> {
  /** Time (µs) of the newest line processed. */
  watermarkUs: number;
  /** Keys of the processed lines at exactly watermarkUs (the next read starts at that instant). */
  boundaryKeys: string[];
  /** Absent until the first batch is committed. */
  miner?: MinerState;
  /** Incident engine state, when the stage runs triage. */
  triage?: TriageState;
}

export interface LogStageSource {
  read(fromUs: number, toUs: number, limit: number): Promise<SyslogLine[]>;
}

export interface LogStageOptions {
  batchSize: number;
  settleMs: number;
  startLookbackMs: number;
  /** With no new lines for this long, the incident engine advances to now anyway (silences). */
  idleAdvanceMs: number;
}

export interface LogStageHooks {
  onBatch?(info: {
    lines: number;
    events: number;
    tickets: number;
    seconds: number;
    watermarkUs: number;
    newTemplates: number;
  }): void;
}

export const LOG_STAGE_STATE_KEY = 'log-stage';

export interface EvidenceSource {
  /** Alerts with fromUs < time ≤ toUs, oldest first. */
  read(fromUs: number, toUs: number): Promise<ClassifiedEvent[]>;
  /** Evidence is complete up to this time (µs); undefined: do not wait for it. */
  horizonUs(): number | undefined;
  /** The batch that read the last evidence is committed: do not give it again. */
  committed?(): void;
}

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
  /** Wall-clock time of the last batch that had lines (start time after a restart). */
  private lastLinesAtMs: number;
  /** The next page, read, mined and classified while the previous batch was being written. */
  private lookahead: Lookahead<MinerState> | undefined;

  constructor(
    private readonly deps: {
      source: LogStageSource;
      sink: PointSink;
      store: StateStore;
      clock: Clock;
      classifier: LineClassifier;
      createMiner: (state: MinerState | undefined) => LineMiner<MinerState>;
      inventory?: Inventory;
      /** Incidents, tickets and silences; without it the stage only classifies. */
      triage?: TriageStep;
      /**
       * Alerts from other stages (metric anomaly episodes) that join the incident engine beside the
       * log alerts. The stage never moves past `horizonUs()`, the time up to which they are complete.
       */
      evidence?: EvidenceSource;
      options: LogStageOptions;
      hooks?: LogStageHooks;
    }
  ) {
    this.lastLinesAtMs = deps.clock.nowMs();
  }

  get watermarkUs(): number | undefined {
    return this.state?.watermarkUs;
  }

  /** Processes at most one batch; returns the number of new lines processed. */
  async tick(): Promise<number> {
    const started = process.hrtime.bigint();
    const { source, sink, store, clock, options } = this.deps;
    const state = await this.loadState();
    const horizonUs = this.deps.triage ? this.deps.evidence?.horizonUs() : undefined;
    const upperUs = Math.min((clock.nowMs() - options.settleMs) * 1000, horizonUs ?? Infinity);
    if (upperUs < state.watermarkUs) return 0;
    let prepared = await this.takeLookahead(state, upperUs);
    if (!prepared) {
      const lines = await source.read(state.watermarkUs, upperUs, options.batchSize);
      const fresh = freshLines(lines, state);
      if (fresh.length === 0 && !this.deps.triage) {
        if (lines.length >= options.batchSize) throw tooManyAtOneInstant(options.batchSize, state.watermarkUs);
        return 0;
      }
      if (fresh.length === 0 && lines.length >= options.batchSize) {
        throw tooManyAtOneInstant(options.batchSize, state.watermarkUs);
      }
      // The incident step's heartbeats, over the window its run will take (from where the engine
      // stands, or just before the first line, to the last), are read while the page is mined and
      // classified, as the lookahead reads the next page's: following live syslog, a tick mostly
      // finds no prepared page (issue 13).
      if (fresh.length > 0) {
        const fromUs = state.triage?.engineUs ?? fresh[0].timeUs - 1;
        this.deps.triage?.prefetchHeartbeats(fromUs, Math.max(fromUs, fresh[fresh.length - 1].timeUs));
      }
      // A miner that saw lines of a batch that was never committed must not be reused: it is rebuilt
      // from the committed state so that a replay reproduces the same templates and ids.
      const miner = this.miner ?? this.deps.createMiner(state.miner);
      this.miner = undefined;
      prepared = await this.prepare(fresh, miner);
    }
    const { fresh, miner, classified, newTemplates } = prepared;
    this.miner = undefined;

    const watermarkUs = fresh.length ? fresh[fresh.length - 1].timeUs : state.watermarkUs;
    const atWatermark = fresh.filter((l) => l.timeUs === watermarkUs).map(syslogLineKey);
    const boundaryKeys = watermarkUs === state.watermarkUs ? [...state.boundaryKeys, ...atWatermark] : atWatermark;
    // Taken before the lookahead mines the next page with the same miner (and not on an idle tick,
    // which may end without a commit); the triage state is set once this batch's incident step ran.
    const snapshot = (): LogStageState<MinerState> => ({
      watermarkUs,
      boundaryKeys,
      miner: miner.toJSON(),
      triage: state.triage,
    });
    let next = fresh.length > 0 ? snapshot() : undefined;
    // The next page is read, mined and classified while this batch goes through the incident step
    // and InfluxDB stores it (CPU here, I/O there), and its heartbeats are read from where this
    // batch leaves the incident engine (its watermark, or further when the engine is ahead). Nothing
    // of it is written or committed before this batch is: if anything of this batch fails, the
    // lookahead and the miner it used are dropped, and the batch replays from the store.
    const engineUs = Math.max(state.triage?.engineUs ?? watermarkUs, watermarkUs);
    const lookahead = next ? this.startLookahead(next, upperUs, miner, engineUs) : undefined;
    let decided: Decided | undefined;
    try {
      decided = await this.decide(state, fresh, classified, watermarkUs, upperUs);
      if (decided) {
        next ??= snapshot();
        next.triage = decided.triageState;
        await sink.write(decided.points);
        await sink.flush();
        await store.save(LOG_STAGE_STATE_KEY, next);
      }
    } catch (error) {
      await lookahead?.result.catch(() => undefined);
      throw error;
    }
    if (!decided || !next) {
      // Idle, and the incident step has nothing to advance: the committed miner is untouched.
      this.miner = miner;
      return 0;
    }
    this.commit(next, miner, lookahead, fresh.length, decided.tickets);
    this.deps.hooks?.onBatch?.({
      lines: fresh.length,
      events: classified.length,
      tickets: decided.tickets.length,
      seconds: Number(process.hrtime.bigint() - started) / 1e9,
      watermarkUs,
      newTemplates,
    });
    return fresh.length;
  }

  /**
   * The incident step of a batch (when the stage runs triage) and the points to write: one
   * aiops_events point per line with its final decision, plus tickets, silences and re-labelled
   * events. Undefined: an idle tick with nothing to advance.
   */
  private async decide(
    state: LogStageState<MinerState>,
    fresh: SyslogLine[],
    classified: Prepared<MinerState>['classified'],
    watermarkUs: number,
    upperUs: number
  ): Promise<Decided | undefined> {
    const { clock, options } = this.deps;
    let extra: SeriesPoint[] = [];
    let triageState = state.triage;
    let tickets: TriageResult['tickets'] = [];
    if (this.deps.triage) {
      const engineEvents: ClassifiedEvent[] = classified.map(({ line, mined, verdict }) => ({
        timeUs: line.timeUs,
        hostname: line.hostname,
        appname: line.appname,
        severity: line.severity,
        message: line.message,
        templateId: mined.templateId,
        eventClass: verdict.eventClass,
        decision: verdict.decision === 'noise' ? 'noise' : 'alert',
        confidence: verdict.confidence,
        modelVersion: verdict.modelVersion,
        explanation: verdict.explanation,
      }));
      // Without new lines for a while the engine still moves on to now − settle, so that a whole
      // estate going silent (nothing logs any more) is noticed. Not sooner: lines written late
      // (a backfill, a Telegraf catching up) would otherwise land behind the engine's clock.
      const idle = fresh.length === 0;
      if (idle && (state.triage === undefined || clock.nowMs() - this.lastLinesAtMs < options.idleAdvanceMs)) {
        return undefined;
      }
      const targetUs = idle ? upperUs : watermarkUs;
      if (idle && targetUs <= (state.triage?.engineUs ?? 0)) return undefined;
      if (this.deps.evidence) {
        const fromUs = state.triage?.engineUs ?? (engineEvents[0]?.timeUs ?? targetUs) - 1;
        const extraEvents = targetUs > fromUs ? await this.deps.evidence.read(fromUs, targetUs) : [];
        if (extraEvents.length) {
          engineEvents.push(...extraEvents);
          // Stable: at one instant, log lines keep their order and evidence follows them.
          engineEvents.sort((a, b) => a.timeUs - b.timeUs);
        }
      }
      const result = await this.deps.triage.run(state.triage, engineEvents, targetUs, clock.nowMs());
      // Most batches change no decision: no key to build per line then (issue 13).
      for (const item of result.decisions.size > 0 ? classified : []) {
        const decided = result.decisions.get(eventKey(item.line.hostname, item.line.timeUs));
        if (decided) item.verdict = { ...item.verdict, decision: decided };
      }
      extra = result.points;
      triageState = result.state;
      tickets = result.tickets;
    }
    const points: SeriesPoint[] = classified.map(({ line, mined, verdict, device }) =>
      eventPoint(line, mined, verdict, device)
    );
    for (const point of extra) points.push(point);
    return { points, tickets, triageState };
  }

  /** The batch is stored and its state saved: it becomes the committed state. */
  private commit(
    next: LogStageState<MinerState>,
    miner: LineMiner<MinerState>,
    lookahead: Lookahead<MinerState> | undefined,
    lines: number,
    tickets: TriageResult['tickets']
  ): void {
    const { clock } = this.deps;
    this.state = next;
    this.miner = miner;
    this.lookahead = lookahead;
    if (lines) this.lastLinesAtMs = clock.nowMs();
    if (next.triage) this.deps.triage?.committed(next.triage, tickets);
    this.deps.evidence?.committed?.();
  }

  /** Mines and classifies `fresh` with `miner`. */
  private async prepare(fresh: SyslogLine[], miner: LineMiner<MinerState>): Promise<Prepared<MinerState>> {
    const byHost = indexDevices(this.deps.inventory);
    let newTemplates = 0;
    const mined = new Array<ReturnType<LineMiner<MinerState>['add']>>(fresh.length);
    const devices = new Array<DeviceInfo | undefined>(fresh.length);
    const inputs = fresh.map((line, i): LineInput => {
      const m = (mined[i] = miner.add(line.message));
      if (m.isNew) newTemplates++;
      const device = (devices[i] = byHost.get(line.hostname));
      return {
        message: line.message,
        maskedMessage: m.maskedMessage,
        template: m.template,
        severity: line.severity,
        appname: line.appname,
        deviceKind: device?.deviceKind,
        siteKind: device?.siteKind,
      };
    });
    const verdicts = await this.deps.classifier.classifyBatch(inputs);
    const classified = fresh.map((line, i) => ({ line, mined: mined[i], device: devices[i], verdict: verdicts[i] }));
    return { fresh, miner, classified, newTemplates };
  }

  /**
   * Reads the page after `after` (up to `upperUs`, as a tick at this instant would) and prepares
   * it with `miner`, which already holds everything of `after`. Resolves to undefined when that
   * page has no new line (the next tick decides what to do then, from a fresh read). The
   * heartbeats from `engineUs` (where the incident engine will stand after `after`'s batch) to the
   * page's last line are read meanwhile; a run over another window reads its own.
   */
  private startLookahead(
    after: LogStageState<MinerState>,
    upperUs: number,
    miner: LineMiner<MinerState>,
    engineUs: number
  ): Lookahead<MinerState> {
    const { source, options, triage } = this.deps;
    const result = (async () => {
      const lines = await source.read(after.watermarkUs, upperUs, options.batchSize);
      const fresh = freshLines(lines, after);
      if (fresh.length === 0) return undefined;
      triage?.prefetchHeartbeats(engineUs, fresh[fresh.length - 1].timeUs);
      return this.prepare(fresh, miner);
    })();
    // Observed by takeLookahead, or dropped with its batch: never an unhandled rejection.
    result.catch(() => undefined);
    return { after, upperUs, result };
  }

  /**
   * The prepared next page, when it follows `state` and was read within `upperUs`: it is then
   * what this tick would read, as a tick run a moment earlier. Otherwise (or when it failed) it
   * is dropped, with the miner it touched.
   */
  private async takeLookahead(
    state: LogStageState<MinerState>,
    upperUs: number
  ): Promise<Prepared<MinerState> | undefined> {
    const lookahead = this.lookahead;
    this.lookahead = undefined;
    if (!lookahead) return undefined;
    const outcome = await lookahead.result.then(
      (prepared) => ({ prepared }),
      () => ({ prepared: undefined, failed: true })
    );
    if (outcome.prepared && lookahead.after === state && lookahead.upperUs <= upperUs) return outcome.prepared;
    // An empty page left the miner as committed; a page prepared for nothing, or a failure, spoiled it.
    if (outcome.prepared || 'failed' in outcome) this.miner = undefined;
    return undefined;
  }

  private async loadState(): Promise<LogStageState<MinerState>> {
    if (this.state) return this.state;
    const saved = await this.deps.store.load<LogStageState<MinerState>>(LOG_STAGE_STATE_KEY);
    const start = (this.deps.clock.nowMs() - this.deps.options.startLookbackMs) * 1000;
    this.state = saved ?? { watermarkUs: start, boundaryKeys: [] };
    this.miner = undefined;
    this.lookahead = undefined;
    return this.state;
  }
}

interface Prepared<MinerState> {
  fresh: SyslogLine[];
  miner: LineMiner<MinerState>;
  classified: Array<{
    line: SyslogLine;
    mined: { templateId: string; template: string; isNew: boolean; maskedMessage?: string };
    device: DeviceInfo | undefined;
    verdict: LineClassification;
  }>;
  newTemplates: number;
}

interface Decided {
  points: SeriesPoint[];
  tickets: TriageResult['tickets'];
  triageState: TriageState | undefined;
}

interface Lookahead<MinerState> {
  /** The committed state the page follows. */
  after: LogStageState<MinerState>;
  upperUs: number;
  result: Promise<Prepared<MinerState> | undefined>;
}

/** Lines not processed yet: those at the watermark instant were, when their key is in the boundary. */
function freshLines<MinerState>(lines: SyslogLine[], state: LogStageState<MinerState>): SyslogLine[] {
  if (lines.length === 0 || lines[0].timeUs !== state.watermarkUs) return lines;
  const boundary = new Set(state.boundaryKeys);
  return lines.filter((line) => line.timeUs !== state.watermarkUs || !boundary.has(syslogLineKey(line)));
}

function tooManyAtOneInstant(batchSize: number, timeUs: number): Error {
  return new Error(`more than ${batchSize} syslog lines share the timestamp ${timeUs} µs: raise NOCAI_BATCH_SIZE`);
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
    inventory.devices.map((d) => [
      d.host,
      { site: d.site, siteKind: sites.get(d.site)?.kind ?? '', deviceKind: d.kind },
    ])
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
  // Tags and fields in the order of their names (appname, class, device_kind, …): line protocol
  // writes them so, and takes them as they come when they come so (issue 13: sorting them was
  // most of what building a line allocated). Another order would only cost that sort again.
  return {
    measurement: OUTPUT.events.measurement,
    tags: {
      [tags.appname]: line.appname,
      [tags.eventClass]: verdict.eventClass,
      [tags.deviceKind]: device?.deviceKind ?? '',
      [tags.facility]: line.facility,
      [tags.hostname]: line.hostname,
      [tags.severity]: line.severity,
      [tags.site]: device?.site ?? '',
      [tags.siteKind]: device?.siteKind ?? '',
    },
    fields: {
      [fields.confidence]: verdict.confidence,
      [fields.decision]: verdict.decision,
      [fields.message]: line.message,
      [fields.modelVersion]: verdict.modelVersion,
      [fields.template]: mined.template,
      [fields.templateId]: mined.templateId,
    },
    timeUs: line.timeUs,
  };
}
