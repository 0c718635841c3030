import { z } from 'zod';
import { tagValue, tagValueProblem } from './tagValue';
import type { Department, EventClass, Priority } from './vocabulary';

/**
 * Tickets as the backend creates them and the API and Grafana plugins show them.
 * InfluxDB (`aiops_tickets`, one point per state change) is their store of record.
 */

export const TICKET_STATUSES = ['open', 'needs_review', 'resolved'] as const;
export type TicketStatus = (typeof TICKET_STATUSES)[number];

/** `avoided`: acted on before it became an outage; counts as a true positive. */
export const FEEDBACK_VERDICTS = ['valid', 'invalid', 'avoided'] as const;
export type FeedbackVerdict = (typeof FEEDBACK_VERDICTS)[number];

export const TICKET_SOURCES = ['logs', 'silence', 'metrics', 'complaint', 'grafana_alert'] as const;
export type TicketSource = (typeof TICKET_SOURCES)[number];

/** A device that stopped reporting and is blamed for its dependants' alerts. */
export interface RootCause {
  host: string;
  deviceKind: string;
  /** When it went silent (ms since the epoch), if it did. */
  silentSinceMs?: number;
  /** "power switch hosp-01-ps-01 silent since 12:00:05Z, 14 dependants affected". */
  description: string;
  dependants: string[];
}

/** One input that pushed a prediction, strongest first (a token, or a context feature such as `site_kind=hospital`). */
export interface Explanation {
  feature: string;
  weight: number;
}

export interface SimilarTicket {
  id: string;
  title: string;
  resolution: string;
  mttrSeconds: number;
  /** Cosine similarity in [0, 1]. */
  similarity: number;
}

export interface Ticket {
  id: string;
  openedAtMs: number;
  updatedAtMs: number;
  resolvedAtMs?: number;
  status: TicketStatus;
  source: TicketSource;
  title: string;
  eventClass: EventClass;
  department: Department;
  priority: Priority;
  /** Confidence of the routing decision in [0, 1]; below the review threshold the ticket waits in needs_review. */
  confidence: number;
  needsReview: boolean;
  site: string;
  siteKind: string;
  host: string;
  deviceKind: string;
  mttrP50Seconds: number;
  mttrP90Seconds: number;
  rootCause?: RootCause;
  relatedAlertCount: number;
  explanation: Explanation[];
  similarTickets: SimilarTicket[];
  modelVersion: string;
  feedback?: { verdict: FeedbackVerdict; comment?: string; atMs: number };
}

export const feedbackRequestSchema = z.object({
  verdict: z.enum(['valid', 'invalid', 'avoided']),
  comment: z.string().max(2000).optional(),
});
export type FeedbackRequest = z.infer<typeof feedbackRequestSchema>;

export const complaintRequestSchema = z.object({
  text: z.string().trim().min(3, 'text must say what is wrong').max(5000),
  site: tagValue('site').optional(),
  host: tagValue('host').optional(),
  reporter: z.string().max(256).optional(),
});
export type ComplaintRequest = z.infer<typeof complaintRequestSchema>;

const epochMs = z.coerce.number().int().nonnegative();

export const ticketsQuerySchema = z
  .object({
    status: z.enum(['open', 'needs_review', 'resolved']).optional(),
    site: tagValue('site').min(1).optional(),
    department: tagValue('department', 64).min(1).optional(),
    priority: z.enum(['P1', 'P2', 'P3', 'P4']).optional(),
    from: epochMs.optional(),
    to: epochMs.optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    offset: z.coerce.number().int().min(0).default(0),
  })
  .refine((q) => q.from === undefined || q.to === undefined || q.from <= q.to, {
    message: 'from must not be after to',
    path: ['from'],
  });
export type TicketsQuery = z.infer<typeof ticketsQuerySchema>;

export interface TicketsPage {
  tickets: Ticket[];
  total: number;
  limit: number;
  offset: number;
}

/** Type-only helpers for the plugins. */
export type TicketRouting = { eventClass: EventClass; department: Department; priority: Priority };

/**
 * The labels the ticket service reads: `site` becomes a tag, host/hostname/instance name the
 * device, alertname and severity route the ticket. They follow the tag value rules; every other
 * label is only bounded in length, since it is kept in no series.
 */
export const TICKET_LABELS = ['site', 'host', 'hostname', 'instance', 'alertname', 'severity'] as const;
export const LABEL_VALUE_MAX_LENGTH = 1024;
/** Alertmanager's `max_alerts`: Grafana's contact point splits larger groups into several requests. */
export const MAX_ALERTS_PER_WEBHOOK = 1000;

const grafanaLabelsSchema = z.record(z.string(), z.string()).superRefine((labels, ctx) => {
  for (const [label, value] of Object.entries(labels)) {
    const problem = (TICKET_LABELS as readonly string[]).includes(label)
      ? tagValueProblem(value)
      : value.length > LABEL_VALUE_MAX_LENGTH
        ? `must be at most ${LABEL_VALUE_MAX_LENGTH} characters (it has ${value.length})`
        : undefined;
    if (problem) ctx.addIssue({ code: 'custom', path: [label], message: `label ${label} ${problem}` });
  }
});

/** Grafana alerting's webhook contact point payload (the parts we use; the rest is accepted and ignored). */
export const grafanaWebhookSchema = z
  .object({
    receiver: z.string().optional(),
    status: z.string(),
    alerts: z
      .array(
        z
          .object({
            status: z.enum(['firing', 'resolved']),
            labels: grafanaLabelsSchema,
            annotations: z.record(z.string(), z.string()).default({}),
            startsAt: z.string(),
            endsAt: z.string().optional(),
            fingerprint: z.string().max(128).optional(),
            generatorURL: z.string().optional(),
          })
          .passthrough()
      )
      .min(1, 'alerts must hold at least one alert')
      .max(
        MAX_ALERTS_PER_WEBHOOK,
        `at most ${MAX_ALERTS_PER_WEBHOOK} alerts per request: set max_alerts on the contact point`
      ),
  })
  .passthrough();
export type GrafanaWebhook = z.infer<typeof grafanaWebhookSchema>;
