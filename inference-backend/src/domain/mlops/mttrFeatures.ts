import { DEPARTMENTS, DEVICE_KINDS, EVENT_CLASSES, PRIORITIES, SITE_KINDS } from '@nocai/contract';
import type { DeviceKind, EventClass, Priority, SiteKind, TicketHistoryRow } from '@nocai/contract';
import { calendarFeaturesOf, DEFAULT_HOLIDAYS_MM_DD } from './calendarFeatures';
import type { CalendarFeatures } from './calendarFeatures';

/**
 * Features of the MTTR model. The schema is stored with every model and lists its columns in
 * order: serving builds exactly the columns the model was trained with. A model is only served by
 * code that knows its schema's version; change the version whenever a column's meaning changes.
 * Version 2 takes its department columns from the training history (the organisation's own
 * departments among them) and adds a `department=(other)` column.
 */
export const MTTR_FEATURE_VERSION = 'mttr-features/2';

/**
 * The schema versions this code serves. Version 1 (models registered before version 2) listed one
 * column per built-in department and no "other" column: built as listed, a department outside
 * the six leaves its group at zero, as it always did.
 */
export const MTTR_FEATURE_VERSIONS_SERVED: readonly string[] = ['mttr-features/1', MTTR_FEATURE_VERSION];

/** The one-hot column of the departments the history had too few rows of, or none. */
export const OTHER_DEPARTMENT_COLUMN = 'department=(other)';

/** What is known about a ticket when it is opened; `resolved_at` is what the model predicts. */
export interface MttrTicketInput {
  /** ISO 8601 or ms since the epoch, UTC. */
  openedAt: string | number;
  eventClass: EventClass;
  /** One of the six built-in departments or one of the organisation's own. */
  department: string;
  priority: Priority;
  siteKind: SiteKind;
  deviceKind: DeviceKind;
  /** Opened for a detected incident rather than reported by hand: its end decides the resolution. */
  fromIncident: boolean;
}

export type MttrCategorical = 'class' | 'department' | 'priority' | 'site_kind' | 'device_kind';
type CalendarColumn = keyof CalendarFeatures;

/** One input column of the model, in order. */
export type MttrFeatureSpec =
  | { name: string; kind: 'one_hot'; source: MttrCategorical; value: string }
  /** 1 when the ticket's value has no `one_hot` column of the same source in the schema. */
  | { name: string; kind: 'other'; source: MttrCategorical }
  | { name: string; kind: 'numeric' | 'flag'; source: CalendarColumn | 'priority_rank' | 'from_incident' };

export interface MttrFeatureSchema {
  version: string;
  features: MttrFeatureSpec[];
  /** The holiday calendar the model was trained with (month-day). */
  holidaysMmDd: string[];
}

/**
 * Class and priority are closed sets on every ticket; site and device kinds come from the
 * inventory's closed sets (or are empty when a ticket names no known place). Departments are open:
 * their columns come from the training history (`mttrDepartmentColumns`).
 */
const CATEGORIES = (departments: readonly string[]): ReadonlyArray<readonly [MttrCategorical, readonly string[]]> => [
  ['class', EVENT_CLASSES],
  ['department', departments],
  ['priority', PRIORITIES],
  ['site_kind', SITE_KINDS],
  ['device_kind', DEVICE_KINDS],
];

const CALENDAR_COLUMNS: ReadonlyArray<readonly [CalendarColumn, 'numeric' | 'flag']> = [
  ['hourOfDay', 'numeric'],
  ['dayOfWeek', 'numeric'],
  ['isWeekend', 'flag'],
  ['isHoliday', 'flag'],
  ['month', 'numeric'],
  ['isWinter', 'flag'],
  ['isSummer', 'flag'],
  ['isBusinessHours', 'flag'],
  ['hoursToBusinessStart', 'numeric'],
];

const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * The departments that get a column of their own: those with at least `minRows` rows in `rows`
 * (the training rows, never the holdout), the built-in ones first in their order, then the
 * organisation's own alphabetically. A department rarer than that falls into the "other" column:
 * with fewer rows than a tree's leaf must hold, a column of its own could never be split on.
 */
export function mttrDepartmentColumns(rows: ReadonlyArray<{ department: string }>, minRows: number): string[] {
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(row.department, (counts.get(row.department) ?? 0) + 1);
  const frequent = (department: string) => (counts.get(department) ?? 0) >= minRows;
  const own = [...counts.keys()].filter((d) => !(DEPARTMENTS as readonly string[]).includes(d) && frequent(d)).sort();
  return [...DEPARTMENTS.filter(frequent), ...own];
}

/** The columns of a model whose one-hot departments are `departments` (by default the six built-in ones). */
export function mttrFeatureSchema(
  departments: readonly string[] = DEPARTMENTS,
  holidaysMmDd: readonly string[] = DEFAULT_HOLIDAYS_MM_DD
): MttrFeatureSchema {
  const features: MttrFeatureSpec[] = [];
  for (const [source, values] of CATEGORIES(departments)) {
    for (const value of values) features.push({ name: `${source}=${value}`, kind: 'one_hot', source, value });
    if (source === 'department') features.push({ name: OTHER_DEPARTMENT_COLUMN, kind: 'other', source });
  }
  // Priorities are ordered: one rank column lets a single split separate "P1-P2" from "P3-P4".
  features.push({ name: 'priority_rank', kind: 'numeric', source: 'priority_rank' });
  for (const [source, kind] of CALENDAR_COLUMNS) features.push({ name: snake(source), kind, source });
  features.push({ name: 'from_incident', kind: 'flag', source: 'from_incident' });
  return { version: MTTR_FEATURE_VERSION, features, holidaysMmDd: [...holidaysMmDd] };
}

export function mttrInputOf(row: TicketHistoryRow): MttrTicketInput {
  return {
    openedAt: row.opened_at,
    eventClass: row.class,
    department: row.department,
    priority: row.priority,
    siteKind: row.site_kind,
    deviceKind: row.device_kind,
    fromIncident: row.incident_id !== '',
  };
}

function categoricalValue(input: MttrTicketInput, source: MttrCategorical): string {
  switch (source) {
    case 'class':
      return input.eventClass;
    case 'department':
      return input.department;
    case 'priority':
      return input.priority;
    case 'site_kind':
      return input.siteKind;
    case 'device_kind':
      return input.deviceKind;
  }
}

/** What a ticket says about one feature's source column, for explanations ("priority=P4"). */
export function describeFeatureSource(input: MttrTicketInput, spec: MttrFeatureSpec): string {
  if (isCategoryColumn(spec)) return `${spec.source}=${categoricalValue(input, spec.source)}`;
  // The rank is another view of the priority: a reader wants one "priority" effect, not two.
  return spec.source === 'priority_rank' ? `priority=${input.priority}` : spec.name;
}

export function openedAtMs(input: MttrTicketInput): number {
  const ms = typeof input.openedAt === 'number' ? input.openedAt : Date.parse(input.openedAt);
  if (!Number.isFinite(ms)) throw new RangeError(`openedAt is not a valid time: ${String(input.openedAt)}`);
  return ms;
}

/** A column that one value of a category sets (its own, or "other"), rather than a number. */
export function isCategoryColumn(spec: MttrFeatureSpec): spec is Extract<MttrFeatureSpec, { source: MttrCategorical }> {
  return spec.kind === 'one_hot' || spec.kind === 'other';
}

/** Per schema, the values of each category that have a column of their own: what "other" is not. */
const columnValues = new WeakMap<MttrFeatureSchema, Map<MttrCategorical, Set<string>>>();

function valuesWithColumn(schema: MttrFeatureSchema): Map<MttrCategorical, Set<string>> {
  let known = columnValues.get(schema);
  if (!known) {
    known = new Map();
    for (const spec of schema.features) {
      if (spec.kind !== 'one_hot') continue;
      const values = known.get(spec.source) ?? new Set<string>();
      values.add(spec.value);
      known.set(spec.source, values);
    }
    columnValues.set(schema, known);
  }
  return known;
}

/**
 * Writes the features of `input` into `out` (float32, as the model reads them) at `offset`, in
 * the schema's column order. A category value without a column of its own sets the category's
 * "other" column; in a schema without one (version 1), it leaves its one-hot group at zero.
 */
export function writeMttrFeatures(
  schema: MttrFeatureSchema,
  input: MttrTicketInput,
  out: Float32Array,
  offset = 0
): void {
  if (!MTTR_FEATURE_VERSIONS_SERVED.includes(schema.version)) {
    throw new Error(
      `MTTR feature schema ${schema.version} is not served by this code (${MTTR_FEATURE_VERSIONS_SERVED.join(', ')})`
    );
  }
  const calendar = calendarFeaturesOf(openedAtMs(input), schema.holidaysMmDd);
  schema.features.forEach((spec, f) => {
    let value: number;
    if (spec.kind === 'one_hot') value = categoricalValue(input, spec.source) === spec.value ? 1 : 0;
    else if (spec.kind === 'other') {
      value = valuesWithColumn(schema).get(spec.source)?.has(categoricalValue(input, spec.source)) ? 0 : 1;
    } else if (spec.source === 'priority_rank') value = PRIORITIES.indexOf(input.priority) + 1;
    else if (spec.source === 'from_incident') value = input.fromIncident ? 1 : 0;
    else value = Number(calendar[spec.source]);
    out[offset + f] = value;
  });
}

export function mttrFeatures(schema: MttrFeatureSchema, input: MttrTicketInput): Float32Array {
  const out = new Float32Array(schema.features.length);
  writeMttrFeatures(schema, input, out);
  return out;
}
