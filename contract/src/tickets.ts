import { z } from 'zod';
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
  site: z.string().max(256).optional(),
  host: z.string().max(256).optional(),
  reporter: z.string().max(256).optional(),
});
export type ComplaintRequest = z.infer<typeof complaintRequestSchema>;

const epochMs = z.coerce.number().int().nonnegative();

export const ticketsQuerySchema = z.object({
  status: z.enum(['open', 'needs_review', 'resolved']).optional(),
  site: z.string().min(1).max(256).optional(),
  department: z.string().min(1).max(64).optional(),
  priority: z.enum(['P1', 'P2', 'P3', 'P4']).optional(),
  from: epochMs.optional(),
  to: epochMs.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
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
            labels: z.record(z.string(), z.string()),
            annotations: z.record(z.string(), z.string()).default({}),
            startsAt: z.string(),
            endsAt: z.string().optional(),
            fingerprint: z.string().max(128).optional(),
            generatorURL: z.string().optional(),
          })
          .passthrough()
      )
      .min(1, 'alerts must hold at least one alert'),
  })
  .passthrough();
export type GrafanaWebhook = z.infer<typeof grafanaWebhookSchema>;
