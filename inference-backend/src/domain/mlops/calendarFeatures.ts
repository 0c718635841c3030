/**
 * Calendar facts about a moment, as models see them: when a ticket is opened decides whether
 * someone is there to work on it. Times are UTC, like the ticket history (sites keep UTC).
 */

// Bound once: jest's sandboxed global makes every `Math.x` lookup in a hot loop several times slower.
const { floor } = Math;

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * Public holidays (month-day, every year). The simulator keeps the same list for generating
 * tickets; the domain holds its own copy because models must not depend on simulator code, and
 * a real NOC would configure its own.
 */
export const DEFAULT_HOLIDAYS_MM_DD: readonly string[] = [
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

/** Staffed hours of a working day, [start, end) in UTC hours. */
export const BUSINESS_START_HOUR = 8;
export const BUSINESS_END_HOUR = 18;

export interface CalendarFeatures {
  /** Fractional hour, 0 ≤ h < 24. */
  hourOfDay: number;
  /** 0 = Sunday … 6 = Saturday. */
  dayOfWeek: number;
  isWeekend: boolean;
  isHoliday: boolean;
  /** 0 = January … 11 = December. */
  month: number;
  /** December to February: storms, heating and staffing trouble. */
  isWinter: boolean;
  /** June to August: cooling load and holiday staffing. */
  isSummer: boolean;
  /** A working day (not weekend, not holiday) between the start and end of business hours. */
  isBusinessHours: boolean;
  /** Hours until staff are next in; 0 during business hours. Out-of-hours work waits for this. */
  hoursToBusinessStart: number;
}

function isWorkingDay(dayStartMs: number, holidays: readonly string[]): boolean {
  const dow = (floor(dayStartMs / DAY_MS) + 4) % 7;
  return dow !== 0 && dow !== 6 && !holidays.includes(new Date(dayStartMs).toISOString().slice(5, 10));
}

export function calendarFeaturesOf(
  timeMs: number,
  holidays: readonly string[] = DEFAULT_HOLIDAYS_MM_DD
): CalendarFeatures {
  const dayStartMs = floor(timeMs / DAY_MS) * DAY_MS;
  const hourOfDay = (timeMs - dayStartMs) / HOUR_MS;
  // 1970-01-01 was a Thursday.
  const dayOfWeek = (floor(timeMs / DAY_MS) + 4) % 7;
  const month = new Date(dayStartMs).getUTCMonth();
  const isHoliday = holidays.includes(new Date(dayStartMs).toISOString().slice(5, 10));
  const workingDay = isWorkingDay(dayStartMs, holidays);
  const isBusinessHours = workingDay && hourOfDay >= BUSINESS_START_HOUR && hourOfDay < BUSINESS_END_HOUR;
  let hoursToBusinessStart = 0;
  if (!isBusinessHours) {
    let day = hourOfDay < BUSINESS_START_HOUR ? dayStartMs : dayStartMs + DAY_MS;
    // Bounded: no calendar has more than a couple of weeks without a working day.
    for (let i = 0; i < 14 && !isWorkingDay(day, holidays); i++) day += DAY_MS;
    hoursToBusinessStart = (day + BUSINESS_START_HOUR * HOUR_MS - timeMs) / HOUR_MS;
  }
  return {
    hourOfDay,
    dayOfWeek,
    isWeekend: dayOfWeek === 0 || dayOfWeek === 6,
    isHoliday,
    month,
    isWinter: month === 11 || month <= 1,
    isSummer: month >= 5 && month <= 7,
    isBusinessHours,
    hoursToBusinessStart,
  };
}
