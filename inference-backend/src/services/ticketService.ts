import { createHash, randomBytes } from 'node:crypto';
import {
  PRODUCT_RULE_LABEL,
  type ComplaintRequest,
  type FeedbackRequest,
  type GrafanaWebhook,
  type Inventory,
  type Ticket,
  type TicketsPage,
  type TicketsQuery,
} from '@nocai/contract';
import type { SimilarTicketIndex } from '../domain/recommendations/similarTickets';
import type { Clock } from '../domain/series';
import type { TicketsRepository } from '../adapters/influx/ticketsRepository';
import { NotFoundError } from '../adapters/http/errors';
import type { MttrPredictor, TextRouter } from './ports';

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
      router: TextRouter;
      mttr: MttrPredictor;
      similar: () => SimilarTicketIndex | undefined;
      inventory?: Inventory;
      clock: Clock;
      options: TicketServiceOptions;
    }
  ) {}

  list(query: TicketsQuery): Promise<TicketsPage> {
    return this.deps.tickets.list(query, this.deps.clock.nowMs());
  }

  async get(id: string): Promise<Ticket> {
    const ticket = await this.deps.tickets.findById(id);
    if (!ticket) throw new NotFoundError(`no ticket ${id}`);
    return ticket;
  }

  async feedback(id: string, request: FeedbackRequest, user: string): Promise<Ticket> {
    const ticket = await this.get(id);
    return this.deps.tickets.recordFeedback(ticket, request.verdict, request.comment, user, this.deps.clock.nowMs());
  }

  async fromComplaint(request: ComplaintRequest): Promise<Ticket> {
    const nowMs = this.deps.clock.nowMs();
    const place = this.locate(request.site, request.host);
    const ticket = await this.build({
      // Random, not derived from the text: two people may type the same words in the same millisecond.
      id: `CMP-${randomBytes(8).toString('hex')}`,
      source: 'complaint',
      title: firstSentence(request.text),
      text: request.text,
      openedAtMs: nowMs,
      ...place,
    });
    const [saved] = await this.deps.tickets.save([ticket]);
    return saved;
  }

  /**
   * Firing alerts open (or refresh) a ticket; resolved ones resolve it. Keyed by the alert
   * fingerprint. The whole batch is looked up at once and written in one request; alerts that
   * read the same are routed once.
   */
  async fromGrafana(payload: GrafanaWebhook): Promise<{ tickets: Ticket[]; ignored: number }> {
    const nowMs = this.deps.clock.nowMs();
    // The product's own rules (P1 ticket, silence, anomaly, accuracy, drift) are about tickets and
    // models already here: taking them in would loop an alert back as a ticket about itself.
    const intake = payload.alerts.filter((alert) => alert.labels[PRODUCT_RULE_LABEL] === undefined);
    const keyed = intake.map((alert) => ({ alert, id: grafanaTicketId(alert) }));
    const existing = this.deps.tickets.findMany(keyed.map((k) => k.id));
    const routed = new Map<string, Promise<Ticket>>();
    const out = new Map<string, Ticket>();
    for (const { alert, id } of keyed) {
      const labels = alert.labels;
      const known = out.get(id) ?? existing.get(id);
      if (alert.status === 'resolved') {
        if (known && known.status !== 'resolved') {
          const endsMs = alert.endsAt ? Date.parse(alert.endsAt) : NaN;
          const resolvedAtMs = Number.isFinite(endsMs) && endsMs > 0 ? endsMs : nowMs;
          out.set(id, { ...known, status: 'resolved', resolvedAtMs, updatedAtMs: Math.max(nowMs, known.updatedAtMs + 1) });
        }
        continue;
      }
      if (known && known.status !== 'resolved') continue;
      const summary = alert.annotations.summary ?? alert.annotations.description ?? labels.alertname ?? 'Grafana alert';
      const text = [labels.alertname, alert.annotations.summary, alert.annotations.description].filter(Boolean).join('. ');
      const startedMs = Date.parse(alert.startsAt);
      const place = this.locate(labels.site, labels.host ?? labels.hostname ?? labels.instance);
      const openedAtMs = Number.isFinite(startedMs) ? startedMs : nowMs;
      // A rule firing for 1,000 instances sends 1,000 alerts that read alike: route each text once.
      const sameKey = JSON.stringify([text, labels.severity, place.site, place.siteKind, place.deviceKind]);
      let template = routed.get(sameKey);
      if (!template) {
        template = this.build({ id, source: 'grafana_alert', title: summary, text, severity: labels.severity, openedAtMs, ...place });
        routed.set(sameKey, template);
      }
      const ticket = await template;
      out.set(id, { ...ticket, id, title: summary, host: place.host, openedAtMs });
    }
    return { tickets: await this.deps.tickets.save([...out.values()]), ignored: payload.alerts.length - intake.length };
  }

  private async build(input: {
    id: string;
    source: Ticket['source'];
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
    const routing = await this.deps.router.route({
      text: input.text,
      site: input.site || undefined,
      siteKind: input.siteKind || undefined,
      deviceKind: input.deviceKind || undefined,
      criticality: input.criticality,
      severity: input.severity,
    });
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
      eventClass: routing.eventClass,
      department: routing.department,
      priority: routing.priority,
      confidence: routing.confidence,
      needsReview,
      site: input.site,
      siteKind: input.siteKind,
      host: input.host,
      deviceKind: input.deviceKind,
      mttrP50Seconds: Math.round(mttr.p50Seconds),
      mttrP90Seconds: Math.round(Math.max(mttr.p50Seconds, mttr.p90Seconds)),
      relatedAlertCount: 1,
      explanation: routing.explanation,
      similarTickets: this.deps.similar()?.search(input.text, 3, { eventClass: routing.eventClass }) ?? [],
      modelVersion: `${routing.modelVersion}|${mttr.modelVersion}`,
    };
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

function firstSentence(text: string): string {
  const sentence = text.trim().split(/(?<=[.!?])\s/)[0] ?? text;
  return sentence.length > 120 ? `${sentence.slice(0, 117)}…` : sentence;
}
