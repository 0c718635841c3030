import { formatAge, formatDuration, formatTime, localizeInstants } from './format';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
/** 2026-11-26 01:43:09 UTC: 07:13:09 in India (UTC+05:30), 20:43:09 the day before in New York (UTC-05:00). */
const INSTANT_MS = Date.UTC(2026, 10, 26, 1, 43, 9);

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [45_000, '45s'],
    [12 * MINUTE_MS + 59_000, '12m'],
    [3 * HOUR_MS + 5 * MINUTE_MS, '3h 05m'],
    [2 * DAY_MS + 4 * HOUR_MS + 59 * MINUTE_MS, '2d 4h'],
  ])('shows %i ms as %s', (durationMs, text) => {
    expect(formatDuration(durationMs)).toBe(text);
  });

  it('shows a time slightly in the future (clock skew) as 0s', () => {
    expect(formatDuration(-5_000)).toBe('0s');
  });
});

describe('formatAge', () => {
  it.each([
    [0, 'just now'],
    [59_000, 'just now'],
    [12 * MINUTE_MS + 59_000, '12 min ago'],
    [HOUR_MS + 30_000, '1 h ago'],
    [3 * HOUR_MS + 5 * MINUTE_MS, '3 h 05 min ago'],
    [2 * DAY_MS + 30 * MINUTE_MS, '2 d ago'],
    [2 * DAY_MS + 4 * HOUR_MS + 59 * MINUTE_MS, '2 d 4 h ago'],
  ])('shows an age of %i ms as "%s"', (ageMs, text) => {
    expect(formatAge(ageMs)).toBe(text);
  });

  it('shows a time slightly in the future (clock skew) as just now', () => {
    expect(formatAge(-5_000)).toBe('just now');
  });
});

describe('formatTime', () => {
  it.each([
    ['utc', '2026-11-26 01:43:09'],
    ['Asia/Kolkata', '2026-11-26 07:13:09'],
    ['America/New_York', '2026-11-25 20:43:09'],
  ])('shows the instant on the clock of the %s time zone', (timeZone, text) => {
    expect(formatTime(INSTANT_MS, timeZone)).toBe(text);
  });
});

describe('localizeInstants', () => {
  it('When a root cause names a UTC instant, then the text shows it in the time zone and keeps the rest', () => {
    const rootCause = 'power switch hosp-01-ps-01 silent since 2026-11-26T01:43:09Z, 11 of 20 dependants affected';

    expect(localizeInstants(rootCause, 'Asia/Kolkata')).toBe(
      'power switch hosp-01-ps-01 silent since 2026-11-26 07:13:09, 11 of 20 dependants affected'
    );
  });

  it('rewrites every instant, with or without seconds and fractions, and leaves other dates alone', () => {
    const text = 'from 2026-11-26T01:43Z to 2026-11-26T01:43:09.250Z; logged 2026-11-26 01:43:09 (local)';

    expect(localizeInstants(text, 'America/New_York')).toBe(
      'from 2026-11-25 20:43:00 to 2026-11-25 20:43:09; logged 2026-11-26 01:43:09 (local)'
    );
  });
});
