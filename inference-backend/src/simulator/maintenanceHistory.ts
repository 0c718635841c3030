import { INPUT } from '@nocai/contract';
import type { SeriesPoint } from '../domain/series';
import { DAY_US, HOUR_US, MINUTE_US, SECOND_US } from './calendar';
import { generateInventory } from './inventory';
import { rngFor, STREAM } from './random';
import { DEFAULT_SENSOR_INTERVAL_SECONDS, isSilent } from './simulation';
import { TelemetryModel } from './telemetry';
import type { HostEffects } from './telemetry';
import { Topology } from './topology';
import type { SimDevice } from './topology';

// Bound once: jest's sandboxed global makes every `Math.x` lookup in a hot loop several times slower.
const { exp, floor, log, round } = Math;

const SENSOR = INPUT.sensors.fields;

/** The sensor fields a maintenance model reads, as the `sensors` measurement names them. */
export const MAINTENANCE_COLUMNS: readonly string[] = [
  SENSOR.temperatureC,
  SENSOR.vibrationMmS,
  SENSOR.pressureKpa,
  SENSOR.powerW,
];
/** One row per PLC and 10-minute bucket: InfluxQL's `GROUP BY time(10m)` of the sensor readings. */
export const MAINTENANCE_STEP_MS = 600_000;
/** A row is labelled `yes` when the PLC halts within this many hours of the bucket's start. */
export const MAINTENANCE_HORIZON_H = 24;
export const MAINTENANCE_TARGET = `fails_within_${MAINTENANCE_HORIZON_H}h`;
export const REMAINING_LIFE_COLUMN = 'remaining_life_h';
/**
 * The remaining life the model learns and writes is capped at 48 h, as C-MAPSS practice caps a
 * turbofan's RUL: far from a failure nothing in the sensors tells 3 days from 6, so the true
 * number is noise to the learner; capped, "far" is one number. 48 h is twice the default failure
 * horizon and above the longest overheating ramp the training histories hold (36 h), so every
 * visible ramp lies below the cap. A value at the cap means "at least 48 h". Also the longest
 * failure horizon a model can be trained for (NOCAI_MAINTENANCE_HORIZON_H).
 */
export const REMAINING_LIFE_CAP_H = 48;

const STEP_US = MAINTENANCE_STEP_MS * 1000;
const SAMPLE_US = DEFAULT_SENSOR_INTERVAL_SECONDS * SECOND_US;
/** Share of PLCs that run the whole history without overheating. */
const NEVER_FAILS = 0.25;
const RAMP_MIN_US = HOUR_US;
const RAMP_MAX_US = 36 * HOUR_US;

export interface MaintenanceHistoryOptions {
  seed: number;
  days: number;
  /** End of the history (exclusive), µs since the epoch; rounded down to a bucket boundary. */
  endUs: number;
  /** How many PLCs to simulate; default: the PLCs of the simulator's default estate. */
  plcs?: number;
}

/** One run to failure: the temperature climbs from `rampFromUs`, the PLC halts at `haltUs`, reboots at `backUs`. */
export interface MaintenanceEpisode {
  host: string;
  rampFromUs: number;
  haltUs: number;
  backUs: number;
  deltaC: number;
}

/** The PLCs of the estate the simulator builds for `seed`, with as many sites as it takes to reach `count`. */
function plcsOf(seed: number, count: number | undefined): { devices: SimDevice[]; telemetry: TelemetryModel } {
  for (let sites = 4; ; sites += 4) {
    const topology = new Topology(generateInventory({ seed, sites }));
    const plcs = topology.devices.filter((d) => d.kind === 'plc');
    if (count === undefined || plcs.length >= count) {
      return { devices: plcs.slice(0, count ?? plcs.length), telemetry: new TelemetryModel(seed, topology) };
    }
  }
}

function checkOptions(options: MaintenanceHistoryOptions): void {
  const { days, endUs, plcs } = options;
  if (!(days > 0) || !Number.isFinite(days)) throw new RangeError(`days must be a positive number, got ${days}`);
  if (!Number.isFinite(endUs)) throw new RangeError(`endUs must be a time in µs, got ${endUs}`);
  if (plcs !== undefined && !(Number.isInteger(plcs) && plcs > 0)) {
    throw new RangeError(`plcs must be a positive integer, got ${plcs}`);
  }
}

function historyWindow(options: MaintenanceHistoryOptions): { fromUs: number; toUs: number } {
  const toUs = floor(options.endUs / STEP_US) * STEP_US;
  return { fromUs: toUs - round((options.days * DAY_US) / STEP_US) * STEP_US, toUs };
}

/**
 * Overheating episodes of one PLC, drawn like `planOverheating` draws a PLC's (deltaC, a silence of
 * 30–120 min after the halt) but with ramps log-uniform between 1 h and 36 h and 2–8 days of
 * normal operation between them. Episodes start until the end of the history; the last halt may
 * lie beyond it.
 */
function episodesOf(seed: number, device: SimDevice, fromUs: number, toUs: number): MaintenanceEpisode[] {
  const r = rngFor(seed, STREAM.maintenance, device.index);
  if (r.chance(NEVER_FAILS)) return [];
  const episodes: MaintenanceEpisode[] = [];
  let rampFromUs = fromUs + round(r.range(0, 8) * DAY_US);
  while (rampFromUs < toUs) {
    const rampUs = round(exp(r.range(log(RAMP_MIN_US), log(RAMP_MAX_US))));
    const haltUs = rampFromUs + rampUs;
    const deltaC = r.range(28, 40);
    const backUs = haltUs + r.int(30, 120) * MINUTE_US;
    episodes.push({ host: device.host, rampFromUs, haltUs, backUs, deltaC });
    rampFromUs = backUs + round(r.range(2, 8) * DAY_US);
  }
  return episodes;
}

/** What the simulator's incident plans would hold for these episodes (see `planOverheating`). */
function effectsOf(episodes: readonly MaintenanceEpisode[]): HostEffects {
  return {
    silences: episodes.flatMap((e) => [e.haltUs + 1, e.backUs]),
    effects: episodes.map((e) => ({
      kind: 'temp_ramp' as const,
      fromUs: e.rampFromUs,
      peakUs: e.haltUs,
      toUs: e.haltUs + 1,
      deltaC: e.deltaC,
    })),
    boots: episodes.map((e) => e.backUs),
  };
}

/** Every PLC's overheating episodes in the history of `options` (the truth behind its labels). */
export function maintenanceEpisodes(options: MaintenanceHistoryOptions): MaintenanceEpisode[] {
  checkOptions(options);
  const { fromUs, toUs } = historyWindow(options);
  return plcsOf(options.seed, options.plcs).devices.flatMap((d) => episodesOf(options.seed, d, fromUs, toUs));
}

const formatMean = (sum: number, count: number) => String(round((sum / count) * 10_000) / 10_000);

/**
 * Run-to-failure histories of PLCs for a maintenance model (issue 10): the simulator's own sensor
 * readings, once a minute, with overheating ramps that end in a halt, averaged into 10-minute
 * buckets as the maintenance stage's InfluxQL query does. One row per PLC and bucket with at least
 * one reading (none while a halted PLC is silent), in host then time order:
 * `host, t` (bucket start, ms since the epoch), the four sensor means, `fails_within_24h`
 * (`yes` when the PLC halts in (t, t + 24 h]) and `remaining_life_h` (hours from t to the next
 * halt, empty when the PLC never halts again). Deterministic for a seed.
 */
export function maintenanceHistory(options: MaintenanceHistoryOptions): Record<string, string>[] {
  checkOptions(options);
  const { fromUs, toUs } = historyWindow(options);
  const { devices, telemetry } = plcsOf(options.seed, options.plcs);
  const rows: Record<string, string>[] = [];
  const out: SeriesPoint[] = [];
  const sums = new Float64Array(MAINTENANCE_COLUMNS.length);
  for (const device of devices) {
    const episodes = episodesOf(options.seed, device, fromUs, toUs);
    const state = effectsOf(episodes);
    const offsetUs = telemetry.offsetUs(device);
    let bucket = -1;
    let count = 0;
    let next = 0;
    const flush = () => {
      if (count === 0) return;
      const bucketUs = bucket * STEP_US;
      while (next < episodes.length && episodes[next].haltUs <= bucketUs) next++;
      const remainingH = next < episodes.length ? (episodes[next].haltUs - bucketUs) / HOUR_US : undefined;
      const row: Record<string, string> = { host: device.host, t: String(bucketUs / 1000) };
      MAINTENANCE_COLUMNS.forEach((column, c) => (row[column] = formatMean(sums[c], count)));
      row[MAINTENANCE_TARGET] = remainingH !== undefined && remainingH <= MAINTENANCE_HORIZON_H ? 'yes' : 'no';
      row[REMAINING_LIFE_COLUMN] = remainingH === undefined ? '' : remainingH.toFixed(3);
      rows.push(row);
      sums.fill(0);
      count = 0;
    };
    // Readings come at the sensor interval plus the device's constant offset, as `Simulation.metrics` emits them.
    for (let tick = floor(fromUs / SAMPLE_US); tick * SAMPLE_US < toUs; tick++) {
      const timeUs = tick * SAMPLE_US + offsetUs;
      if (timeUs < fromUs || timeUs >= toUs || isSilent(state, timeUs)) continue;
      const b = floor(timeUs / STEP_US);
      if (b !== bucket) {
        flush();
        bucket = b;
      }
      out.length = 0;
      telemetry.sensorMetrics(device, timeUs, state, out);
      const fields = out[0].fields;
      MAINTENANCE_COLUMNS.forEach((column, c) => (sums[c] += Number(fields[column])));
      count++;
    }
    flush();
  }
  return rows;
}
