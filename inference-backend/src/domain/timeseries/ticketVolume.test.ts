import { Rng } from '../../simulator/random';
import { countQuantile } from './countModel';
import { forecast } from './forecast';
import { holidayCalendar } from './holidays';
import { countTickets, forecastVolume, STEP_MS } from './ticketVolume';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Monday 2024-01-01 00:00 UTC. */
const MONDAY = Date.UTC(2024, 0, 1);

/** Tickets per hour of a NOC: busy office hours on weekdays, a quieter weekend, a night floor. */
function hourlyRate(timeMs: number, scale: number): number {
  const date = new Date(timeMs);
  const hour = date.getUTCHours();
  const dow = date.getUTCDay();
  const office = hour >= 8 && hour < 18 ? 1 : 0;
  const weekend = dow === 0 || dow === 6;
  return scale * (0.3 + (weekend ? 0.6 : 2.2) * office + 0.4 * Math.sin((Math.PI * hour) / 24));
}

function poissonCounts(rng: Rng, startMs: number, steps: number, stepMs: number, rate: (t: number) => number) {
  return Array.from({ length: steps }, (_, t) => rng.poisson(rate(startMs + t * stepMs)));
}

const meanAbsoluteError = (a: readonly number[], b: readonly number[]) =>
  a.reduce((sum, v, i) => sum + Math.abs(v - b[i]), 0) / a.length;

describe('countTickets', () => {
  it('When tickets are counted per hour, then each department and site gets a zero-filled series and the hour in progress is left out', () => {
    const at = (hours: number, minutes = 0) => MONDAY + hours * HOUR + minutes * 60_000;
    const tickets = [
      { openedAtMs: at(0, 5), department: 'network_ops', site: 'hq' },
      { openedAtMs: at(0, 50), department: 'network_ops', site: 'plant' },
      { openedAtMs: at(2, 1), department: 'facilities', site: 'hq' },
      { openedAtMs: at(3, 30), department: 'facilities', site: 'hq' }, // in the hour in progress
      { openedAtMs: at(-1), department: 'security', site: 'hq' }, // before the range
    ];
    const counts = countTickets(tickets, '1h', MONDAY + 10 * 60_000, at(3, 40));
    expect(counts.startMs).toBe(MONDAY);
    expect(counts.series).toEqual([
      { dimension: 'department', name: 'facilities', counts: [0, 0, 1] },
      { dimension: 'department', name: 'network_ops', counts: [2, 0, 0] },
      { dimension: 'site', name: 'hq', counts: [1, 0, 1] },
      { dimension: 'site', name: 'plant', counts: [1, 0, 0] },
    ]);
  });
});

describe('forecastVolume', () => {
  it('When hourly counts follow a weekly office pattern, then about 95% of held-out hours fall inside the 95% bounds, which are whole tickets ≥ 0 around the mean', () => {
    const horizon = 48;
    const history = 10 * 7 * 24;
    let inside = 0;
    let total = 0;
    let absoluteError = 0;
    for (let replicate = 0; replicate < 16; replicate++) {
      const rng = new Rng(1000 + replicate);
      // Origins on different hours and weekdays.
      const startMs = MONDAY + replicate * 29 * HOUR;
      const all = poissonCounts(rng, startMs, history + horizon, HOUR, (t) => hourlyRate(t, 1));
      const f = forecastVolume(all.slice(0, history), startMs, { step: '1h', horizon, level: 0.95 });
      const future = all.slice(history);
      future.forEach((y, h) => {
        expect(f.lower[h]).toBeGreaterThanOrEqual(0);
        expect(Number.isInteger(f.lower[h]) && Number.isInteger(f.upper[h])).toBe(true);
        expect(f.lower[h]).toBeLessThanOrEqual(f.point[h]);
        expect(f.point[h]).toBeLessThanOrEqual(f.upper[h]);
        if (y >= f.lower[h] && y <= f.upper[h]) inside++;
        total++;
        absoluteError += Math.abs(y - f.point[h]);
      });
    }
    const coverage = inside / total;
    process.stdout.write(
      `ticket volume, hourly, 95% intervals: coverage ${(100 * coverage).toFixed(1)}% of ${total} held-out hours, MAE ${(absoluteError / total).toFixed(3)}\n`
    );
    expect(coverage).toBeGreaterThan(0.93);
    expect(coverage).toBeLessThan(0.975);
  }, 600_000);

  it('When the counts are sparse (a few tickets a day), then bounds stay sensible: 0 below, a ticket or two above, and still about 95% covered', () => {
    let inside = 0;
    let total = 0;
    for (let replicate = 0; replicate < 12; replicate++) {
      const rng = new Rng(2000 + replicate);
      const startMs = MONDAY + replicate * 31 * HOUR;
      const all = poissonCounts(rng, startMs, 6 * 168 + 48, HOUR, (t) => hourlyRate(t, 0.1));
      const f = forecastVolume(all.slice(0, 6 * 168), startMs, { step: '1h', horizon: 48, level: 0.95 });
      all.slice(6 * 168).forEach((y, h) => {
        expect(f.lower[h]).toBe(0);
        expect(f.upper[h]).toBeLessThanOrEqual(3);
        if (y <= f.upper[h]) inside++;
        total++;
      });
    }
    expect(inside / total).toBeGreaterThan(0.93);
  }, 600_000);

  it.each([
    ['a week (a fresh install)', 7 * 24, 0.9],
    ['six weeks', 6 * 7 * 24, 1.02],
  ])(
    'When %s of hourly counts go to forecast.ts as well, then the count model is at least as close',
    (_name, history, ratio) => {
      const horizon = 48;
      let ours = 0;
      let theirs = 0;
      const replicates = 4;
      for (let replicate = 0; replicate < replicates; replicate++) {
        const rng = new Rng(3000 + replicate);
        const startMs = MONDAY + replicate * 37 * HOUR;
        const all = poissonCounts(rng, startMs, history + horizon, HOUR, (t) => hourlyRate(t, 1));
        const future = all.slice(history);
        ours += meanAbsoluteError(
          future,
          forecastVolume(all.slice(0, history), startMs, { step: '1h', horizon, level: 0.95 }).point
        );
        theirs += meanAbsoluteError(
          future,
          forecast(all.slice(0, history), { horizon, seasons: [24, 168], level: 0.95 }).point
        );
      }
      process.stdout.write(
        `hourly counts, ${history} h of history: MAE count model ${(ours / replicates).toFixed(3)}, forecast.ts ${(theirs / replicates).toFixed(3)}\n`
      );
      // With a week, forecast.ts can only repeat the last day (its seasonal naive): a Monday gets Sunday's counts.
      expect(ours).toBeLessThanOrEqual(theirs * ratio);
    },
    300_000
  );

  describe('public holidays', () => {
    const germany = holidayCalendar('DE');
    /** Daily tickets: 40 a weekday, 15 on Saturday and Sunday, and only 12 on a German public holiday. */
    const dailyRate = (timeMs: number) => {
      const dow = new Date(timeMs).getUTCDay();
      const holiday = germany.between(timeMs + 6 * HOUR, timeMs + 18 * HOUR).length > 0;
      return holiday ? 12 : dow === 0 || dow === 6 ? 15 : 40;
    };
    // 20 weeks from mid-December 2023, Christmas, New Year, Easter and Labour Day included; the
    // history ends Sunday 2024-05-05, so the next 15 days hold Ascension (Thursday 9 May) and
    // Whit Monday (20 May) beside ordinary Thursdays and Mondays.
    const startMs = Date.UTC(2023, 11, 18);
    const endMs = Date.UTC(2024, 4, 6);
    const days = (endMs - startMs) / DAY;
    const dayOf = (y: number, m: number, d: number) => (Date.UTC(y, m - 1, d) - endMs) / DAY;

    it('When the history shows holidays are quiet, then a holiday gets a lower forecast than the same weekday without one', () => {
      const counts = poissonCounts(new Rng(7), startMs, days, DAY, dailyRate);
      const f = forecastVolume(counts, startMs, { step: '1d', horizon: 15, level: 0.95, holidays: germany });
      const ascension = f.point[dayOf(2024, 5, 9)];
      const ordinaryThursday = f.point[dayOf(2024, 5, 16)];
      const whitMonday = f.point[dayOf(2024, 5, 20)];
      const ordinaryMonday = f.point[dayOf(2024, 5, 13)];
      expect(ascension).toBeLessThan(0.6 * ordinaryThursday);
      expect(whitMonday).toBeLessThan(0.6 * ordinaryMonday);
      expect(f.upper[dayOf(2024, 5, 20)]).toBeLessThan(f.lower[dayOf(2024, 5, 13)]);
    });

    it('When no holiday country is configured, then a holiday weekday is forecast like any other', () => {
      const counts = poissonCounts(new Rng(7), startMs, days, DAY, dailyRate);
      const f = forecastVolume(counts, startMs, { step: '1d', horizon: 15, level: 0.95 });
      const ratio = f.point[dayOf(2024, 5, 20)] / f.point[dayOf(2024, 5, 13)];
      expect(ratio).toBeGreaterThan(0.9);
      expect(ratio).toBeLessThan(1.1);
    });

    it('When hourly counts are quiet on holidays, then the hours of a holiday are forecast lower than those of the same weekday a week later', () => {
      const hours = days * 24;
      const counts = poissonCounts(new Rng(8), startMs, hours, HOUR, (t) => {
        const day = Math.floor(t / DAY) * DAY;
        return (hourlyRate(t, 1) * dailyRate(day)) / 40;
      });
      const f = forecastVolume(counts, startMs, { step: '1h', horizon: 15 * 24, level: 0.95, holidays: germany });
      // Local hours 08–18 of Whit Monday against those of the Monday before (CEST is UTC+2).
      const sum = (day: number) => f.point.slice(day * 24 + 6, day * 24 + 16).reduce((a, b) => a + b, 0);
      expect(sum(dayOf(2024, 5, 20))).toBeLessThan(0.6 * sum(dayOf(2024, 5, 13)));
    }, 300_000);

    it('When a holiday falls in a history with no holiday before it, then the forecast has no holiday effect to apply', () => {
      const shortStart = Date.UTC(2024, 3, 8); // 8 April: no German holiday until 1 May
      const shortDays = (endMs - shortStart) / DAY - 7;
      const counts = poissonCounts(new Rng(9), shortStart, shortDays, DAY, (t) => {
        const dow = new Date(t).getUTCDay();
        return dow === 0 || dow === 6 ? 15 : 40;
      });
      const f = forecastVolume(counts, shortStart, { step: '1d', horizon: 7, level: 0.95, holidays: germany });
      // History ends Sunday 28 April; Wednesday 1 May is the first holiday it meets.
      const labourDay = f.point[3];
      const thursday = f.point[4];
      expect(labourDay / thursday).toBeGreaterThan(0.85);
    });
  });

  it('When two years of daily counts have a summer peak, then the yearly terms carry it into the forecast', () => {
    const startMs = Date.UTC(2021, 0, 4); // a Monday
    const days = 3 * 364;
    const rate = (t: number) =>
      20 * (1 + 0.5 * Math.cos((2 * Math.PI * (t - Date.UTC(2021, 6, 1))) / (365.2425 * DAY)));
    const counts = poissonCounts(new Rng(11), startMs, days, DAY, rate);
    // History ends in late December: the forecast of the next two weeks is near the winter low.
    const f = forecastVolume(counts, startMs, { step: '1d', horizon: 14, level: 0.95 });
    const expected = Array.from({ length: 14 }, (_, h) => rate(startMs + (days + h) * DAY));
    expect(f.method).toContain('yearly yes');
    expect(meanAbsoluteError(expected, f.point)).toBeLessThan(3);
    const yearAverage = 20;
    expect(f.point.reduce((a, b) => a + b, 0) / 14).toBeLessThan(0.75 * yearAverage);
  }, 300_000);

  it('When the options or counts are unusable, then it says which', () => {
    expect(() => forecastVolume([1, 2], MONDAY, { step: '1h', horizon: 0, level: 0.9 })).toThrow(/horizon/);
    expect(() => forecastVolume([1, 2], MONDAY, { step: '1h', horizon: 2, level: 95 })).toThrow(/level/);
    expect(() => forecastVolume([1, 0.5], MONDAY, { step: '1h', horizon: 2, level: 0.9 })).toThrow(/whole number/);
    expect(() => forecastVolume([1], MONDAY + 1, { step: '1d', horizon: 2, level: 0.9 })).toThrow(/boundary/);
    expect(() => holidayCalendar('Narnia')).toThrow(/not a country/);
    expect(STEP_MS['1d']).toBe(DAY);
  });
});

describe('countQuantile', () => {
  it('When the mean is large, then the Poisson quantiles sit about 1.96 standard deviations either side', () => {
    expect(countQuantile(2000, 0, 0.975)).toBeGreaterThanOrEqual(2000 + 1.9 * Math.sqrt(2000));
    expect(countQuantile(2000, 0, 0.975)).toBeLessThanOrEqual(2000 + 2.0 * Math.sqrt(2000) + 1);
    expect(countQuantile(2000, 0, 0.025)).toBeLessThanOrEqual(2000 - 1.9 * Math.sqrt(2000));
    // Over-dispersion (variance μ + 0.1μ² at μ = 10, sd ≈ 4.5) widens the upper tail.
    expect(countQuantile(10, 0.1, 0.975)).toBeGreaterThan(countQuantile(10, 0, 0.975));
    // P(Y = 0) = e^−0.02 ≈ 0.980 ≥ 0.975, but e^−0.05 ≈ 0.951 is not.
    expect(countQuantile(0.02, 0, 0.975)).toBe(0);
    expect(countQuantile(0.05, 0, 0.975)).toBe(1);
  });
});
