/**
 * Timestamps as metric exports write them: ISO 8601 / NAB's `2014-02-14 14:30:00` (a space or
 * `T`, optional fraction, optional `Z` or ±hh:mm; no zone means UTC), or a Unix epoch integer
 * whose number of digits tells its unit (10 or fewer: seconds, up to 13: ms, up to 16: µs,
 * more: ns, as InfluxDB's `epoch=` exports give them).
 */
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;
const EPOCH = /^\d{1,19}$/;

/** Milliseconds since the Unix epoch, or undefined when `text` is no timestamp of these forms. */
export function parseTimestampMs(text: string): number | undefined {
  const trimmed = text.trim();
  if (EPOCH.test(trimmed)) {
    const digits = trimmed.replace(/^0+(?=\d)/, '').length;
    const value = Number(trimmed);
    if (digits <= 10) return value * 1000;
    if (digits <= 13) return value;
    if (digits <= 16) return value / 1000;
    return value / 1e6;
  }
  const m = DATE_TIME.exec(trimmed);
  if (!m) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', fraction = '', zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hours = Number(h);
  const minutes = Number(mi);
  const seconds = Number(s);
  if (month < 1 || month > 12 || day < 1 || hours > 23 || minutes > 59 || seconds > 59) return undefined;
  const utc = Date.UTC(year, month - 1, day, hours, minutes, seconds) + Number(`0.${fraction || '0'}`) * 1000;
  // Date.UTC rolls 31 February over into March: such a date is a typo, not a time.
  if (new Date(Date.UTC(year, month - 1, day)).getUTCDate() !== day) return undefined;
  if (!zone || zone.toUpperCase() === 'Z') return utc;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const offsetMinutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2));
  return utc - sign * offsetMinutes * 60_000;
}
