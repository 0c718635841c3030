/**
 * Public holidays of one country, from the `date-holidays` library (maintained rules for about
 * 200 countries: fixed dates, Easter-based feasts, substitute days, each in the country's own time
 * zone). Only holidays of type `public` count: banks' and schools' days off and observances
 * (Valentine's Day) leave a NOC's ticket volume as it is.
 */
import Holidays from 'date-holidays';

export interface HolidaySpan {
  /** Epoch ms of the holiday's start and end in the country's time zone (a German holiday starts 23:00 UTC). */
  startMs: number;
  endMs: number;
  name: string;
}

export interface HolidayCalendar {
  /** ISO 3166-1 alpha-2 code, e.g. `DE`, `US`. */
  country: string;
  /** The holidays that overlap [fromMs, toMs), oldest first. */
  between(fromMs: number, toMs: number): HolidaySpan[];
}

export class UnknownCountryError extends Error {
  constructor(country: string) {
    super(`"${country}" is not a country the holiday library knows: give an ISO 3166-1 code such as DE, FR or US`);
    this.name = 'UnknownCountryError';
  }
}

/** The public holidays of `country` (case-insensitive ISO 3166-1 alpha-2 code); throws UnknownCountryError. */
export function holidayCalendar(country: string): HolidayCalendar {
  const code = country.trim().toUpperCase();
  const known = new Holidays().getCountries();
  if (!/^[A-Z]{2}$/.test(code) || !Object.prototype.hasOwnProperty.call(known, code)) {
    throw new UnknownCountryError(country);
  }
  const library = new Holidays(code, { types: ['public'] });
  const byYear = new Map<number, HolidaySpan[]>();
  const yearOf = (year: number) => {
    let spans = byYear.get(year);
    if (!spans) {
      spans = library
        .getHolidays(year)
        .filter((h) => h.type === 'public')
        .map((h) => ({ startMs: h.start.getTime(), endMs: h.end.getTime(), name: h.name }));
      byYear.set(year, spans);
    }
    return spans;
  };
  return {
    country: code,
    between(fromMs, toMs) {
      const out: HolidaySpan[] = [];
      // A holiday of 1 January in a time zone east of UTC starts on 31 December UTC: one year either side.
      const first = new Date(fromMs).getUTCFullYear() - 1;
      const last = new Date(toMs).getUTCFullYear() + 1;
      for (let year = first; year <= last; year++) {
        for (const span of yearOf(year)) if (span.endMs > fromMs && span.startMs < toMs) out.push(span);
      }
      return out.sort((a, b) => a.startMs - b.startMs);
    },
  };
}
