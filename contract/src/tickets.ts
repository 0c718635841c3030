import { z } from 'zod';
import { PROBLEM_NAME } from './problems';
import { anyOf, anyOfValues } from './anyOf';
import { departmentFilter, departmentValue } from './departmentFilter';
import { plural } from './plural';
import { checkInput } from './refusals';
import { tagValue, tagValueProblem } from './tagValue';
import { wholeNumber } from './wholeNumber';
import { isOrderedRange, RANGE_ORDER_ISSUE, timeRangeShape } from './timeExpression';
import {
  ASSIGNEE_FORMAT,
  COMMENT_MAX_LENGTH,
  FEEDBACK_VERDICTS,
  isAssignee,
  SETTABLE_STATUSES,
  TICKET_STATUSES,
  type FeedbackVerdict,
  type TicketChangeKind,
  type TicketStatus,
} from './ticketWorkflow';
import { EVENT_CLASSES, PRIORITIES } from './vocabulary';
import type { EventClass, Priority } from './vocabulary';

/**
 * Tickets as the backend creates them and the API and Grafana plugins show them.
 * InfluxDB (`aiops_tickets`, one point per state change) is their store of record.
 * Statuses and the moves between them are in `ticketWorkflow.ts`.
 */

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
  /** The feature's effect; for tabular models its exact SHAP contribution to the raw score. */
  weight: number;
  /** The feature's value in the explained row, when it has one (tabular models). */
  value?: number;
}

export interface SimilarTicket {
  id: string;
  title: string;
  resolution: string;
  mttrSeconds: number;
  /**
   * In [0, 1]: the past ticket's BM25 score for this ticket's words divided by the score of this
   * ticket's own words against themselves, so 1 is the same wording (once addresses, numbers and
   * ids are masked) and 0.5 matches half of its BM25 weight. Suggestions are ranked by class and
   * device kind first, so a lower similarity may come before a higher one of another class.
   */
  similarity: number;
}

export interface TicketComment {
  text: string;
  /** Who wrote it: a Grafana login, or `unknown` when the caller sent none. */
  by: string;
  atMs: number;
}

/** The change that produced a ticket state: what, who and when. */
export interface TicketChange {
  kind: TicketChangeKind;
  /** A Grafana login or the calling token's name (as the audit trail has it), or `nocai` (the backend) / `grafana` (an alert) for machine changes. */
  by: string;
  atMs: number;
  /** "status open → acknowledged; assignee → team:network_ops". */
  summary: string;
}

export interface Ticket {
  id: string;
  openedAtMs: number;
  updatedAtMs: number;
  resolvedAtMs?: number;
  status: TicketStatus;
  source: TicketSource;
  title: string;
  /**
   * The whole text the routing models read (a complaint as typed, an alert's summary and
   * description), so that a person's correction becomes a training row of the very input the
   * models saw. Absent for incident tickets, whose evidence is their alerts.
   */
  description?: string;
  eventClass: EventClass;
  /**
   * One of the six `DEPARTMENTS` the built-in routing knows, or any department a model trained on an
   * organisation's own ticket history routes to (or a person corrected the ticket to): a label, not a closed set.
   */
  department: string;
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
  /**
   * How many state changes the ticket has had: its version, sent back as the ETag and expected in
   * `If-Match` (or `version`) by `PATCH`. The API always sets it; absent only in states built
   * before the workflow existed (read as 0).
   */
  version?: number;
  /** `user:<login>` or `team:<name>` (see `ASSIGNEE_PATTERN`). */
  assignee?: string;
  /** The newest comments (at most `COMMENTS_KEPT`), oldest first. */
  comments?: TicketComment[];
  /**
   * What the models decided, kept once a person corrected class, department or priority (the
   * ticket's own fields then hold the correction): a label for the next training. Updated with the
   * models' latest answer (an engine update, a Grafana alert firing again), which may come to agree.
   */
  predicted?: TicketRouting;
  /**
   * The routing fields a person set (in `ROUTING_FIELDS` order): they stay as the person set them
   * whatever the models say later, until a person changes them again; set back to the models'
   * answer, a field is no longer corrected. Absent when nothing is corrected (and in states stored
   * before it existed: `correctedFields` derives it from `predicted` then).
   */
  corrected?: RoutingField[];
  /** The change that produced this state. */
  change?: TicketChange;
  /** The backend resolved it after quiet time, not a person or a recovery; kept once closed. */
  autoResolved?: boolean;
  /** Why P50 and P90 are what they are when they are not two independent quantiles (e.g. equal). */
  mttrNote?: string;
  /**
   * Why the time-to-resolve model predicted what it did (issue 12): the inputs that moved the P50
   * most, strongest first, each with its exact TreeSHAP contribution in natural-log seconds (+0.69
   * roughly doubles the predicted time, −0.69 halves it) and its value when it is a number. Absent
   * when the MTTR estimate is a baseline's.
   */
  mttrFactors?: Explanation[];
  /** Devices of the incident (its alerts and silences): where its related alerts are looked up. */
  hosts?: string[];
  /**
   * A predicted problem's "how it could have been avoided" (issue 12): the smallest change of its
   * controllable variables that would have brought the probability under the threshold, or a plain
   * statement that none within their bounds would have.
   */
  recommendation?: string;
  /** The predicted problem (issue 12) whose alert opened or last routed the ticket; absent for other tickets. */
  problem?: string;
  /**
   * A complaint about a device that already had an open ticket of an incident or alert when it was filed: that
   * ticket, the one fault behind both (ITIL's parent incident). Set once, when the complaint opens; absent otherwise.
   */
  parentId?: string;
}

export const feedbackRequestSchema = z.object({
  verdict: z.enum(FEEDBACK_VERDICTS),
  comment: z.string().max(COMMENT_MAX_LENGTH).optional(),
});
export type FeedbackRequest = z.infer<typeof feedbackRequestSchema>;

/** What a ticket id is made of: the characters a URL path and an InfluxQL string hold as they are. */
export const TICKET_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

/**
 * POST /api/complaints. Another field is refused naming those taken: an ITSM integration sending its own
 * `priority` or `department` would otherwise see them silently replaced by the models' routing.
 */

export const complaintRequestSchema = z
  .object({
    text: z.string().trim().min(3, 'text must say what is wrong, in at least 3 characters').max(5000),
    site: tagValue().optional(),
    host: tagValue().optional(),
    reporter: z.string().max(256).optional(),
  })
  .strict();
export type ComplaintRequest = z.infer<typeof complaintRequestSchema>;

/**
 * GET /api/tickets query string, with relative times resolved at `nowMs` (see `timeExpression.ts`).
 * Each filter takes one value or a comma-separated list of them, any of which matches (`anyOf`).
 * Another parameter is refused, so a typo in a filter is an error rather than an unfiltered list, and so is
 * a department that is neither one of the six nor one of `ticketDepartments`, those tickets carry.
 */
export function ticketsQuerySchema(nowMs: number, ticketDepartments: Iterable<string> = []) {
  return z
    .object({
      status: anyOfValues(TICKET_STATUSES).optional(),
      site: anyOf(tagValue()).optional(),
      /** A ticket's own host or any device of its incident (`hosts`): a device's tickets, a problem's entity. */
      host: anyOf(tagValue()).optional(),
      department: departmentFilter(ticketDepartments).optional(),
      priority: anyOfValues(PRIORITIES).optional(),
      /** Tickets of predicted problems (issue 12): their alerts and the verdicts given on them. */
      problem: anyOf(
        z
          .string()
          .regex(PROBLEM_NAME, 'must be 1–64 lower-case letters, digits, _ or -, starting with a letter or digit')
      ).optional(),
      /** The complaints linked to these tickets (their `parentId`): every complaint about an incident, past the 20 its detail lists. */
      parent: anyOf(z.string().regex(TICKET_ID, 'must be a ticket id: 1–128 letters, digits, _ . : or -')).optional(),
      /**
       * Complaints whose linked ticket (`parentId`) is now in one of these statuses: with `parentStatus=resolved,closed`
       * and an open `status`, the complaints still to confirm with their reporters now that their incident is over.
       */
      parentStatus: anyOfValues(TICKET_STATUSES).optional(),
      ...timeRangeShape(nowMs),
      limit: wholeNumber(1, 1000).default(100),
      offset: wholeNumber(0).default(0),
    })
    .strict()
    .refine(isOrderedRange, RANGE_ORDER_ISSUE);
}
export type TicketsQuery = z.infer<ReturnType<typeof ticketsQuerySchema>>;

const comment = z.string().trim().min(1).max(COMMENT_MAX_LENGTH);

const UPDATE_FIELDS = ['status', 'assignee', 'eventClass', 'department', 'priority'] as const;

/**
 * PATCH /api/tickets/:id: a workflow change (status, assignee, a correction of the routing), with
 * an optional comment saying why. `version` is the version the change was made against (or send it
 * as `If-Match`); `assignee: null` unassigns. At least one of the changes must be there. A department
 * is one of the six or one of `departments` (those tickets carry, those the serving department model
 * can output): the list filters' rule, so a ticket is corrected to any department it can be filtered by.
 */
export function ticketUpdateSchema(departments: Iterable<string> = []) {
  return z
    .object({
      version: z.number().int().nonnegative().optional(),
      status: z.enum(SETTABLE_STATUSES).optional(),
      assignee: z
        .string()
        .refine(isAssignee, { message: `assignee must be ${ASSIGNEE_FORMAT}` })
        .nullable()
        .optional(),
      eventClass: z.enum(EVENT_CLASSES).optional(),
      department: departmentValue(departments).optional(),
      priority: z.enum(PRIORITIES).optional(),
      comment: comment.optional(),
    })
    .strict()
    .refine((u) => UPDATE_FIELDS.some((field) => u[field] !== undefined), {
      message: `nothing to change: give ${UPDATE_FIELDS.join(', ')} (a comment alone goes to POST /api/tickets/:id/comments)`,
    });
}
export type TicketUpdateRequest = z.infer<ReturnType<typeof ticketUpdateSchema>>;

/** POST /api/tickets/:id/comments: appending cannot be stale, so no version is needed. */
export const commentRequestSchema = z.object({ text: comment }).strict();
export type CommentRequest = z.infer<typeof commentRequestSchema>;

/** One state change of a ticket, as `GET /api/tickets/:id/history` lists them (oldest first). */
export interface TicketHistoryEntry {
  atMs: number;
  version: number;
  status: TicketStatus;
  kind: TicketChangeKind;
  by: string;
  summary: string;
}

export interface TicketsPage {
  tickets: Ticket[];
  total: number;
  limit: number;
  offset: number;
}

/** Type-only helpers for the plugins. */
export type TicketRouting = { eventClass: EventClass; department: string; priority: Priority };

/** The fields of a ticket's routing, the ones a person may correct. */
export const ROUTING_FIELDS = ['eventClass', 'department', 'priority'] as const;
export type RoutingField = (typeof ROUTING_FIELDS)[number];

/**
 * The routing fields a person corrected on a ticket: its `corrected` list, or for a state stored
 * before that list existed, the fields where it differs from what the models said (`predicted`).
 */
export function correctedFields(ticket: TicketRouting & Pick<Ticket, 'predicted' | 'corrected'>): RoutingField[] {
  if (ticket.corrected !== undefined) return ROUTING_FIELDS.filter((field) => ticket.corrected?.includes(field));
  const predicted = ticket.predicted;
  return predicted === undefined ? [] : ROUTING_FIELDS.filter((field) => ticket[field] !== predicted[field]);
}

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
    if (problem) ctx.addIssue({ code: 'custom', path: [label], message: problem });
  }
});

/** One alert of Grafana alerting's webhook payload (the parts we use; the rest is accepted and ignored). */
export const grafanaAlertSchema = z
  .object({
    status: z.enum(['firing', 'resolved']),
    labels: grafanaLabelsSchema,
    annotations: z.record(z.string(), z.string()).default({}),
    startsAt: z.string(),
    endsAt: z.string().optional(),
    fingerprint: z.string().max(128).optional(),
    generatorURL: z.string().optional(),
  })
  .passthrough();
export type GrafanaAlert = z.infer<typeof grafanaAlertSchema>;

/** An alert of a notification left out, and why: the webhook's answer lists them. */
export interface RefusedAlert {
  /** Its place in the notification's `alerts`, from 0. */
  index: number;
  /** Its fingerprint, when it sent a readable one. */
  fingerprint?: string;
  /** One sentence naming the field (`alerts.3.labels.host must not end with a backslash`). */
  reason: string;
}

/** Refusals of a notification whose every alert is refused: the 400's message names these many, then counts the rest. */
const REFUSALS_NAMED = 3;

const grafanaNotificationSchema = z
  .object({
    receiver: z.string().optional(),
    status: z.string(),
    alerts: z
      .array(z.unknown())
      .min(1, 'alerts must hold at least one alert')
      .max(
        MAX_ALERTS_PER_WEBHOOK,
        `must hold at most ${MAX_ALERTS_PER_WEBHOOK} per request: set max_alerts on the contact point`
      ),
  })
  .passthrough();

/** Grafana alerting's webhook contact point payload, of alerts each taken in as it is. */
export type GrafanaWebhook = Omit<z.infer<typeof grafanaNotificationSchema>, 'alerts'> & { alerts: GrafanaAlert[] };

/**
 * Grafana alerting's webhook contact point payload, parsed to the alerts taken in (`webhook`) and those
 * refused (`refused`). Each alert is checked by itself: one alert Grafana could send but a ticket cannot
 * hold (a `host` label ending in a backslash, which line protocol cannot write) is refused alone, named
 * in the answer, rather than losing the other alerts of its notification with it (Grafana sends a
 * refused notification again and again, and it would be refused each time). A notification of refused
 * alerts only is refused as a whole, naming them.
 */
export const grafanaWebhookSchema = grafanaNotificationSchema.transform((notification, ctx) => {
  const alerts: GrafanaAlert[] = [];
  const refused: RefusedAlert[] = [];
  notification.alerts.forEach((alert, index) => {
    const checked = checkInput(grafanaAlertSchema, alert, { at: ['alerts', index] });
    if (checked.success) {
      alerts.push(checked.data);
      return;
    }
    const fingerprint = (alert as { fingerprint?: unknown } | null)?.fingerprint;
    const readable = typeof fingerprint === 'string' && fingerprint.length <= 128;
    refused.push({ index, ...(readable ? { fingerprint } : {}), reason: checked.message });
  });
  if (alerts.length === 0) {
    const named = refused.slice(0, REFUSALS_NAMED).map((r) => r.reason);
    const more = refused.length - named.length;
    const message =
      refused.length === 1
        ? refused[0].reason
        : `every alert is refused: ${named.join('; ')}${more > 0 ? `; and ${plural(more, 'more alert')}` : ''}`;
    ctx.addIssue({ code: 'custom', message });
    return z.NEVER;
  }
  const webhook: GrafanaWebhook = { ...notification, alerts };
  return { webhook, refused };
});
