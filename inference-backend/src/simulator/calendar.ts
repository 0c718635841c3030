import type { SiteKind } from '@nocai/contract';

// Bound once: jest's sandboxed global makes every `Math.x` lookup in a hot loop several times slower.
const { floor } = Math;

/** Simulated time is in microseconds since the epoch, like SeriesPoint.timeUs. Sites keep UTC. */
export const SECOND_US = 1_000_000;
export const MINUTE_US = 60 * SECOND_US;
export const HOUR_US = 60 * MINUTE_US;
export const DAY_US = 24 * HOUR_US;

/** Public holidays (month-day, every year): fewer tickets, like weekends. */
export const HOLIDAYS_MM_DD: readonly string[] = [
  '01-01',
  '05-01',
  '05-08',
  '07-14',
  '08-15',
  '11-01',
  '11-11',
  '12-25',
  '12-26',
];

/** 0 = Sunday … 6 = Saturday (1970-01-01 was a Thursday). */
export function dayOfWeek(timeUs: number): number {
  return (floor(timeUs / DAY_US) + 4) % 7;
}

export function isWeekend(timeUs: number): boolean {
  const d = dayOfWeek(timeUs);
  return d === 0 || d === 6;
}

export function isHoliday(timeUs: number): boolean {
  return HOLIDAYS_MM_DD.includes(new Date(timeUs / 1000).toISOString().slice(5, 10));
}

export function hourOfDay(timeUs: number): number {
  return (timeUs % DAY_US) / HOUR_US;
}

export function startOfDayUs(timeUs: number): number {
  return floor(timeUs / DAY_US) * DAY_US;
}

export function isoUs(timeUs: number): string {
  return new Date(floor(timeUs / 1000)).toISOString();
}

/**
 * How busy a site is, by site kind and hour of a weekday, roughly 0.2-1.1. Hospitals never sleep,
 * factories run two shifts, hotels peak in the morning and evening, cities at commuting hours.
 */
const WEEKDAY_PROFILE: Record<SiteKind, readonly number[]> = {
  hospital: [
    0.55, 0.5, 0.5, 0.5, 0.52, 0.58, 0.7, 0.85, 0.95, 1, 1, 1, 0.98, 1, 1, 0.98, 0.92, 0.85, 0.8, 0.75, 0.7, 0.65, 0.6,
    0.57,
  ],
  factory: [0.3, 0.3, 0.3, 0.3, 0.32, 0.5, 0.95, 1, 1, 1, 1, 1, 0.95, 0.9, 0.97, 1, 1, 1, 1, 1, 0.98, 0.9, 0.55, 0.35],
  hotel: [
    0.45, 0.4, 0.38, 0.38, 0.4, 0.5, 0.75, 0.95, 0.9, 0.7, 0.6, 0.58, 0.6, 0.58, 0.55, 0.58, 0.65, 0.8, 0.95, 1, 1,
    0.95, 0.8, 0.6,
  ],
  smart_city: [
    0.3, 0.25, 0.22, 0.22, 0.3, 0.5, 0.8, 1, 0.95, 0.75, 0.7, 0.72, 0.75, 0.72, 0.72, 0.78, 0.9, 1, 0.95, 0.75, 0.6,
    0.5, 0.42, 0.35,
  ],
};

/** Multiplier per day of week, Sunday first. */
const WEEK_FACTOR: Record<SiteKind, readonly number[]> = {
  hospital: [0.85, 1, 1, 1, 1, 1, 0.88],
  factory: [0.3, 1, 1, 1, 1, 0.95, 0.5],
  hotel: [1.1, 0.85, 0.85, 0.9, 0.95, 1.05, 1.15],
  smart_city: [0.7, 1, 1, 1, 1, 1, 0.8],
};

export function activity(kind: SiteKind, timeUs: number): number {
  const hour = hourOfDay(timeUs);
  const h0 = floor(hour);
  const frac = hour - h0;
  const profile = WEEKDAY_PROFILE[kind];
  const level = profile[h0] * (1 - frac) + profile[(h0 + 1) % 24] * frac;
  return level * WEEK_FACTOR[kind][dayOfWeek(timeUs)];
}
