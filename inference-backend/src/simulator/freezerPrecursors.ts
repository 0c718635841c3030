import type { SeriesPoint } from '../domain/series';
import { Rng } from './random';

/**
 * Freezers whose warm-ups have a learnable precursor (issue 12's fixture for predictive alert
 * problems): measurement `freezer`, tags `host`, `site`, `kind=freezer`, fields
 *
 * - `temperature_c`: about −22 °C (±0.3 noise, following the set-point); during an episode it stays
 *   flat until the last 20 minutes, then climbs to −14…−12 °C and holds for 40 minutes before
 *   recovering: the event "temperature_c > −18 for 10 minutes";
 * - `compressor_current_a`: about 4 A; during the 2.5 hours before the warm-up it ramps up by
 *   3 A (a failing compressor working harder);
 * - `door_open_count`: door openings per sample, Poisson(0.6); during the 2 hours before the
 *   warm-up Poisson(3) (a loading rush that the weakened compressor cannot absorb);
 * - `setpoint_c`: the controllable set-point, −22 °C, occasionally moved by ±1 °C.
 *
 * Only the two precursors together announce a warm-up: decoys have one of them alone (a defrost
 * cycle ramps the current, a loading rush with a healthy compressor), so no single series predicts
 * the event as well as both do. On purpose, a share of warm-ups has no precursor at all, which no
 * model can foresee. Episodes start at random (about one per `episodeEveryHours` + 4 h per freezer).
 * Seeded: the same options give the same points.
 *
 * With `precooled` > 0, that share of the foreseeable warm-ups is pre-empted by an operator who
 * lowers the set-point to −25 °C when the precursors start: the precursors come, the warm-up does
 * not (the colder goods absorb the rush). What the set-point does is then learnable, so the "how
 * it could have been avoided" search has a real remedy to find. Decided by a generator of its own:
 * with the default 0 the points are the same as without the option.
 */

export interface FreezerOptions {
  freezers: number;
  startMs: number;
  days: number;
  /** Milliseconds between samples. */
  sampleMs: number;
  episodeEveryHours: number;
  /** Share of warm-ups without precursors. */
  unforeseeable: number;
  /** Share of foreseeable warm-ups pre-empted by lowering the set-point (see above). */
  precooled: number;
  seed: number;
}

export const DEFAULT_FREEZER_OPTIONS: FreezerOptions = {
  freezers: 4,
  startMs: Date.UTC(2026, 0, 1),
  days: 30,
  sampleMs: 5 * 60_000,
  episodeEveryHours: 20,
  unforeseeable: 0.15,
  precooled: 0,
  seed: 7,
};

/** The set-point of a pre-empted warm-up, °C. */
export const PRECOOLED_SETPOINT_C = -25;

export const FREEZER_MEASUREMENT = 'freezer';

export interface FreezerPoint {
  host: string;
  site: string;
  timeMs: number;
  temperatureC: number;
  compressorCurrentA: number;
  doorOpenCount: number;
  setpointC: number;
}

/** When each warm-up crosses −18 °C, per host: the ground truth of the fixture. */
export interface FreezerTruth {
  host: string;
  crossingMs: number;
  foreseeable: boolean;
}

const RAMP_MS = 150 * 60_000;
const RUSH_MS = 120 * 60_000;
const RISE_MS = 20 * 60_000;
const HOLD_MS = 40 * 60_000;
const RECOVER_MS = 30 * 60_000;

export function generateFreezers(options: Partial<FreezerOptions> = {}): {
  points: FreezerPoint[];
  truth: FreezerTruth[];
} {
  const o = { ...DEFAULT_FREEZER_OPTIONS, ...options };
  const points: FreezerPoint[] = [];
  const truth: FreezerTruth[] = [];
  const endMs = o.startMs + o.days * 86_400_000;
  for (let f = 0; f < o.freezers; f++) {
    const rng = new Rng(o.seed * 1000 + f);
    const host = `freezer-${String(f + 1).padStart(2, '0')}`;
    const site = `plant-${(f % 2) + 1}`;
    // Warm-ups (their crossing times) and decoy rushes, spaced so that episodes do not overlap.
    const crossings: Array<{ at: number; foreseeable: boolean }> = [];
    const rushes: number[] = [];
    const ramps: number[] = [];
    let t = o.startMs + 3 * 3_600_000;
    for (;;) {
      t += rng.exponential(o.episodeEveryHours * 3_600_000) + 4 * 3_600_000;
      if (t >= endMs - 3_600_000) break;
      const kind = rng.next();
      if (kind < 0.25) rushes.push(t);
      else if (kind < 0.5) ramps.push(t);
      else crossings.push({ at: t, foreseeable: !rng.chance(o.unforeseeable) });
    }
    // Pre-empted warm-ups keep their precursors but lose the warm-up itself.
    const operator = new Rng(o.seed * 1000 + f + 500);
    const precooled: number[] = [];
    const warmUps = crossings.filter((c) => {
      if (o.precooled > 0 && c.foreseeable && operator.chance(o.precooled)) {
        precooled.push(c.at);
        return false;
      }
      return true;
    });
    crossings.splice(0, crossings.length, ...warmUps);
    for (const c of crossings) truth.push({ host, crossingMs: c.at, foreseeable: c.foreseeable });
    let setpoint = -22;
    for (let ms = o.startMs; ms < endMs; ms += o.sampleMs) {
      if (rng.chance(0.002)) setpoint = setpoint === -22 ? (rng.chance(0.5) ? -21 : -23) : -22;
      const cooled = precooled.some((at) => at - ms <= RAMP_MS && ms - at < HOLD_MS);
      const target = cooled ? PRECOOLED_SETPOINT_C : setpoint;
      let temperature = target + 0.3 * rng.normal();
      let current = 4 + 0.15 * rng.normal();
      let doorRate = 0.6;
      for (const at of precooled) {
        const before = at - ms;
        if (before > 0 && before <= RAMP_MS) current += 3 * (1 - before / RAMP_MS);
        if (before > 0 && before <= RUSH_MS) doorRate = 3;
      }
      for (const c of crossings) {
        const before = c.at - ms;
        if (c.foreseeable && before > 0 && before <= RAMP_MS) current += 3 * (1 - before / RAMP_MS);
        if (c.foreseeable && before > 0 && before <= RUSH_MS) doorRate = 3;
        // The warm-up: a climb over the last 20 minutes, 40 minutes above −18 °C, then back down.
        if (before > 0 && before <= RISE_MS) temperature += (8 * (RISE_MS - before)) / RISE_MS;
        const after = ms - c.at;
        if (after >= 0 && after < HOLD_MS) temperature = -13 + 0.5 * rng.normal();
        if (after >= HOLD_MS && after < HOLD_MS + RECOVER_MS) {
          temperature = -13 + (setpoint + 13) * ((after - HOLD_MS) / RECOVER_MS) + 0.3 * rng.normal();
        }
      }
      for (const r of rushes) {
        const before = r - ms;
        if (before > 0 && before <= RUSH_MS) doorRate = 3;
      }
      for (const r of ramps) {
        const before = r - ms;
        if (before > 0 && before <= RAMP_MS) current += 3 * (1 - before / RAMP_MS);
      }
      points.push({
        host,
        site,
        timeMs: ms,
        temperatureC: Math.round(temperature * 100) / 100,
        compressorCurrentA: Math.round(current * 100) / 100,
        doorOpenCount: rng.poisson(doorRate),
        setpointC: target,
      });
    }
  }
  return { points, truth };
}

/** The points as the series the simulator writes (`PointSink`, line protocol): the door count an integer, as Telegraf writes counts. */
export function freezerSeriesPoints(points: readonly FreezerPoint[]): SeriesPoint[] {
  return points.map((p) => ({
    measurement: FREEZER_MEASUREMENT,
    tags: { host: p.host, kind: 'freezer', site: p.site },
    fields: { temperature_c: p.temperatureC, compressor_current_a: p.compressorCurrentA, setpoint_c: p.setpointC },
    intFields: { door_open_count: p.doorOpenCount },
    timeUs: p.timeMs * 1000,
  }));
}
