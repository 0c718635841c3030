import { DEPARTMENTS, DEVICE_KINDS, EVENT_CLASSES, PRIORITIES, SITE_KINDS } from '@nocai/contract';
import type { Department, DeviceKind, EventClass, Priority, SiteKind, TicketHistoryRow } from '@nocai/contract';
import { calendarFeaturesOf, DEFAULT_HOLIDAYS_MM_DD } from './calendarFeatures';
import type { CalendarFeatures } from './calendarFeatures';

/**
 * Features of the MTTR model. The schema is stored with every model: a model is only served by
 * code of the same `MTTR_FEATURE_VERSION`; change the version whenever a column's meaning or
 * order changes.
 */
export const MTTR_FEATURE_VERSION = 'mttr-features/1';

/** What is known about a ticket when it is opened; `resolved_at` is what the model predicts. */
export interface MttrTicketInput {
  /** ISO 8601 or ms since the epoch, UTC. */
  openedAt: string | number;
  eventClass: EventClass;
  department: Department;
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
  | { name: string; kind: 'numeric' | 'flag'; source: CalendarColumn | 'priority_rank' | 'from_incident' };

export interface MttrFeatureSchema {
  version: string;
  features: MttrFeatureSpec[];
  /** The holiday calendar the model was trained with (month-day). */
  holidaysMmDd: string[];
}

const CATEGORIES: ReadonlyArray<readonly [MttrCategorical, readonly string[]]> = [
  ['class', EVENT_CLASSES],
  ['department', DEPARTMENTS],
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

export function mttrFeatureSchema(holidaysMmDd: readonly string[] = DEFAULT_HOLIDAYS_MM_DD): MttrFeatureSchema {
  const features: MttrFeatureSpec[] = [];
  for (const [source, values] of CATEGORIES) {
    for (const value of values) features.push({ name: `${source}=${value}`, kind: 'one_hot', source, value });
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
  if (spec.kind === 'one_hot') return `${spec.source}=${categoricalValue(input, spec.source)}`;
  // The rank is another view of the priority: a reader wants one "priority" effect, not two.
  return spec.source === 'priority_rank' ? `priority=${input.priority}` : spec.name;
}

export function openedAtMs(input: MttrTicketInput): number {
  const ms = typeof input.openedAt === 'number' ? input.openedAt : Date.parse(input.openedAt);
  if (!Number.isFinite(ms)) throw new RangeError(`openedAt is not a valid time: ${String(input.openedAt)}`);
  return ms;
}

/**
 * Writes the features of `input` into `out` (float32, as the model reads them) at `offset`.
 * A category value the schema does not know leaves its one-hot group at zero.
 */
export function writeMttrFeatures(
  schema: MttrFeatureSchema,
  input: MttrTicketInput,
  out: Float32Array,
  offset = 0
): void {
  if (schema.version !== MTTR_FEATURE_VERSION) {
    throw new Error(`MTTR feature schema ${schema.version} is not served by this code (${MTTR_FEATURE_VERSION})`);
  }
  const calendar = calendarFeaturesOf(openedAtMs(input), schema.holidaysMmDd);
  schema.features.forEach((spec, f) => {
    let value: number;
    if (spec.kind === 'one_hot') value = categoricalValue(input, spec.source) === spec.value ? 1 : 0;
    else if (spec.source === 'priority_rank') value = PRIORITIES.indexOf(input.priority) + 1;
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
