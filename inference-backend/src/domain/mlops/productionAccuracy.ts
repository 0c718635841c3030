import { correctedFields, type FeedbackVerdict, type Ticket } from '@nocai/contract';
import { PROBLEM_MODEL_PREFIX } from '../problems/manifest';
import { classificationBySegment, regressionBySegment, type EvaluationRow, type SegmentedEvaluation } from './fairness';

/**
 * How the served models do in production, from what people did with their tickets over a rolling
 * window: verdicts (`valid`, `invalid`, `avoided`), corrections of the routing, resolutions.
 *
 * Which model made which decision is read from the ticket's `modelVersion`: `name@version` parts
 * joined by `+` (models run together) and `|` (the MTTR estimate after the routing), e.g.
 * `event-class@v3+event-decision@v2` for a ticket from syslog lines and
 * `ticket-class@v4+department@v4+priority@v4|mttr@v2` for a complaint or a Grafana alert. Parts
 * without `@` are the fallbacks (`rules-1`, `mttr-median-baseline`): no registry version, not scored.
 *
 * What counts as evidence, per role:
 * - Alert models (the line models: `event-class`, `event-decision`) decided that a ticket should
 *   exist. Every verdict in the window judges that decision: `valid` and `avoided` (the problem was
 *   prevented: it was real) are true positives, `invalid` a false positive. Precision is
 *   (valid + avoided) / (valid + avoided + invalid). Only decisions "alert" become tickets, so over
 *   judged tickets the share of right decisions, the accuracy, is that precision too.
 * - Routing models chose one field: `ticket-class` and `event-class` the class, `department`,
 *   `priority`. A ticket is evidence when a person looked at its routing: a `valid`/`avoided`
 *   verdict, or a correction (`predicted` holds what the models said). A corrected field is wrong
 *   for the model that chose it only; the fields left alone by the person who corrected one are
 *   taken as right. A ticket judged `invalid` is left out (a false positive has no right routing),
 *   and so is one nobody judged or corrected: a resolution alone does not say the routing was
 *   right (the backend resolves tickets itself when their devices recover).
 * - Duration models (`mttr`): every ticket resolved in the window by a recovery or a person (not
 *   `auto_resolved` after quiet time, not judged `invalid`) gives |actual − P50| in seconds.
 *
 * A figure resting on fewer than `minVerdicts` rows is still reported, with its count and
 * `enough: false`, so a dashboard shows it and the alert rule does not page on it.
 */

/** An operator's verdict on a ticket (the adapters' `FeedbackRecord` is one). */
export interface Verdict {
  ticketId: string;
  verdict: FeedbackVerdict;
  atMs: number;
}

export type RoutedField = 'eventClass' | 'department' | 'priority';

/** Which decision of a ticket each served model made, by registry name. */
export interface ModelRoles {
  /** Decided that the ticket should exist: judged by verdicts. */
  alert: readonly string[];
  /**
   * Families of alert models by name prefix: every predictive problem's model (`problem-<name>`,
   * issue 12) decided that its ticket should exist, and an alert acted upon whose problem did not
   * occur (`avoided`) is its true positive.
   */
  alertPrefixes?: readonly string[];
  /** Chose one routing field of the ticket: judged by corrections. */
  routing: Readonly<Record<string, RoutedField>>;
  /** Estimated the time to resolve (the P50 is compared with the actual time). */
  duration: readonly string[];
}

/** The served models' names (`SERVED_MODELS` in services/onnxModels.ts; a test keeps the two equal). */
export const DEFAULT_MODEL_ROLES: ModelRoles = {
  alert: ['event-class', 'event-decision'],
  alertPrefixes: [PROBLEM_MODEL_PREFIX],
  routing: {
    'event-class': 'eventClass',
    'ticket-class': 'eventClass',
    department: 'department',
    priority: 'priority',
  },
  duration: ['mttr'],
};

/** Segment dimensions of production figures, in the inventory's words. */
export const PRODUCTION_SEGMENTS = ['site_kind', 'device_kind', 'department'] as const;

export interface ProductionAccuracyOptions {
  /** The rolling window: evidence from `fromMs` to `toMs` (inclusive). */
  fromMs: number;
  toMs: number;
  /** A figure resting on fewer rows is reported with `enough: false`. */
  minVerdicts: number;
  /** A group with fewer rows is reported `tooSmall` and left out of the worst gap and ratio. */
  minGroupVerdicts: number;
  dimensions?: readonly string[];
  roles?: ModelRoles;
}

export type ProductionPrimaryMetric = 'accuracy' | 'precision' | 'mae_s';

export interface ProductionAccuracy extends SegmentedEvaluation {
  model: string;
  version: string;
  /** The figure this model is judged on in production: accuracy of routing, precision of alerts, MAE of durations. */
  primaryMetric: ProductionPrimaryMetric;
  primaryValue: number;
  /** Verdicts in the window on this version's tickets, and rows whose routing field a person corrected. */
  counts: { valid: number; invalid: number; avoided: number; corrected: number };
  /** `overall.rows` ≥ `minVerdicts`. */
  enough: boolean;
}

export interface ProductionAccuracyResult {
  models: ProductionAccuracy[];
  /** Verdicts in the window on tickets that are not stored (any more). */
  unmatchedVerdicts: number;
}

interface ModelRef {
  model: string;
  version: string;
}

/** The registry models named by a ticket's `modelVersion`, fallbacks (parts without `@`) left out. */
export function modelsOfTicket(modelVersion: string): ModelRef[] {
  return modelVersion
    .split(/[+|]/)
    .map((part) => part.trim())
    .flatMap((part) => {
      const at = part.indexOf('@');
      return at > 0 && at < part.length - 1 ? [{ model: part.slice(0, at), version: part.slice(at + 1) }] : [];
    });
}

interface Evidence {
  alert: EvaluationRow<string>[];
  routing: EvaluationRow<string>[];
  duration: EvaluationRow<number>[];
  counts: ProductionAccuracy['counts'];
}

const POSITIVE = 'alert';
const NEGATIVE = 'false_positive';

/** Per model version met in the window, its production figures overall and per segment. */
export function productionAccuracy(
  tickets: Iterable<Ticket>,
  verdicts: readonly Verdict[],
  options: ProductionAccuracyOptions
): ProductionAccuracyResult {
  const roles = options.roles ?? DEFAULT_MODEL_ROLES;
  const inWindow = (ms: number | undefined) => ms !== undefined && ms >= options.fromMs && ms <= options.toMs;
  const latest = new Map<string, Verdict>();
  for (const v of verdicts) {
    if (!inWindow(v.atMs)) continue;
    const seen = latest.get(v.ticketId);
    if (!seen || v.atMs >= seen.atMs) latest.set(v.ticketId, v);
  }
  const matched = new Set<string>();
  const evidence = new Map<string, Evidence & ModelRef>();
  const of = (ref: ModelRef) => {
    const key = `${ref.model}@${ref.version}`;
    let e = evidence.get(key);
    if (!e) {
      e = { ...ref, alert: [], routing: [], duration: [], counts: { valid: 0, invalid: 0, avoided: 0, corrected: 0 } };
      evidence.set(key, e);
    }
    return e;
  };

  for (const ticket of tickets) {
    const verdict = latest.get(ticket.id)?.verdict;
    if (verdict) matched.add(ticket.id);
    const refs = modelsOfTicket(ticket.modelVersion);
    if (refs.length === 0) continue;
    const segments = segmentsOf(ticket);
    const predicted = ticket.predicted;
    // A person set its routing (even where the models have come to agree with them since).
    const corrected = correctedFields(ticket).length > 0 && inWindow(ticket.updatedAtMs);
    const routingJudged = verdict !== 'invalid' && (verdict === 'valid' || verdict === 'avoided' || corrected);
    const resolved =
      inWindow(ticket.resolvedAtMs) &&
      (ticket.status === 'resolved' || ticket.status === 'closed') &&
      ticket.autoResolved !== true &&
      verdict !== 'invalid';

    for (const ref of refs) {
      const e = of(ref);
      if (verdict) e.counts[verdict]++;
      const isAlertModel =
        roles.alert.includes(ref.model) || (roles.alertPrefixes ?? []).some((prefix) => ref.model.startsWith(prefix));
      if (verdict && isAlertModel) {
        e.alert.push({ yTrue: verdict === 'invalid' ? NEGATIVE : POSITIVE, yPred: POSITIVE, segments });
      }
      const field = roles.routing[ref.model];
      if (field && routingJudged) {
        const yPred = predicted?.[field] ?? ticket[field];
        if (yPred !== ticket[field]) e.counts.corrected++;
        e.routing.push({ yTrue: ticket[field], yPred, segments });
      }
      if (resolved && roles.duration.includes(ref.model) && ticket.resolvedAtMs !== undefined) {
        const actualSeconds = Math.max(0, (ticket.resolvedAtMs - ticket.openedAtMs) / 1000);
        e.duration.push({ yTrue: actualSeconds, yPred: ticket.mttrP50Seconds, segments });
      }
    }
  }

  const frameOptions = {
    dimensions: options.dimensions ?? PRODUCTION_SEGMENTS,
    minGroupRows: options.minGroupVerdicts,
  };
  const models: ProductionAccuracy[] = [];
  for (const e of evidence.values()) {
    const routing = classificationBySegment(e.routing, { ...frameOptions, primary: 'accuracy' });
    const alert = classificationBySegment(e.alert, { ...frameOptions, positiveLabel: POSITIVE, primary: 'precision' });
    const duration = regressionBySegment(e.duration, frameOptions);
    const figures = routing ? withPrecisionOf(routing, alert) : alert ? asPrecision(alert) : duration;
    if (!figures) continue;
    const primaryMetric: ProductionPrimaryMetric = routing ? 'accuracy' : alert ? 'precision' : 'mae_s';
    const primaryValue =
      primaryMetric === 'mae_s' ? (figures.overall.maeSeconds ?? 0) : (figures.overall[primaryMetric] ?? 0);
    models.push({
      model: e.model,
      version: e.version,
      ...figures,
      primaryMetric,
      primaryValue,
      counts: e.counts,
      enough: figures.overall.rows >= options.minVerdicts,
    });
  }
  models.sort((a, b) => (a.model === b.model ? cmp(a.version, b.version) : cmp(a.model, b.model)));
  let unmatchedVerdicts = 0;
  for (const id of latest.keys()) if (!matched.has(id)) unmatchedVerdicts++;
  return { models, unmatchedVerdicts };
}

/**
 * An alert model's figures: precision, and accuracy equal to it (every judged ticket is a decision
 * "alert"). Recall and F1 are left out: tickets never show the alerts the model missed.
 */
function asPrecision(alert: SegmentedEvaluation): SegmentedEvaluation {
  const only = (f: SegmentedEvaluation['overall']) => ({ rows: f.rows, precision: f.precision, accuracy: f.precision });
  return {
    ...alert,
    overall: only(alert.overall),
    segments: alert.segments.map((s) => ({ ...s, figures: only(s.figures) })),
  };
}

/** A model that both raised and routed tickets (event-class): routing figures, with the precision of its alerts beside them. */
function withPrecisionOf(routing: SegmentedEvaluation, alert: SegmentedEvaluation | undefined): SegmentedEvaluation {
  if (!alert) return routing;
  const precisionOf = new Map(alert.segments.map((s) => [`${s.dimension}=${s.group}`, s.figures.precision]));
  return {
    ...routing,
    overall: { ...routing.overall, precision: alert.overall.precision },
    segments: routing.segments.map((s) => {
      const precision = precisionOf.get(`${s.dimension}=${s.group}`);
      return precision === undefined ? s : { ...s, figures: { ...s.figures, precision } };
    }),
  };
}

function segmentsOf(ticket: Ticket): Record<string, string> {
  return { site_kind: ticket.siteKind, device_kind: ticket.deviceKind, department: ticket.department };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
