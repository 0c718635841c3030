import {
  OUTPUT,
  SILENCE_SERIES,
  type Decision,
  type Inventory,
  type Ticket,
  type TicketRouting,
} from '@nocai/contract';
import type { TicketsRepository } from '../adapters/influx/ticketsRepository';
import { ticketPoint } from '../adapters/influx/ticketsRepository';
import {
  IncidentEngine,
  eventKey,
  type ClassifiedEvent,
  type EngineOutput,
  type EngineState,
  type Heartbeat,
  type IncidentEngineOptions,
  type IncidentSummary,
  type SilenceChange,
  type TicketAction,
} from '../domain/incidents';
import { similarTicketQueryOf, type SimilarTicketIndex } from '../domain/recommendations/similarTickets';
import { separateCollisions, type SeriesPoint } from '../domain/series';
import { applyTicketAction, keptRouting, type MttrEstimate, type MttrFeatures } from '../domain/tickets';
import type { MttrInput, MttrPredictor } from '../services/ports';

export interface HeartbeatReader {
  /** Heartbeats with afterUs < time ≤ toUs, in any order. */
  read(afterUs: number, toUs: number): Promise<Heartbeat[]>;
}

/** Tags of an aiops_events point written by an earlier batch, to rewrite its decision. */
export type EventTagLookup = (hostname: string, timeUs: number) => Promise<Record<string, string> | undefined>;

export interface TriageStepDeps {
  inventory: Inventory;
  heartbeats?: HeartbeatReader;
  tickets: Pick<TicketsRepository, 'findById' | 'remember'>;
  mttr: MttrPredictor;
  similar: () => SimilarTicketIndex | undefined;
  eventTags: EventTagLookup;
  engineOptions?: Partial<IncidentEngineOptions>;
}

export interface TriageState {
  engine: EngineState;
  /** Heartbeats are read and the engine advanced up to here (µs). */
  engineUs: number;
}

export interface TriageResult {
  /** Ticket, silence and rewritten-event points to write with the batch. */
  points: SeriesPoint[];
  /** New decisions for events of the current batch, by eventKey. */
  decisions: Map<string, Decision>;
  state: TriageState;
  /** The ticket states written by `points` in order (a ticket may have several), with the timestamp of their point. */
  tickets: Array<{ ticket: Ticket; timeUs: number }>;
}

/**
 * The incident step of a log batch: feeds classified events and telemetry heartbeats to the
 * incident engine, advances it to the batch's watermark, and turns what it decides into
 * tickets (with MTTR and similar past tickets), silences and re-labelled events. Its state is
 * committed with the batch, so a replay reproduces the same incidents and ticket ids.
 */
export class TriageStep {
  private engine: IncidentEngine | undefined;
  /** Heartbeats read ahead for the next runs (see prefetchHeartbeats), oldest first. */
  private prefetched: Array<{ fromUs: number; untilUs: number; beats: Promise<Heartbeat[]> }> = [];

  constructor(private readonly deps: TriageStepDeps) {}

  /**
   * Starts reading the heartbeats of (fromUs, untilUs] for a run that will advance the engine
   * from `fromUs` to `untilUs` (the log stage knows both once it has read its page): the read
   * then overlaps classifying. A run over another window reads its own. Two windows are kept: the
   * log stage reads the page after a batch while that batch's own run may still be to come.
   */
  prefetchHeartbeats(fromUs: number, untilUs: number): void {
    const { heartbeats } = this.deps;
    if (!heartbeats || untilUs <= fromUs) return;
    const beats = heartbeats.read(fromUs, untilUs);
    // Observed by run(), which reads again if this failed.
    beats.catch(() => undefined);
    this.prefetched = [...this.prefetched.slice(-1), { fromUs, untilUs, beats }];
  }

  private async heartbeatsOf(fromUs: number, untilUs: number): Promise<Heartbeat[]> {
    const { heartbeats } = this.deps;
    const prefetched = this.prefetched.find((p) => p.fromUs === fromUs && p.untilUs === untilUs);
    // What this run does not take is of use only to a later run.
    this.prefetched = this.prefetched.filter((p) => p !== prefetched && p.fromUs >= untilUs);
    if (!heartbeats || untilUs <= fromUs) return [];
    if (prefetched) {
      const beats = await prefetched.beats.catch(() => undefined);
      if (beats) return beats;
    }
    return heartbeats.read(fromUs, untilUs);
  }

  async run(
    saved: TriageState | undefined,
    events: readonly ClassifiedEvent[],
    targetUs: number,
    nowMs: number
  ): Promise<TriageResult> {
    const { deps } = this;
    // An engine that saw an uncommitted batch is rebuilt from the committed state (see LogStage).
    const engine =
      this.engine ??
      (saved
        ? IncidentEngine.fromJSON(deps.inventory, saved.engine, deps.engineOptions)
        : new IncidentEngine(deps.inventory, deps.engineOptions));
    this.engine = undefined;
    const fromUs = saved?.engineUs ?? (events[0]?.timeUs ?? targetUs) - 1;
    const untilUs = Math.max(fromUs, targetUs);
    const beats = await this.heartbeatsOf(fromUs, untilUs);
    const output = stepEngine(engine, events, beats, fromUs, untilUs);

    const points: SeriesPoint[] = [];
    const decisions = new Map<string, Decision>();
    // Keyed only when the engine changed a decision: most batches change none (issue 13).
    const inBatch = output.decisionChanges.length
      ? new Set(events.map((e) => eventKey(e.hostname, e.timeUs)))
      : new Set<string>();
    for (const change of output.decisionChanges) {
      if (inBatch.has(change.key)) {
        decisions.set(change.key, change.decision);
        continue;
      }
      const tags = await deps.eventTags(change.hostname, change.timeUs);
      if (tags) {
        points.push({
          measurement: OUTPUT.events.measurement,
          tags,
          // Same series and timestamp: InfluxDB merges the field into the existing point.
          fields: { [OUTPUT.events.fields.decision]: change.decision },
          timeUs: change.timeUs,
        });
      }
    }
    // Two silences or two tickets of one site in the same microsecond would share a series key and
    // overwrite each other; rewritten events must keep theirs (they merge into the event's point).
    const built = await this.tickets(output.ticketActions, nowMs);
    const records = separateCollisions(
      [...output.silences.map(silencePoint), ...built.map((t) => ticketPoint(t))],
      (_, i) => (i < output.silences.length ? undefined : built[i - output.silences.length].id)
    );
    const tickets = built.map((ticket, i) => {
      const timeUs = records[output.silences.length + i].timeUs;
      return { ticket: { ...ticket, updatedAtMs: Math.floor(timeUs / 1000) }, timeUs };
    });
    return {
      points: [...points, ...records],
      decisions,
      tickets,
      state: { engine: engine.toJSON(), engineUs: untilUs },
    };
  }

  /** Called once the batch is committed: the engine may be reused, its tickets are current. */
  committed(engine: TriageState, tickets: TriageResult['tickets']): void {
    this.deps.tickets.remember(tickets);
    this.engine = IncidentEngine.fromJSON(this.deps.inventory, engine.engine, this.deps.engineOptions);
  }

  private async tickets(actions: readonly TicketAction[], nowMs: number): Promise<Ticket[]> {
    if (actions.length === 0) return [];
    // MTTR models are async (onnxruntime); the ticket builder is sync: predict first, in one batch,
    // for the incidents' routing. A ticket whose routing a person corrected keeps it (keptRouting)
    // and is estimated for that routing instead, below.
    const estimates = new Map<string, MttrEstimate>();
    const predictions = await Promise.all(actions.map((a) => this.deps.mttr.predict(mttrInputOf(a.incident))));
    actions.forEach((a, i) => estimates.set(mttrKey(mttrInputOf(a.incident)), predictions[i]));
    // Every state is kept (a ticket opened and updated in one batch has both points, `opened`
    // first), not only the last: the stored history is the ticket's whole history.
    const latest = new Map<string, Ticket>();
    const states: Ticket[] = [];
    for (const action of actions) {
      const existing = latest.get(action.incident.id) ?? (await this.deps.tickets.findById(action.incident.id));
      const asked = mttrInputOf(action.incident, keptRouting(existing, action.incident));
      if (!estimates.has(mttrKey(asked))) estimates.set(mttrKey(asked), await this.deps.mttr.predict(asked));
      // A replayed batch finds its ticket already written: an open becomes an update, not an error.
      const kind =
        existing && action.kind === 'open' ? 'update' : !existing && action.kind !== 'open' ? 'open' : action.kind;
      const ticket = applyTicketAction(
        existing,
        { ...action, kind },
        {
          predictMttr: (features: MttrFeatures) => {
            const estimate = estimates.get(mttrKey(features));
            if (!estimate) throw new Error(`ticket ${action.incident.id}: no MTTR estimate for ${mttrKey(features)}`);
            return estimate;
          },
          similarTickets: (incident) => this.deps.similar()?.search(similarTicketQueryOf(incident)) ?? [],
          nowMs: Math.floor(action.atUs / 1000),
        }
      );
      latest.set(ticket.id, ticket);
      states.push(ticket);
    }
    return states;
  }
}

/** What the MTTR model is asked about an incident's ticket, with its routing (the incident's, or a correction). */
function mttrInputOf(incident: IncidentSummary, routing: TicketRouting = incident): MttrInput {
  return {
    eventClass: routing.eventClass,
    department: routing.department,
    priority: routing.priority,
    siteKind: incident.siteKind,
    deviceKind: incident.deviceKind,
    openedAtMs: Math.floor(incident.startedAtUs / 1000),
    fromIncident: true,
  };
}

/** The inputs an estimate was made for: the one the ticket builder asks for is looked up by them. */
function mttrKey(input: Omit<MttrInput, 'fromIncident'>): string {
  const { eventClass, department, priority, siteKind, deviceKind, openedAtMs } = input;
  return JSON.stringify([eventClass, department, priority, siteKind, deviceKind, openedAtMs]);
}

/**
 * The engine judges silences and holds at each `advance`, so it is stepped through the batch in
 * fixed slices of data time, aligned to absolute boundaries: a backlog of hours processed in one
 * batch gives the same incidents as the same lines arriving minute by minute.
 */
export const ENGINE_STEP_US = 30_000_000;

function stepEngine(
  engine: IncidentEngine,
  events: readonly ClassifiedEvent[],
  beats: readonly Heartbeat[],
  fromUs: number,
  untilUs: number
): EngineOutput {
  // The log stage hands its events in time order already: copied and sorted only when they are not.
  const sortedEvents = isInTimeOrder(events) ? events : [...events].sort((a, b) => a.timeUs - b.timeUs);
  const out: EngineOutput = { ticketActions: [], decisionChanges: [], silences: [] };
  const firstBoundary = (Math.floor(fromUs / ENGINE_STEP_US) + 1) * ENGINE_STEP_US;
  // Steps end at firstBoundary, firstBoundary + ENGINE_STEP_US, …, and the last one at untilUs.
  const steps = untilUs <= firstBoundary ? 1 : Math.ceil((untilUs - firstBoundary) / ENGINE_STEP_US) + 1;
  const { ordered: stepBeats, starts } = beatsByStep(beats, firstBoundary, steps, untilUs);
  let e = 0;
  let boundary = firstBoundary;
  for (let step = 0; step < steps; step++) {
    const stepEnd = Math.min(boundary, untilUs);
    const start = e;
    while (e < sortedEvents.length && sortedEvents[e].timeUs <= stepEnd) e++;
    if (e > start) engine.observeEvents(sortedEvents.slice(start, e));
    if (starts[step + 1] > starts[step]) engine.observeHeartbeats(stepBeats.slice(starts[step], starts[step + 1]));
    const result = engine.advance(stepEnd);
    out.ticketActions.push(...result.ticketActions);
    out.decisionChanges.push(...result.decisionChanges);
    out.silences.push(...result.silences);
    boundary += ENGINE_STEP_US;
  }
  // Defensive: anything past untilUs is still handed over rather than dropped.
  if (e < sortedEvents.length) {
    engine.observeEvents(sortedEvents.slice(e));
    const step = engine.advance(untilUs);
    out.ticketActions.push(...step.ticketActions);
    out.decisionChanges.push(...step.decisionChanges);
    out.silences.push(...step.silences);
  }
  return out;
}

function isInTimeOrder(events: readonly ClassifiedEvent[]): boolean {
  for (let i = 1; i < events.length; i++) if (events[i - 1].timeUs > events[i].timeUs) return false;
  return true;
}

/**
 * The heartbeats of each step of stepEngine, step after step (a counting sort, in the order they
 * came within a step: the engine orders a step's heartbeats itself): step k's are
 * ordered[starts[k] .. starts[k + 1]). A step takes those up to its end and after the step
 * before's; those after untilUs are left out. Instead of sorting a batch's heartbeats by time,
 * about ten per syslog line (issue 13).
 */
function beatsByStep(
  beats: readonly Heartbeat[],
  firstBoundary: number,
  steps: number,
  untilUs: number
): { ordered: Heartbeat[]; starts: Int32Array } {
  const stepOf = (timeUs: number) =>
    timeUs <= firstBoundary ? 0 : Math.ceil((timeUs - firstBoundary) / ENGINE_STEP_US);
  const starts = new Int32Array(steps + 1);
  for (const beat of beats) if (beat.timeUs <= untilUs) starts[stepOf(beat.timeUs) + 1]++;
  for (let k = 0; k < steps; k++) starts[k + 1] += starts[k];
  const ordered = new Array<Heartbeat>(starts[steps]);
  const next = starts.slice(0, steps);
  for (const beat of beats) if (beat.timeUs <= untilUs) ordered[next[stepOf(beat.timeUs)]++] = beat;
  return { ordered, starts };
}

function silencePoint(s: SilenceChange): SeriesPoint {
  const S = SILENCE_SERIES;
  return {
    measurement: S.measurement,
    tags: { [S.tags.site]: s.site, [S.tags.host]: s.host, [S.tags.deviceKind]: s.deviceKind, [S.tags.state]: s.state },
    fields: {
      [S.fields.rootCauseHost]: s.rootCauseHost ?? '',
      [S.fields.cadenceS]: s.cadenceUs / 1e6,
    },
    intFields: { [S.fields.silentSinceMs]: Math.floor(s.silentSinceUs / 1000) },
    timeUs: s.state === 'recovered' && s.recoveredAtUs !== undefined ? s.recoveredAtUs : s.silentSinceUs,
  };
}
