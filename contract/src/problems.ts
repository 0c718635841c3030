import { z } from 'zod';
import { DEPARTMENTS, EVENT_CLASSES, PRIORITIES } from './vocabulary';

/**
 * User-defined predictive alert problems (issue 12): "warn me before this event happens". A problem
 * names the event, the entities it applies to, how far ahead to warn, which series feed the model
 * and which of them people can act on, the periods to train and validate on, the learners to try
 * and how the alert threshold is chosen. Stored as YAML files (one per problem) and served by
 * `/api/problems`; every refusal names the offending field (`horizon`, `variables.controllable.0`…).
 */

const DURATION_UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 } as const;
const DURATION = /^(\d{1,6})(s|m|h|d|w)$/;

/** Milliseconds of a duration such as `30s`, `5m`, `2h`, `7d`; undefined when it is not one. */
export function durationMs(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match) return undefined;
  return Number(match[1]) * DURATION_UNIT_MS[match[2] as keyof typeof DURATION_UNIT_MS];
}

const duration = z
  .string()
  .refine((text) => (durationMs(text) ?? 0) > 0, 'must be a positive duration such as 30s, 5m, 2h or 7d');

/** Names become file and registry folder names: nothing that could climb out of a folder. */
export const PROBLEM_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** InfluxDB identifiers as Telegraf writes them: no control characters, not empty, bounded. */
const identifier = z
  .string()
  .min(1, 'must not be empty')
  .max(200, 'must be at most 200 characters')
  .regex(/^[^\p{Cc}*]+$/u, 'must not hold control characters or *');

/**
 * `measurement.field`, where `*` in either part matches any run of characters (`sensors.*`,
 * `*.temperature_c`). The measurement is everything before the first dot: measurement names with
 * a dot cannot be selected by a pattern.
 */
const VARIABLE = /^([^.\p{Cc}]+)\.([^\p{Cc}]+)$/u;
const variablePattern = z
  .string()
  .max(400, 'must be at most 400 characters')
  .regex(VARIABLE, 'must be measurement.field (either part may use * as a wildcard)');
const exactVariable = z
  .string()
  .max(400, 'must be at most 400 characters')
  .regex(VARIABLE, 'must be measurement.field')
  .refine((text) => !text.includes('*'), 'must name one series, without *');

export const THRESHOLD_OPERATORS = ['>', '>=', '<', '<='] as const;
export type ThresholdOperator = (typeof THRESHOLD_OPERATORS)[number];

/** A condition on a series that must hold for `for` (0s: any single step) to be the event. */
const thresholdEvent = z.strictObject({
  kind: z.literal('threshold'),
  measurement: identifier,
  field: identifier,
  operator: z.enum(THRESHOLD_OPERATORS),
  value: z.number().finite(),
  for: z
    .string()
    .refine((text) => durationMs(text) !== undefined || text === '0s', 'must be a duration such as 0s, 5m or 1h')
    .default('0s'),
});

/** Alert tickets of a class on the entity (the backend's own `aiops_events` with decision alert). */
const ticketEvent = z.strictObject({
  kind: z.literal('tickets'),
  class: z.enum(EVENT_CLASSES),
});

/** Log lines of one mined template on the entity (`aiops_events` field `template`). */
const logTemplateEvent = z.strictObject({
  kind: z.literal('log_template'),
  template: z.string().trim().min(1, 'must not be empty').max(2000, 'must be at most 2000 characters'),
});

export const PROBLEM_EVENT_KINDS = ['threshold', 'tickets', 'log_template'] as const;

const period = z
  .strictObject({
    from: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time such as 2026-01-01T00:00:00Z' }),
    to: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time such as 2026-02-01T00:00:00Z' }),
  })
  .refine((p) => Date.parse(p.from) < Date.parse(p.to), { message: 'must be after from', path: ['to'] });

export const PROBLEM_CANDIDATES = ['gbt', 'logistic', 'random_forest'] as const;
export type ProblemCandidate = (typeof PROBLEM_CANDIDATES)[number];

export const PROBLEM_METRICS = ['pr_auc', 'roc_auc'] as const;
export type ProblemMetric = (typeof PROBLEM_METRICS)[number];

const thresholdPolicy = z.discriminatedUnion('policy', [
  z.strictObject({ policy: z.literal('fixed'), probability: z.number().gt(0).lt(1) }),
  /** The lowest threshold whose precision on the validation period reaches `precision`. */
  z.strictObject({ policy: z.literal('target_precision'), precision: z.number().gt(0).max(1) }),
]);

const bounds = z
  .strictObject({ min: z.number().finite().optional(), max: z.number().finite().optional() })
  .refine((b) => b.min === undefined || b.max === undefined || b.min <= b.max, {
    message: 'must not be below min',
    path: ['max'],
  });

export const problemDefinitionSchema = z
  .strictObject({
    name: z
      .string()
      .regex(PROBLEM_NAME, 'must be 1–64 lower-case letters, digits, _ or -, starting with a letter or digit'),
    description: z.string().max(2000).optional(),
    event: z.discriminatedUnion('kind', [thresholdEvent, ticketEvent, logTemplateEvent]),
    /**
     * The entities the model is trained across and served for: one per value of `tag` (Telegraf's
     * `host`), optionally only those whose series carry the tags of `where` — the device kind and
     * site, e.g. `{kind: plc, site: factory-1}` for the simulator's sensors.
     */
    entity: z
      .strictObject({
        tag: identifier.default('host'),
        where: z.record(identifier, identifier).default({}),
      })
      .default({ tag: 'host', where: {} }),
    /** How far ahead of the event to warn. */
    horizon: duration,
    /** The step of the time grid: series are averaged per step, a prediction is made at every step. */
    interval: duration.default('5m'),
    variables: z.strictObject({
      include: z.array(variablePattern).min(1, 'must list at least one measurement.field'),
      exclude: z.array(variablePattern).default([]),
      /** Set-points people can change (issue 12 point 5 searches them); each must be an input. */
      controllable: z.array(exactVariable).default([]),
      /** Bounds of the controllable variables for the "how it could have been avoided" search. */
      bounds: z.record(z.string(), bounds).default({}),
    }),
    /** Rolling windows of the inputs (mean, min, max, last, slope over each). */
    windows: z
      .array(duration)
      .min(1, 'must list at least one window')
      .max(6, 'must list at most 6 windows')
      .default(['30m', '2h']),
    training: period,
    validation: period,
    candidates: z
      .array(z.enum(PROBLEM_CANDIDATES))
      .min(1, 'must list at least one candidate')
      .default([...PROBLEM_CANDIDATES]),
    metric: z.enum(PROBLEM_METRICS).default('pr_auc'),
    threshold: thresholdPolicy.default({ policy: 'target_precision', precision: 0.7 }),
    /** Fewer events than this in the training period (or a third of it in validation): no model. */
    minEvents: z.number().int().min(2).max(10_000).default(10),
    department: z.enum(DEPARTMENTS),
    priority: z.enum(PRIORITIES).default('P3'),
  })
  .superRefine((p, ctx) => {
    const horizon = durationMs(p.horizon) ?? 0;
    const interval = durationMs(p.interval) ?? 0;
    if (horizon > 0 && interval > 0 && horizon < interval) {
      ctx.addIssue({
        code: 'custom',
        path: ['horizon'],
        message: `must not be shorter than the interval (${p.interval})`,
      });
    }
    p.windows.forEach((w, i) => {
      const ms = durationMs(w) ?? 0;
      if (ms > 0 && interval > 0 && ms < interval) {
        ctx.addIssue({
          code: 'custom',
          path: ['windows', i],
          message: `must not be shorter than the interval (${p.interval})`,
        });
      }
    });
    const trainingEnd = Date.parse(p.training.to);
    const validationStart = Date.parse(p.validation.from);
    if (Number.isFinite(trainingEnd) && Number.isFinite(validationStart) && validationStart < trainingEnd) {
      ctx.addIssue({
        code: 'custom',
        path: ['validation', 'from'],
        message: 'must not be before training.to: the periods overlap (validation comes after training)',
      });
    }
    p.variables.controllable.forEach((v, i) => {
      const included = p.variables.include.some((pattern) => matchesVariable(pattern, v));
      const excluded = p.variables.exclude.some((pattern) => matchesVariable(pattern, v));
      if (!included || excluded) {
        ctx.addIssue({
          code: 'custom',
          path: ['variables', 'controllable', i],
          message: `must be an input: variables.include must select ${v} and variables.exclude must not`,
        });
      }
    });
    for (const key of Object.keys(p.variables.bounds)) {
      if (!p.variables.controllable.includes(key)) {
        ctx.addIssue({
          code: 'custom',
          path: ['variables', 'bounds', key],
          message: 'must name a variable listed in variables.controllable',
        });
      }
    }
    if (new Set(p.candidates).size !== p.candidates.length) {
      ctx.addIssue({ code: 'custom', path: ['candidates'], message: 'must not list a candidate twice' });
    }
  });

/** A problem as written (defaults may be missing). */
export type ProblemDefinitionInput = z.input<typeof problemDefinitionSchema>;
/** A validated problem with every default filled in. */
export type ProblemDefinition = z.output<typeof problemDefinitionSchema>;
export type ProblemEvent = ProblemDefinition['event'];
export type ThresholdPolicy = ProblemDefinition['threshold'];

/** Whether `measurement.field` matches a pattern where `*` stands for any run of characters. */
export function matchesVariable(pattern: string, variable: string): boolean {
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[\\^$.|?+()[\]{}]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`, 'u').test(variable);
}

/** What `GET /api/problems/:name` answers: the definition, its version and when it was saved. */
export interface StoredProblem {
  definition: ProblemDefinition;
  /** 1, 2, … : every change is a new version; the older ones stay readable. */
  version: number;
  savedAt: string;
}
