import { Rng } from '../../simulator/random';
import { MetricSpecError } from './metricSpec';
import { parseThresholdRules, timeToThreshold } from './timeToThreshold';
import type { TrendSample } from './timeToThreshold';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const NOW = Date.UTC(2024, 2, 12, 15, 0);
const DISK_FULL = { direction: 'above', value: 100 } as const;
const OPTIONS = { level: 0.95, horizonMs: 14 * DAY };

/**
 * Samples of `value(t)` as the forecast stage reads them: a mean per minute over the last six
 * hours, a mean per 15 minutes (weight 15) before that, back to `historyMs` before `endMs`.
 */
function telegraf(endMs: number, historyMs: number, value: (timeMs: number) => number): TrendSample[] {
  const out: TrendSample[] = [];
  const fineFrom = endMs - 6 * HOUR;
  for (let t = endMs - historyMs; t < fineFrom; t += 15 * MINUTE) {
    let sum = 0;
    for (let k = 1; k <= 15; k++) sum += value(t + k * MINUTE);
    out.push({ timeMs: t + 15 * MINUTE, value: sum / 15, weight: 15 });
  }
  for (let t = fineFrom + MINUTE; t <= endMs; t += MINUTE) out.push({ timeMs: t, value: value(t), weight: 1 });
  return out;
}

/** The simulator's disk: a log sawtooth, then used_percent climbs as (progress)² to 100 at fullMs. */
function fillingDisk(rng: Rng, startMs: number, fullMs: number, noise: number) {
  const sawtooth = (t: number) => 40 + 8 * ((t / (9 * DAY) + 0.3) % 1);
  return (t: number) => {
    let used = sawtooth(t) + noise * rng.normal();
    if (t >= startMs) {
      const progress = Math.min(1, (t - startMs) / (fullMs - startMs));
      used += (100 - used) * progress * progress;
    }
    return Math.min(100, Math.round(used * 100) / 100);
  };
}

const relativeError = (predictedMs: number, fullMs: number, nowMs: number) =>
  Math.abs(predictedMs - fullMs) / (fullMs - nowMs);

describe('timeToThreshold', () => {
  it.each([
    ['a quarter', 0.25],
    ['half', 0.5],
    ['three quarters', 0.75],
  ])(
    'When a disk fills up in two hours like the simulator’s and %s of the way is done, then the time until full is within 20%% of the truth',
    (_name, progress) => {
      const fillMs = 2 * HOUR;
      const startMs = NOW - progress * fillMs;
      const fullMs = startMs + fillMs;
      const samples = telegraf(NOW, 7 * DAY, fillingDisk(new Rng(1), startMs, fullMs, 0.02));
      const crossing = timeToThreshold(samples, DISK_FULL, OPTIONS);
      if (crossing.kind !== 'crossing') throw new Error(`expected a crossing, got ${JSON.stringify(crossing)}`);
      const error = relativeError(crossing.atMs, fullMs, NOW);
      process.stdout.write(
        `disk filling in 2 h, ${progress * 100}% done: time to full ${((crossing.atMs - NOW) / MINUTE).toFixed(1)} min ` +
          `(truth ${((fullMs - NOW) / MINUTE).toFixed(1)}), error ${(100 * error).toFixed(1)}%, ${crossing.model}\n`
      );
      expect(error).toBeLessThan(0.2);
      expect(crossing.lowerMs).toBeLessThanOrEqual(crossing.atMs);
      expect(crossing.upperMs ?? Number.POSITIVE_INFINITY).toBeGreaterThanOrEqual(crossing.atMs);
    }
  );

  it('When the disk fill is noisy (±0.5 points of used_percent), then the time until full stays within 20% of the truth', () => {
    const errors: number[] = [];
    for (let seed = 1; seed <= 10; seed++) {
      const fillMs = 4 * HOUR;
      const startMs = NOW - 2 * HOUR;
      const fullMs = startMs + fillMs;
      const samples = telegraf(NOW, 2 * DAY, fillingDisk(new Rng(seed), startMs, fullMs, 0.5));
      const crossing = timeToThreshold(samples, DISK_FULL, OPTIONS);
      if (crossing.kind !== 'crossing')
        throw new Error(`seed ${seed}: expected a crossing, got ${JSON.stringify(crossing)}`);
      errors.push(relativeError(crossing.atMs, fullMs, NOW));
    }
    process.stdout.write(
      `noisy 4 h disk fill, half done: errors ${errors.map((e) => `${(100 * e).toFixed(1)}%`).join(' ')}\n`
    );
    expect(Math.max(...errors)).toBeLessThan(0.2);
  });

  it('When a disk grows slowly for weeks under a daily cycle and noise, then the crossing days ahead is within 20% of the truth and inside its interval', () => {
    const rng = new Rng(5);
    let ar = 0;
    const perDay = 3;
    const value = (t: number) => {
      ar = 0.9 * ar + 0.15 * rng.normal();
      const daily = 1.2 * Math.sin((2 * Math.PI * (t % DAY)) / DAY);
      return 70 + (perDay * (t - NOW)) / DAY + daily + ar;
    };
    const samples = telegraf(NOW, 7 * DAY, value);
    const fullMs = NOW + (30 / perDay) * DAY;
    const crossing = timeToThreshold(samples, DISK_FULL, OPTIONS);
    if (crossing.kind !== 'crossing') throw new Error(`expected a crossing, got ${JSON.stringify(crossing)}`);
    const error = relativeError(crossing.atMs, fullMs, NOW);
    process.stdout.write(
      `disk growing 3 points a day: ${((crossing.atMs - NOW) / DAY).toFixed(2)} d to full (truth 10 d), error ${(100 * error).toFixed(1)}%, ${crossing.model}\n`
    );
    expect(error).toBeLessThan(0.2);
    expect(crossing.lowerMs).toBeLessThanOrEqual(fullMs);
    expect(crossing.upperMs ?? Number.POSITIVE_INFINITY).toBeGreaterThanOrEqual(fullMs);
  });

  it.each([
    ['flat', () => 55],
    ['falling', (t: number) => 80 - (2 * (t - NOW)) / HOUR],
    ['a sawtooth after a log rotation', (t: number) => 40 + 8 * ((t / (9 * DAY) + 0.95) % 1)],
  ])('When the series is %s, then there is no forecast, not a date far away', (_name, level) => {
    const rng = new Rng(3);
    const samples = telegraf(NOW, 7 * DAY, (t) => level(t) + 0.3 * rng.normal());
    const crossing = timeToThreshold(samples, DISK_FULL, OPTIONS);
    expect(crossing.kind).toBe('none');
  });

  it('When an outdoor sensor warms every morning, then the morning rise is not extrapolated to the 70 °C threshold', () => {
    const rng = new Rng(4);
    const samples = telegraf(
      NOW + 3 * HOUR,
      7 * DAY,
      (t) => 14 + 6 * Math.sin((2 * Math.PI * (t - 9 * HOUR)) / DAY) + 0.15 * rng.normal()
    );
    expect(timeToThreshold(samples, { direction: 'above', value: 70 }, OPTIONS).kind).toBe('none');
  });

  it('When a PLC heats up towards 70 °C, then the crossing is forecast before it happens', () => {
    const rng = new Rng(6);
    const startMs = NOW - 90 * MINUTE;
    // 40 °C rising by 36 °C over 3 h as progress^1.5, like the simulator's overheating: 70 °C at 2.49 h.
    const temperature = (t: number) => 40 + (t > startMs ? 36 * Math.min(1, (t - startMs) / (3 * HOUR)) ** 1.5 : 0);
    const truthMs = startMs + 3 * HOUR * (30 / 36) ** (1 / 1.5);
    const samples = telegraf(NOW, 2 * DAY, (t) => temperature(t) + 0.15 * rng.normal());
    const crossing = timeToThreshold(samples, { direction: 'above', value: 70 }, OPTIONS);
    if (crossing.kind !== 'crossing') throw new Error(`expected a crossing, got ${JSON.stringify(crossing)}`);
    expect(relativeError(crossing.atMs, truthMs, NOW)).toBeLessThan(0.2);
  });

  it('When the threshold is below (a UPS battery draining to 20%), then the falling series crosses it', () => {
    const samples = telegraf(NOW, DAY, (t) => (t < NOW - HOUR ? 100 : 100 - (40 * (t - (NOW - HOUR))) / HOUR));
    const crossing = timeToThreshold(samples, { direction: 'below', value: 20 }, OPTIONS);
    if (crossing.kind !== 'crossing') throw new Error(`expected a crossing, got ${JSON.stringify(crossing)}`);
    expect(relativeError(crossing.atMs, NOW + HOUR, NOW)).toBeLessThan(0.1);
  });

  it('When the disk is already full, then it says so with no time left', () => {
    const samples = telegraf(NOW, DAY, (t) => (t > NOW - 20 * MINUTE ? 100 : 60));
    expect(timeToThreshold(samples, DISK_FULL, OPTIONS)).toEqual({ kind: 'reached', atMs: NOW });
  });

  it('When there are only a few samples, then there is no forecast', () => {
    const few = [0, 1, 2].map((k) => ({ timeMs: NOW - k * MINUTE, value: 90 + k, weight: 1 }));
    expect(timeToThreshold(few, DISK_FULL, OPTIONS).kind).toBe('none');
  });
});

describe('parseThresholdRules', () => {
  it('When thresholds are listed, then each names its metric, direction and value', () => {
    const rules = parseThresholdRules('disk.used_percent>=100, sensors.temperature_c{kind=plc}>70,sensors.power_w<=10');
    expect(rules.map((r) => [r.spec.measurement, r.spec.field, r.spec.where, r.direction, r.value])).toEqual([
      ['disk', 'used_percent', {}, 'above', 100],
      ['sensors', 'temperature_c', { kind: 'plc' }, 'above', 70],
      ['sensors', 'power_w', {}, 'below', 10],
    ]);
  });

  it.each([
    ['disk.used_percent', /not measurement\.field>=value/],
    ['disk.used_percent>=full', /not measurement\.field>=value/],
    ['net.bytes_recv:counter>=5', /counter/],
    ['disk.used_percent>=90,disk.used_percent>=100', /listed twice/],
    ['', /no threshold/],
  ])('When the setting is "%s", then it is refused with a reason', (text, reason) => {
    expect(() => parseThresholdRules(text)).toThrow(MetricSpecError);
    expect(() => parseThresholdRules(text)).toThrow(reason);
  });
});
