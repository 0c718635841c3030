import { createHash, randomBytes } from 'node:crypto';
import {
  isDoneStatus,
  PRODUCT_RULE_LABEL,
  TICKET_STATUSES,
  type ComplaintRequest,
  type Department,
  type Explanation,
  type FeedbackRequest,
  type GrafanaWebhook,
  type Inventory,
  type PlaceTag,
  type RelatedTicket,
  type Ticket,
  type TicketDetailResponse,
  type TicketHistoryEntry,
  type TicketsPage,
  type TicketsQuery,
} from '@nocai/contract';
import { recordThenSave, type AuditEntryInput, type AuditSink } from '../domain/audit/audit';
import { configuredDepartmentFor, configuredDepartmentReason } from '../domain/incidents/policy';
import type { SimilarTicketIndex } from '../domain/recommendations/similarTickets';
import type { Clock } from '../domain/series';
import {
  addComment,
  applyFeedback,
  applyWorkflowChange,
  checkVersion,
  GRAFANA_ACTOR,
  isIncidentTicket,
  isSameRouting,
  keptRouting,
  mttrFields,
  nextState,
  resolveBySystem,
  placesNamedIn,
  TicketError,
  withMttrEstimate,
  type WorkflowChange,
} from '../domain/tickets';
import type { EventsRepository } from '../adapters/influx/eventsRepository';
import { feedbackPoint, type TicketsRepository, type TicketWriteGuard } from '../adapters/influx/ticketsRepository';
import type { MttrInput, MttrPrediction, MttrPredictor, TextRouter, TextRouting } from './ports';

/** `*` (If-Match: *): the caller takes whatever version is current. */
export type ExpectedVersion = number | '*';

/** Related alerts listed with a ticket, at most. */
const RELATED_ALERTS_LIMIT = 100;
/** Related tickets listed with a ticket, at most. */
const RELATED_TICKETS_LIMIT = 20;
/** The statuses of a ticket still being worked on: a complaint is linked only to such a ticket. */
const ACTIVE_STATUSES = TICKET_STATUSES.filter((status) => !isDoneStatus(status));
/** Open tickets of a complaint's devices looked at for its parent: the most urgent ones, among them complaints. */
const PARENT_CANDIDATES = 50;
/** A typed or Grafana ticket has no incident: alerts of its devices this long before it count as related. */
const RELATED_LOOKBACK_MS = 15 * 60_000;
/** Known sites or hosts named in a refusal, at most. */
const KNOWN_NAMES_SHOWN = 20;
/** The role audited for a person's change when the caller does not say (the HTTP API passes the caller's). */
const PERSON_ROLE = 'operator';
/** Where a change came from when the caller does not say. */
const DEFAULT_FROM = 'api';
/**
 * Times a correction is estimated again when the ticket changed while its time to resolve was being
 * estimated (only possible with If-Match: *; a version checked refuses the change instead).
 */
const CORRECTION_ATTEMPTS = 3;

export interface TicketServiceOptions {
  /** Below this routing confidence a ticket waits in needs_review instead of being routed. */
  reviewThreshold: number;
}

/**
 * The ticket use cases behind the HTTP API: list and read tickets, take feedback, turn a typed
 * complaint or a Grafana alert into a classified, routed ticket with an MTTR estimate and
 * similar past tickets.
 */
export class TicketService {
  constructor(
    private readonly deps: {
      tickets: TicketsRepository;
      events: Pick<EventsRepository, 'related'>;
      router: TextRouter;
      mttr: MttrPredictor;
      similar: () => SimilarTicketIndex | undefined;
      inventory?: Inventory;
      clock: Clock;
      options: TicketServiceOptions;
      /**
       * NOCAI_POWER_DEPARTMENT_BY_SITE_KIND: a power complaint or alert at a site of a kind it names goes to its
       * department, as an incident there does, whatever department the models said.
       */
      powerDepartmentBySiteKind?: Partial<Record<string, Department>>;
      /** Every change a person or Grafana makes is recorded here, once it is stored. */
      audit?: AuditSink;
      /**
       * Sharded replicas: reads the tickets the other replicas stored since the last poll. Called
       * before a Grafana alert is taken for new when this replica does not know its ticket: the
       * resolution of an alert whose firing another replica took in moments ago finds its ticket.
       */
      refresh?: () => Promise<unknown>;
      /**
       * The MTTR model failed to estimate a corrected ticket again: the correction is saved with the
       * ticket's previous estimate, and this says why (the service logs and counts it).
       */
      onMttrFailure?: (failure: { ticketId: string; reason: string }) => void;
    }
  ) {}

  list(query: TicketsQuery): Promise<TicketsPage> {
    return this.deps.tickets.list(query, this.deps.clock.nowMs());
  }

  /**
   * The departments the tickets carry and those the serving department model can route to: the list filters and
   * a correction accept them besides the six (contract `departmentValue`).
   */
  async departments(): Promise<Set<string>> {
    const departments = new Set(await this.deps.tickets.departments());
    for (const department of this.deps.router.departments?.() ?? []) departments.add(department);
    return departments;
  }

  /** Every site or host a ticket names, with the inventory's sites or devices when there is one. */
  async places(tag: PlaceTag): Promise<Set<string>> {
    const values = await this.deps.tickets.places(tag);
    const inventory = this.deps.inventory;
    if (inventory) {
      for (const name of tag === 'site' ? inventory.sites.map((s) => s.id) : inventory.devices.map((d) => d.host)) {
        values.add(name);
      }
    }
    return values;
  }

  async get(id: string): Promise<Ticket> {
    const ticket = await this.deps.tickets.findById(id);
    if (!ticket) throw new TicketError('not_found', `no ticket ${id}`);
    return ticket;
  }

  /**
   * A ticket and its related alerts: the `aiops_events` alerts of its devices (the incident's
   * hosts, or the reported device) from when it opened until it was resolved, oldest first.
   */
  async detail(id: string): Promise<TicketDetailResponse> {
    const ticket = await this.get(id);
    const hosts = ticket.hosts ?? [ticket.host, ticket.rootCause?.host ?? ''].filter(Boolean);
    const fromMs = ticket.openedAtMs - (isIncidentTicket(ticket) ? 0 : RELATED_LOOKBACK_MS);
    const toMs = ticket.resolvedAtMs ?? (isDoneStatus(ticket.status) ? ticket.updatedAtMs : this.deps.clock.nowMs());
    const relatedAlerts = await this.deps.events.related(
      hosts,
      Math.max(0, fromMs),
      Math.max(fromMs, toMs),
      RELATED_ALERTS_LIMIT
    );
    const parent = ticket.parentId === undefined ? undefined : await this.deps.tickets.findById(ticket.parentId);
    return {
      ticket,
      relatedAlerts,
      relatedTickets: await this.relatedTickets(ticket, hosts, fromMs, toMs),
      ...(parent ? { parent: inBrief(parent) } : {}),
    };
  }

  /**
   * The other tickets of `hosts` alive between `fromMs` and `toMs` (opened before it, resolved after
   * it or not yet), most urgent first, in brief: the list's own filter, so its order and rules.
   */
  private async relatedTickets(
    ticket: Ticket,
    hosts: string[],
    fromMs: number,
    toMs: number
  ): Promise<RelatedTicket[]> {
    if (hosts.length === 0) return [];
    const page = await this.deps.tickets.list(
      {
        host: hosts,
        from: Math.max(0, fromMs),
        to: Math.max(fromMs, toMs),
        limit: RELATED_TICKETS_LIMIT + 1,
        offset: 0,
      },
      this.deps.clock.nowMs()
    );
    return page.tickets
      .filter((other) => other.id !== ticket.id)
      .slice(0, RELATED_TICKETS_LIMIT)
      .map(inBrief);
  }

  /**
   * The open ticket of an incident or alert on one of `hosts` (its own host or a device of its incident), the most
   * urgent and then the oldest: the fault a complaint about those devices is about. Another complaint is no parent:
   * two people reporting one fault are both children of it.
   */
  private async openIncidentOf(hosts: string[]): Promise<Ticket | undefined> {
    if (hosts.length === 0) return undefined;
    const page = await this.deps.tickets.list(
      { host: hosts, status: ACTIVE_STATUSES, limit: PARENT_CANDIDATES, offset: 0 },
      this.deps.clock.nowMs()
    );
    return page.tickets.find((ticket) => ticket.source !== 'complaint');
  }

  async history(id: string): Promise<TicketHistoryEntry[]> {
    return this.deps.tickets.history(await this.get(id));
  }

  /**
   * A person's workflow change (status, assignee, correction, with an optional comment), made
   * against the version they read: another version is a conflict, none at all is refused. A
   * correction of class, department or priority estimates the time to resolve again for the
   * corrected routing: those are inputs of the MTTR model. A model that fails to estimate does not
   * lose the correction: it is saved with the previous estimate (`onMttrFailure` says why).
   */
  async update(
    id: string,
    change: WorkflowChange,
    expected: ExpectedVersion | undefined,
    user: string,
    from = DEFAULT_FROM,
    role = PERSON_ROLE
  ): Promise<Ticket> {
    if (expected === undefined) {
      throw new TicketError(
        'version_required',
        `a change to ticket ${id} must name the version it was made against: send If-Match: "<version>" or {"version": <version>} (GET /api/tickets/${id} gives it)`
      );
    }
    // The predictor is async and a change is applied by a sync mutator: estimate for the routing
    // the change makes of the ticket as read, and write only if that is the routing written.
    let estimated = await this.correctionEstimate(await this.deps.tickets.findById(id), change);
    for (let attempt = 1; ; attempt++) {
      const unestimated: { next?: Ticket } = {};
      const updated = await this.deps.tickets.change(
        id,
        (ticket) => {
          unestimated.next = undefined;
          // A closed ticket or a move the workflow refuses is said first: reloading would not help.
          const next = applyWorkflowChange(ticket, change, this.actor(user));
          checkVersion(ticket, expected === '*' ? undefined : expected);
          if (isSameRouting(next, ticket)) return next;
          const input = mttrInputOf(next);
          if (estimated && mttrKey(estimated.input) === mttrKey(input)) {
            // No estimate (the model failed): the correction is the person's and is kept, with the previous estimate.
            return estimated.estimate ? withMttrEstimate(next, estimated.estimate) : next;
          }
          // The ticket changed since it was read (its routing, its opening): nothing is written yet.
          unestimated.next = next;
          return ticket;
        },
        undefined,
        this.recordedFirst('ticket.update', { actor: user, role, from })
      );
      if (unestimated.next === undefined) return updated;
      if (attempt >= CORRECTION_ATTEMPTS) {
        throw new TicketError(
          'stale_version',
          `ticket ${id} kept changing while its time to resolve was estimated for the correction; reload it and try again`,
          updated.version ?? 0
        );
      }
      const input = mttrInputOf(unestimated.next);
      estimated = { input, estimate: await this.estimateCorrected(id, input) };
    }
  }

  /**
   * The MTTR estimate for the routing `change` makes of `ticket`; none when it corrects nothing. An
   * estimate the model failed to make is undefined for `input`: the ticket keeps its previous one.
   */
  private async correctionEstimate(
    ticket: Ticket | undefined,
    change: WorkflowChange
  ): Promise<{ input: MttrInput; estimate: MttrPrediction | undefined } | undefined> {
    if (!ticket) return undefined;
    const routing = {
      eventClass: change.eventClass ?? ticket.eventClass,
      department: change.department ?? ticket.department,
      priority: change.priority ?? ticket.priority,
    };
    if (isSameRouting(routing, ticket)) return undefined;
    const input = mttrInputOf({ ...ticket, ...routing });
    return { input, estimate: await this.estimateCorrected(ticket.id, input) };
  }

  /** The MTTR model's estimate for a corrected ticket, or undefined (reported) when the model fails. */
  private async estimateCorrected(ticketId: string, input: MttrInput): Promise<MttrPrediction | undefined> {
    try {
      return await this.deps.mttr.predict(input);
    } catch (error) {
      this.deps.onMttrFailure?.({ ticketId, reason: error instanceof Error ? error.message : String(error) });
      return undefined;
    }
  }

  async comment(id: string, text: string, user: string, from = DEFAULT_FROM, role = PERSON_ROLE): Promise<Ticket> {
    return this.deps.tickets.change(
      id,
      (ticket) => addComment(ticket, text, this.actor(user)),
      undefined,
      this.recordedFirst('ticket.comment', { actor: user, role, from })
    );
  }

  /** A verdict is stored twice: in aiops_feedback (a label) and as the ticket's new state. */
  async feedback(
    id: string,
    request: FeedbackRequest,
    user: string,
    from = DEFAULT_FROM,
    role = PERSON_ROLE
  ): Promise<Ticket> {
    return this.deps.tickets.change(
      id,
      (ticket) => applyFeedback(ticket, request, this.actor(user)),
      (next, timeUs) => [feedbackPoint(next, user, timeUs)],
      this.recordedFirst('ticket.feedback', { actor: user, role, from })
    );
  }

  /**
   * `user` is who sent it (the API caller, with its `role`); without one, the reporter it names.
   * The ticket's opening is recorded under that sender, as the audit entry is; a reporter named
   * beside another sender (an ITSM token filing for one of its users) is kept in the summary.
   */
  async fromComplaint(
    request: ComplaintRequest,
    user?: string,
    from = DEFAULT_FROM,
    role = PERSON_ROLE
  ): Promise<Ticket> {
    const nowMs = this.deps.clock.nowMs();
    const { named, hosts, ...place } = this.complaintPlace(request);
    const parent = await this.openIncidentOf(hosts ?? (place.host ? [place.host] : []));
    const ticket = await this.build({
      // Random, not derived from the text: two people may type the same words in the same millisecond.
      id: `CMP-${randomBytes(8).toString('hex')}`,
      source: 'complaint',
      // Typed by a person: no alert is grouped into it (its device's alerts are listed as related).
      relatedAlertCount: 0,
      title: firstSentence(request.text),
      text: request.text,
      openedAtMs: nowMs,
      ...place,
    });
    const actor = user ?? request.reporter ?? 'unknown';
    const reporter = request.reporter?.trim();
    const said = [
      reporter && reporter !== actor ? `opened from a complaint reported by ${reporter}` : 'opened from a complaint',
    ];
    if (named) said.push(named);
    if (parent) said.push(`linked to ticket ${parent.id}, open for ${parent.host || 'its devices'}`);
    const [saved] = await this.deps.tickets.save([
      nextState(
        ticket,
        { ...(hosts ? { hosts } : {}), ...(parent ? { parentId: parent.id } : {}) },
        { kind: 'opened', summary: said.join('; ') },
        this.actor(actor)
      ),
    ]);
    const sender = { actor, role, from };
    await this.audited('ticket.complaint', sender, undefined, saved);
    return saved;
  }

  /**
   * Firing alerts open (or refresh) a ticket; resolved ones resolve it. Keyed by the alert
   * fingerprint. The whole batch is looked up at once and written in one request; alerts that
   * read the same are routed once.
   */
  async fromGrafana(
    payload: GrafanaWebhook,
    from = DEFAULT_FROM
  ): Promise<{ tickets: Ticket[]; ignored: number; unmatched: number }> {
    const nowMs = this.deps.clock.nowMs();
    // The product's own rules (P1 ticket, silence, anomaly, accuracy, drift) are about tickets and
    // models already here: taking them in would loop an alert back as a ticket about itself.
    const intake = payload.alerts.filter((alert) => alert.labels[PRODUCT_RULE_LABEL] === undefined);
    const keyed = intake.map((alert) => ({ alert, id: grafanaTicketId(alert) }));
    let existing = this.deps.tickets.findMany(keyed.map((k) => k.id));
    if (this.deps.refresh && keyed.some((k) => !existing.has(k.id))) {
      await this.deps.refresh();
      existing = this.deps.tickets.findMany(keyed.map((k) => k.id));
    }
    const routed = new Map<string, Promise<Ticket>>();
    const out = new Map<string, Ticket>();
    // Resolved alerts with no ticket to resolve: said in the answer rather than dropped without a word.
    let unmatched = 0;
    for (const { alert, id } of keyed) {
      const labels = alert.labels;
      const known = out.get(id) ?? existing.get(id);
      if (alert.status === 'resolved') {
        if (known) {
          // A sender's clock may be off: a ticket is not resolved before it opened, nor after now.
          const endsMs = alert.endsAt ? Date.parse(alert.endsAt) : NaN;
          const resolvedAtMs = Number.isFinite(endsMs) && endsMs > 0 ? clamp(endsMs, known.openedAtMs, nowMs) : nowMs;
          const actor = { by: GRAFANA_ACTOR, atMs: Math.max(nowMs, known.updatedAtMs + 1) };
          const resolved = resolveBySystem(known, 'resolved', actor, resolvedAtMs);
          if (resolved !== known) out.set(id, resolved);
        } else unmatched++;
        continue;
      }
      // Firing again: an active ticket is already there; a resolved one opens again below, but only
      // for a new firing. Grafana repeats a firing alert (its repeat interval) with the startsAt it
      // began at: a ticket someone closed during that firing stays closed, as they decided.
      if (known && !isDoneStatus(known.status)) continue;
      const startedMs = Date.parse(alert.startsAt);
      if (known && Number.isFinite(startedMs) && startedMs <= (known.resolvedAtMs ?? known.updatedAtMs)) continue;
      const summary = alert.annotations.summary ?? alert.annotations.description ?? labels.alertname ?? 'Grafana alert';
      const text = [labels.alertname, alert.annotations.summary, alert.annotations.description]
        .filter(Boolean)
        .join('. ');
      const named = grafanaAlertPlace(alert);
      const place = this.locate(named.site, named.host);
      // A start in the future (a sender's clock ahead, a typo'd year) opens it now: a ticket does not open later than it
      // is taken in, and its alerts are looked up from its opening.
      const openedAtMs = Number.isFinite(startedMs) && startedMs > 0 ? Math.min(startedMs, nowMs) : nowMs;
      // A rule firing for 1,000 instances sends 1,000 alerts that read alike: route each text once.
      const sameKey = JSON.stringify([text, labels.severity, place.site, place.siteKind, place.deviceKind]);
      let template = routed.get(sameKey);
      if (!template) {
        template = this.build({
          id,
          source: 'grafana_alert',
          // The alert that opened it.
          relatedAlertCount: 1,
          title: summary,
          text,
          severity: labels.severity,
          openedAtMs,
          ...place,
        });
        routed.set(sameKey, template);
      }
      const ticket = await template;
      const fresh: Ticket = {
        ...ticket,
        id,
        title: summary,
        host: place.host,
        openedAtMs,
        version: known?.version ?? 0,
      };
      out.set(
        id,
        known
          ? await this.reopened(known, fresh, nowMs)
          : nextState(
              fresh,
              {},
              { kind: 'opened', summary: 'opened from a Grafana alert' },
              { by: GRAFANA_ACTOR, atMs: nowMs }
            )
      );
    }
    const saved = await this.deps.tickets.save([...out.values()]);
    // One entry per ticket opened, reopened or resolved; written together (one fsync) by the trail.
    const grafana = { actor: GRAFANA_ACTOR, role: 'system', from };
    await Promise.all(
      saved.map((ticket) => this.audited('ticket.grafana_alert', grafana, existing.get(ticket.id), ticket))
    );
    return { tickets: saved, ignored: payload.alerts.length - intake.length, unmatched };
  }

  /**
   * A done ticket whose alert fires again, rebuilt from the models (`fresh`), keeping what people
   * decided on it: comments, the assignee, the verdict and any routing they corrected (as the
   * incident engine keeps them, `keptRouting`), whose time to resolve is then estimated again.
   */
  private async reopened(known: Ticket, fresh: Ticket, nowMs: number): Promise<Ticket> {
    const { predicted, corrected, ...routing } = keptRouting(known, fresh);
    let rebuilt: Ticket = { ...fresh, ...routing, ...(predicted ? { predicted, corrected } : {}) };
    if (corrected?.includes('department')) {
      rebuilt = { ...rebuilt, explanation: this.withoutConfiguredReason(fresh) };
    }
    if (!isSameRouting(routing, fresh)) {
      rebuilt = withMttrEstimate(rebuilt, await this.deps.mttr.predict(mttrInputOf(rebuilt)));
    }
    const kept: Partial<Ticket> = { comments: known.comments };
    const said: string[] = [];
    if (known.assignee !== undefined) {
      kept.assignee = known.assignee;
      said.push(`assignee ${known.assignee}`);
    }
    if (known.feedback !== undefined) {
      kept.feedback = known.feedback;
      said.push(`verdict ${known.feedback.verdict}`);
    }
    for (const field of corrected ?? []) said.push(`${field} ${rebuilt[field]}`);
    // People reviewed its routing (corrected it, or judged the alert real): a low confidence of the
    // models does not send it back to the review queue. A false-alarm verdict is judged again.
    const verdict = known.feedback?.verdict;
    if (rebuilt.needsReview && (predicted !== undefined || verdict === 'valid' || verdict === 'avoided')) {
      rebuilt = { ...rebuilt, status: 'open', needsReview: false };
      said.push('reviewed routing');
    }
    const keptSaid = said.length ? `; kept ${said.join(', ')}` : '';
    const summary = `opened again: the alert fires (was ${known.status})${keptSaid}`;
    const actor = { by: GRAFANA_ACTOR, atMs: Math.max(nowMs, known.updatedAtMs + 1) };
    return nextState(rebuilt, kept, { kind: 'opened', summary }, actor);
  }

  /**
   * `fresh`'s explanation less the entry saying NOCAI_POWER_DEPARTMENT_BY_SITE_KIND set its department: for a ticket
   * whose department a person corrected, whose department the setting no longer decides.
   */
  private withoutConfiguredReason(fresh: Ticket): Explanation[] {
    const configured = configuredDepartmentFor(
      fresh.eventClass,
      fresh.deviceKind,
      fresh.siteKind,
      this.deps.powerDepartmentBySiteKind ?? {}
    );
    if (configured === undefined) return fresh.explanation;
    const reason = configuredDepartmentReason(fresh.siteKind, configured);
    return fresh.explanation.filter((entry) => entry.feature !== reason);
  }

  private async build(input: {
    id: string;
    source: Ticket['source'];
    relatedAlertCount: number;
    title: string;
    text: string;
    severity?: string;
    openedAtMs: number;
    site: string;
    siteKind: string;
    host: string;
    deviceKind: string;
    criticality?: number;
  }): Promise<Ticket> {
    const routed = await this.deps.router.route({
      text: input.text,
      site: input.site || undefined,
      siteKind: input.siteKind || undefined,
      deviceKind: input.deviceKind || undefined,
      criticality: input.criticality,
      severity: input.severity,
    });
    const configured = configuredDepartmentFor(
      routed.eventClass,
      input.deviceKind,
      input.siteKind,
      this.deps.powerDepartmentBySiteKind ?? {}
    );
    const routing = configured === undefined ? routed : withConfiguredDepartment(routed, configured, input.siteKind);
    const mttr = await this.deps.mttr.predict({
      eventClass: routing.eventClass,
      department: routing.department,
      priority: routing.priority,
      siteKind: input.siteKind,
      deviceKind: input.deviceKind,
      openedAtMs: input.openedAtMs,
      fromIncident: false,
    });
    const needsReview = routing.confidence < this.deps.options.reviewThreshold;
    return {
      id: input.id,
      openedAtMs: input.openedAtMs,
      updatedAtMs: this.deps.clock.nowMs(),
      status: needsReview ? 'needs_review' : 'open',
      source: input.source,
      title: input.title,
      description: input.text,
      eventClass: routing.eventClass,
      department: routing.department,
      priority: routing.priority,
      confidence: routing.confidence,
      needsReview,
      site: input.site,
      siteKind: input.siteKind,
      host: input.host,
      deviceKind: input.deviceKind,
      ...mttrFields(mttr),
      relatedAlertCount: input.relatedAlertCount,
      explanation: routing.explanation,
      similarTickets:
        this.deps.similar()?.search({
          title: input.title,
          description: input.text,
          eventClass: routing.eventClass,
          deviceKind: input.deviceKind || undefined,
        }) ?? [],
      modelVersion: `${routing.modelVersion}|${mttr.modelVersion}`,
    };
  }

  private actor(user: string) {
    return { by: user, atMs: this.deps.clock.nowMs() };
  }

  /**
   * A person's change of a stored ticket, recorded in the audit trail before it is stored
   * (`recordThenSave`): a trail that cannot take the entry refuses the change, nothing stored. A
   * change the workflow refuses, or no change at all, is never written, so never recorded.
   */
  private recordedFirst(action: string, who: { actor: string; role: string; from: string }): TicketWriteGuard {
    const audit = this.deps.audit;
    return (before, after, write) =>
      audit ? recordThenSave(audit, this.entryOf(action, who, before, after), write) : write();
  }

  private entryOf(
    action: string,
    who: { actor: string; role: string; from: string },
    before: Ticket | undefined,
    after: Ticket
  ): AuditEntryInput {
    return {
      ...who,
      action,
      target: `ticket:${after.id}`,
      ...ticketChange(before, after),
      reason: after.change?.summary,
    };
  }

  /**
   * A stored new ticket in the audit trail: the fields it has (before and after). After the ticket
   * is stored, so a refused one is not recorded; an unchanged ticket is not a change.
   */
  private async audited(
    action: string,
    who: { actor: string; role: string; from: string },
    before: Ticket | undefined,
    after: Ticket
  ): Promise<void> {
    if (!this.deps.audit || before === after) return;
    await this.deps.audit.record(this.entryOf(action, who, before, after));
  }

  /**
   * Where a complaint is: the site and host it gives, or else the devices (or, naming none, the one
   * site) of the inventory its text names, so that a ticket about "hosp-01-mon-07 keeps rebooting"
   * is that monitor's: routed with its kind and site, found by their filters, with its alerts
   * listed as related. Several devices named: the first is the ticket's host and all are its
   * `hosts`. `named` says what was taken from the text, for the ticket's history.
   */
  private complaintPlace(request: ComplaintRequest): ReturnType<TicketService['locate']> & {
    hosts?: string[];
    named?: string;
  } {
    const given = this.locateKnown(request.site, request.host);
    const inventory = this.deps.inventory;
    if (request.host || !inventory) return given;
    const named = placesNamedIn(request.text, inventory);
    const devices = named.devices.filter((device) => !request.site || device.site === request.site);
    if (devices.length > 0) {
      const hosts = devices.map((device) => device.host);
      return {
        ...this.locate(request.site, hosts[0]),
        ...(hosts.length > 1 ? { hosts } : {}),
        named: `${hosts.length > 1 ? 'devices' : 'device'} named in the text: ${listed(hosts)}`,
      };
    }
    if (request.site || named.sites.length !== 1) return given;
    const site = named.sites[0].id;
    return { ...this.locate(site, undefined), named: `site named in the text: ${site}` };
  }

  /**
   * Where a complaint is, from its site and host. With an inventory, a site or host it does not
   * know is refused naming the ones it does (a typo would otherwise make a ticket nobody's
   * filters find, and no root cause); without one there is nothing to check against.
   */
  private locateKnown(site: string | undefined, host: string | undefined) {
    const inventory = this.deps.inventory;
    if (inventory && site && !inventory.sites.some((s) => s.id === site)) {
      throw new TicketError(
        'unknown_place',
        `unknown site ${site}: known sites are ${listed(inventory.sites.map((s) => s.id))}`
      );
    }
    const device = host ? inventory?.devices.find((d) => d.host === host) : undefined;
    if (inventory && host && !device) {
      const candidates = inventory.devices.filter((d) => !site || d.site === site).map((d) => d.host);
      throw new TicketError(
        'unknown_place',
        `unknown host ${host}: known hosts${site ? ` of site ${site}` : ''} are ${listed(candidates)}`
      );
    }
    if (device && site && device.site !== site) {
      throw new TicketError('unknown_place', `host ${host} is at site ${device.site}, not ${site}`);
    }
    return this.locate(site, host);
  }

  private locate(site: string | undefined, host: string | undefined) {
    const inventory = this.deps.inventory;
    const device = host ? inventory?.devices.find((d) => d.host === host) : undefined;
    const siteId = device?.site ?? site ?? '';
    const siteInfo = inventory?.sites.find((s) => s.id === siteId);
    return {
      site: siteId,
      siteKind: siteInfo?.kind ?? '',
      host: host ?? '',
      deviceKind: device?.kind ?? '',
      criticality: siteInfo?.criticality,
    };
  }
}

/**
 * `routed` sent to the `department` NOCAI_POWER_DEPARTMENT_BY_SITE_KIND gives its class at a site of `siteKind`. Its
 * explanation says so first, then why its class is what it is (the class is what made the setting apply), not the
 * words that pointed the department model elsewhere. The setting's entry weighs 1, as a rule's first word does. Its
 * confidence, which decides review, is the class model's: the department model's doubt no longer decides anything.
 */
function withConfiguredDepartment(routed: TextRouting, department: Department, siteKind: string): TextRouting {
  const reason = { feature: configuredDepartmentReason(siteKind, department), weight: 1 };
  const { classExplanation, classConfidence, ...routing } = routed;
  return {
    ...routing,
    department,
    confidence: classConfidence ?? routed.confidence,
    explanation: [reason, ...(classExplanation ?? routed.explanation)],
  };
}

/** Left out of audit entries: bookkeeping, model output no change touches, comments (new ones are listed). */
const UNAUDITED_FIELDS: ReadonlySet<string> = new Set([
  'updatedAtMs',
  'change',
  'comments',
  'explanation',
  'mttrFactors',
  'similarTickets',
]);

interface TicketChangeRecord {
  before: Record<string, unknown> | null;
  after: Record<string, unknown>;
}

/** The fields `after` changed, as they were and as they are (a new ticket: none before, all after). */
function ticketChange(before: Ticket | undefined, after: Ticket): TicketChangeRecord {
  const was = (before ?? {}) as Record<string, unknown>;
  const now = after as unknown as Record<string, unknown>;
  const changedBefore: Record<string, unknown> = {};
  const changedAfter: Record<string, unknown> = {};
  for (const key of new Set([...Object.keys(was), ...Object.keys(now)])) {
    if (UNAUDITED_FIELDS.has(key) || (before && JSON.stringify(was[key]) === JSON.stringify(now[key]))) continue;
    if (before) changedBefore[key] = was[key] ?? null;
    changedAfter[key] = now[key] ?? null;
  }
  const old = new Set((before?.comments ?? []).map((c) => JSON.stringify(c)));
  const added = (after.comments ?? []).filter((c) => !old.has(JSON.stringify(c)));
  if (added.length > 0) changedAfter.comments = added;
  return { before: before ? changedBefore : null, after: changedAfter };
}

/** What the MTTR model is asked about a ticket as it is, as the ticket was first estimated. */
function mttrInputOf(ticket: Ticket): MttrInput {
  return {
    eventClass: ticket.eventClass,
    department: ticket.department,
    priority: ticket.priority,
    siteKind: ticket.siteKind,
    deviceKind: ticket.deviceKind,
    openedAtMs: ticket.openedAtMs,
    fromIncident: isIncidentTicket(ticket),
  };
}

function mttrKey(input: MttrInput): string {
  return JSON.stringify([
    input.eventClass,
    input.department,
    input.priority,
    input.siteKind,
    input.deviceKind,
    input.openedAtMs,
    input.fromIncident,
  ]);
}

function listed(names: readonly string[]): string {
  if (names.length === 0) return 'none';
  const shown = names.slice(0, KNOWN_NAMES_SHOWN).join(', ');
  return names.length > KNOWN_NAMES_SHOWN ? `${shown} and ${names.length - KNOWN_NAMES_SHOWN} more` : shown;
}

function shortHash(text: string, length = 12): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/**
 * `GRA-<fingerprint>` when the fingerprint can be part of a URL path and an id as it is (Grafana's
 * are 16 hex digits), otherwise a hash of it: any sender's fingerprint makes a ticket that
 * `GET /api/tickets/:id` and feedback accept.
 */
export function grafanaTicketId(alert: GrafanaWebhook['alerts'][number]): string {
  const fingerprint = alert.fingerprint;
  if (fingerprint === undefined) return `GRA-${shortHash(JSON.stringify(Object.entries(alert.labels).sort()))}`;
  if (/^[A-Za-z0-9_.:-]{1,64}$/.test(fingerprint)) return `GRA-${fingerprint}`;
  return `GRA-h${shortHash(fingerprint, 16)}`;
}

/**
 * The site and host a Grafana alert names, as its ticket takes them (the host from `host`, `hostname` or `instance`;
 * an `instance` is a scrape target, so its port and scheme are not part of the device: `instance="srv-01:9100"` is
 * host `srv-01`, as Telegraf's `host` tag and the inventory name it).
 */
export function grafanaAlertPlace(alert: GrafanaWebhook['alerts'][number]): {
  site: string | undefined;
  host: string | undefined;
} {
  const labels = alert.labels;
  const instance = labels.instance === undefined ? undefined : instanceHost(labels.instance);
  return { site: labels.site, host: labels.host ?? labels.hostname ?? instance };
}

/**
 * The device of a Prometheus-style `instance` label: `host:port`, `[IPv6]:port` or a probed URL
 * (`https://host:8443/health`) name the host alone; anything else (a bare name, an IPv6 address
 * without brackets) is taken as it is.
 */
export function instanceHost(instance: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(instance)) {
    try {
      const hostname = new URL(instance).hostname;
      if (hostname) return hostname.replace(/^\[(.*)\]$/, '$1');
    } catch {
      return instance;
    }
  }
  const bracketed = /^\[([^\]]+)\]:\d{1,5}$/.exec(instance);
  if (bracketed) return bracketed[1];
  const withPort = /^([^:]+):\d{1,5}$/.exec(instance);
  return withPort ? withPort[1] : instance;
}

/** A ticket in brief, as a ticket's detail lists the others of its devices and its parent. */
function inBrief(ticket: Ticket): RelatedTicket {
  return {
    id: ticket.id,
    title: ticket.title,
    status: ticket.status,
    source: ticket.source,
    eventClass: ticket.eventClass,
    department: ticket.department,
    priority: ticket.priority,
    openedAtMs: ticket.openedAtMs,
    ...(ticket.resolvedAtMs !== undefined ? { resolvedAtMs: ticket.resolvedAtMs } : {}),
    host: ticket.host,
    ...(ticket.parentId !== undefined ? { parentId: ticket.parentId } : {}),
  };
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/**
 * A complaint's title: the first sentence of its first line. An ITSM form sends a subject line, a blank line and
 * the body; the title is one line in the panel's table, whatever the text's line breaks.
 */
function firstSentence(text: string): string {
  const firstLine = text
    .trim()
    .split(/\r?\n|\r/)[0]
    .trim();
  const sentence = firstLine.split(/(?<=[.!?])\s/)[0] ?? firstLine;
  return sentence.length > 120 ? `${sentence.slice(0, 117)}…` : sentence;
}
