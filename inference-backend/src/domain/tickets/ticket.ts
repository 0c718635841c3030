import type { EventClass, Explanation, SimilarTicket, Ticket, TicketRouting } from '@nocai/contract';
import type { IncidentSummary } from '../incidents/types';

/** What an MTTR model is asked about a ticket; the caller's predictor decides how to answer. */
export interface MttrFeatures {
  eventClass: EventClass;
  department: Ticket['department'];
  priority: Ticket['priority'];
  siteKind: string;
  deviceKind: string;
  relatedAlertCount: number;
  openedAtMs: number;
}

export interface MttrEstimate {
  p50Seconds: number;
  p90Seconds: number;
  /** Why the two quantiles are not independent estimates (equal, or derived one from the other). */
  note?: string;
  /** The model that estimated it (`mttr@3`, or a baseline's name), named in the ticket's `modelVersion`. */
  modelVersion?: string;
  /** The inputs that moved the P50 most, strongest first (a model's estimate; baselines give none). */
  explanation?: Explanation[];
}

export interface TicketBuildDeps {
  predictMttr: (features: MttrFeatures) => MttrEstimate;
  /** Past tickets like this one, most similar first; none when the caller has no index. */
  similarTickets?: (incident: IncidentSummary) => SimilarTicket[];
  nowMs: number;
}

const usToMs = (us: number): number => Math.floor(us / 1000);

/**
 * Opened by the incident engine (from log lines or a silence), not typed or sent by Grafana: its
 * MTTR is estimated `fromIncident`, and its training row carries its id as `incident_id`.
 */
export function isIncidentTicket(ticket: Pick<Ticket, 'source'>): boolean {
  return ticket.source === 'logs' || ticket.source === 'silence';
}

/**
 * The contract `Ticket` for an incident as the engine summarised it. `openedAtMs` is when the
 * incident started (its first alert or silence), not when the ticket was written, so that MTTR
 * measures the outage and not the false-alarm hold. `routing` is the ticket's class, department and
 * priority when they are not the incident's (a person corrected them): the MTTR is estimated for it.
 */
export function ticketFromIncident(
  incident: IncidentSummary,
  deps: TicketBuildDeps,
  routing: TicketRouting = incident
): Ticket {
  const openedAtMs = usToMs(incident.startedAtUs);
  const mttr = deps.predictMttr({
    eventClass: routing.eventClass,
    department: routing.department,
    priority: routing.priority,
    siteKind: incident.siteKind,
    deviceKind: incident.deviceKind,
    relatedAlertCount: incident.relatedAlertCount,
    openedAtMs,
  });
  const resolvedAtMs = incident.resolvedAtUs === undefined ? undefined : usToMs(incident.resolvedAtUs);
  return {
    id: incident.id,
    openedAtMs,
    updatedAtMs: deps.nowMs,
    resolvedAtMs,
    status: resolvedAtMs !== undefined ? 'resolved' : incident.needsReview ? 'needs_review' : 'open',
    source: incident.source,
    title: incident.title,
    eventClass: routing.eventClass,
    department: routing.department,
    priority: routing.priority,
    confidence: incident.confidence,
    needsReview: incident.needsReview,
    site: incident.site,
    siteKind: incident.siteKind,
    host: incident.host,
    deviceKind: incident.deviceKind,
    ...mttrFields(mttr),
    rootCause:
      incident.rootCause === undefined
        ? undefined
        : {
            host: incident.rootCause.host,
            deviceKind: incident.rootCause.deviceKind,
            silentSinceMs:
              incident.rootCause.silentSinceUs === undefined ? undefined : usToMs(incident.rootCause.silentSinceUs),
            description: incident.rootCause.description,
            dependants: [...incident.rootCause.dependants],
          },
    relatedAlertCount: incident.relatedAlertCount,
    explanation: incident.explanation.map((e) => ({ ...e })),
    similarTickets: deps.similarTickets?.(incident) ?? [],
    // Which models decided: the incident's, then the time-to-resolve estimate's (as complaints name them),
    // so production accuracy judges the MTTR model on incident tickets too.
    modelVersion: mttr.modelVersion ? `${incident.modelVersion}|${mttr.modelVersion}` : incident.modelVersion,
    hosts: [...incident.hosts],
    ...(incident.recommendation ? { recommendation: incident.recommendation } : {}),
    ...(incident.problem ? { problem: incident.problem } : {}),
  };
}

/**
 * The MTTR fields of a ticket from an estimate. The P90 is never below the P50 (that reads as a
 * bug); when the two end up equal the ticket says why, so one number for both is never unexplained.
 * The estimate's factors become `mttrFactors`; an estimate without any leaves the field absent.
 */
export function mttrFields(
  estimate: MttrEstimate
): Pick<Ticket, 'mttrP50Seconds' | 'mttrP90Seconds' | 'mttrNote' | 'mttrFactors'> {
  const p50 = Math.max(0, Math.round(estimate.p50Seconds));
  const p90 = Math.max(p50, Math.round(estimate.p90Seconds));
  const note =
    estimate.note ??
    (p90 === p50
      ? estimate.p90Seconds < estimate.p50Seconds
        ? 'the P90 estimate fell below the P50 and is shown equal to it'
        : 'the estimate has no spread: P50 and P90 are the same'
      : undefined);
  const factors = estimate.explanation ?? [];
  return {
    mttrP50Seconds: p50,
    mttrP90Seconds: p90,
    ...(note === undefined ? {} : { mttrNote: note }),
    ...(factors.length === 0 ? {} : { mttrFactors: factors.map((factor) => ({ ...factor })) }),
  };
}

/**
 * A ticket with its time to resolve estimated again (its routing was corrected): the estimate's
 * fields replace the old ones, a note or factors the new estimate has none of included, and
 * `modelVersion` names the model that estimated after the routing models, as a new ticket would.
 */
export function withMttrEstimate(ticket: Ticket, estimate: MttrEstimate): Ticket {
  const rest: Ticket = { ...ticket };
  delete rest.mttrNote;
  delete rest.mttrFactors;
  const bar = ticket.modelVersion.lastIndexOf('|');
  const routingModels = bar < 0 ? ticket.modelVersion : ticket.modelVersion.slice(0, bar);
  return {
    ...rest,
    ...mttrFields(estimate),
    modelVersion: estimate.modelVersion ? `${routingModels}|${estimate.modelVersion}` : routingModels,
  };
}
