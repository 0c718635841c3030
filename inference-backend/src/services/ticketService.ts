import { createHash } from 'node:crypto';
import type {
  ComplaintRequest,
  FeedbackRequest,
  GrafanaWebhook,
  Inventory,
  Ticket,
  TicketsPage,
  TicketsQuery,
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
    const ticket = await this.deps.tickets.findById(id, this.deps.clock.nowMs());
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
      id: `CMP-${shortHash(`${request.text}\u0000${request.site ?? ''}\u0000${nowMs}`)}`,
      source: 'complaint',
      title: firstSentence(request.text),
      text: request.text,
      openedAtMs: nowMs,
      ...place,
    });
    await this.deps.tickets.save([ticket]);
    return ticket;
  }

  /** Firing alerts open (or refresh) a ticket; resolved ones resolve it. Keyed by the alert fingerprint. */
  async fromGrafana(payload: GrafanaWebhook): Promise<Ticket[]> {
    const nowMs = this.deps.clock.nowMs();
    const out: Ticket[] = [];
    for (const alert of payload.alerts) {
      const labels = alert.labels;
      const key = alert.fingerprint ?? shortHash(JSON.stringify(Object.entries(labels).sort()));
      const id = `GRA-${key}`;
      const summary = alert.annotations.summary ?? alert.annotations.description ?? labels.alertname ?? 'Grafana alert';
      const text = [labels.alertname, alert.annotations.summary, alert.annotations.description].filter(Boolean).join('. ');
      const startedMs = Date.parse(alert.startsAt);
      const place = this.locate(labels.site, labels.host ?? labels.hostname ?? labels.instance);
      const existing = await this.deps.tickets.findById(id, nowMs);
      if (alert.status === 'resolved') {
        if (existing && existing.status !== 'resolved') {
          const endsMs = alert.endsAt ? Date.parse(alert.endsAt) : NaN;
          const resolvedAtMs = Number.isFinite(endsMs) && endsMs > 0 ? endsMs : nowMs;
          out.push({ ...existing, status: 'resolved', resolvedAtMs, updatedAtMs: Math.max(nowMs, existing.updatedAtMs + 1) });
        }
        continue;
      }
      if (existing && existing.status !== 'resolved') continue;
      out.push(
        await this.build({
          id,
          source: 'grafana_alert',
          title: summary,
          text,
          severity: labels.severity,
          openedAtMs: Number.isFinite(startedMs) ? startedMs : nowMs,
          ...place,
        })
      );
    }
    await this.deps.tickets.save(out);
    return out;
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

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

function firstSentence(text: string): string {
  const sentence = text.trim().split(/(?<=[.!?])\s/)[0] ?? text;
  return sentence.length > 120 ? `${sentence.slice(0, 117)}…` : sentence;
}
