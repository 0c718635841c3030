import { INPUT } from '@nocai/contract';
import type { SeriesPoint } from '../domain/series';
import { DAY_US, HOUR_US, MINUTE_US } from './calendar';
import { generateInventory } from './inventory';
import { rngFor, STREAM } from './random';
import { PLC_TEMPERATURE_LIMIT_C } from './sensorLimits';
import { DEFAULT_SENSOR_INTERVAL_SECONDS } from './simulation';
import { TelemetryModel } from './telemetry';
import { Topology } from './topology';
import type { SimDevice } from './topology';

// Bound once: jest's sandboxed global makes every `Math.x` lookup in a hot loop several times slower.
const { exp, floor, max, min, pow, round } = Math;

/**
 * PLCs whose cabinets overheat, with a cooling set-point operators can turn down (issue 12's
 * acceptance problem, "PLC temperature above its limit within 2 h"). The `sensors` points are the
 * simulator's own PLC readings (`TelemetryModel.sensorMetrics`: temperature, vibration, pressure,
 * power, once a minute) with two additions:
 *
 * - `cooling_setpoint_c`: the cabinet's cooling set-point, nominally 22 °C, moved by ±1 °C now and
 *   then; the CPU module's temperature follows it (`SETPOINT_GAIN` °C per °C, as the cabinet's air
 *   settles over a 20-minute time constant);
 * - overheating episodes (a clogged filter, a failing fan) every 1 to 3 days per PLC: the
 *   temperature climbs by 28–40 °C over 3–10 hours (deltaC · progress^1.5, as the incident
 *   plans' `temp_ramp`), crosses the PLC limit of `sensorLimits.ts`, and the PLC halts at the top of the
 *   ramp, silent for 30–120 minutes. In a share of them (`preempted`) an operator notices the
 *   climb and turns the set-point down to 14 °C: 45 minutes later, 5–8 °C up, the extra cooling
 *   has stopped the climb, a technician clears the fault within the hour, and the limit is never
 *   reached. The climb goes on for those 45 minutes after the set-point came down, so the set-point
 *   itself tells a climb that will stop from one that will not. Production surges (decoys) warm a PLC by a few degrees for an hour or two without
 *   approaching the limit.
 *
 * The simulator's incident scenarios are untouched: this generator is a fixture of its own over the
 * same estate (same seed, same hosts). Deterministic for a seed.
 */

/** The field of the cabinet's cooling set-point in the `sensors` measurement. */
export const PLC_SETPOINT_FIELD = 'cooling_setpoint_c';
export const PLC_NOMINAL_SETPOINT_C = 22;
/** The set-point an operator turns the cooling down to when a PLC overheats. */
export const PLC_PREEMPT_SETPOINT_C = 14;
/** °C of CPU module temperature per °C of cooling set-point. */
const SETPOINT_GAIN = 0.6;
/** Time constant of the cabinet's air following a new set-point. */
const SETPOINT_LAG_MS = 20 * 60_000;

export interface PlcOverheatingOptions {
  seed: number;
  /** Sites of the estate (`generateInventory({ seed, sites })`): its PLCs are simulated. */
  sites: number;
  /** At most this many of the estate's PLCs. */
  plcs: number;
  /** The history [fromMs, toMs). */
  fromMs: number;
  toMs: number;
  /** Share of overheating episodes pre-empted by turning the cooling down. */
  preempted: number;
}

export const DEFAULT_PLC_OVERHEATING_OPTIONS: Omit<PlcOverheatingOptions, 'fromMs' | 'toMs'> = {
  seed: 42,
  sites: 8,
  plcs: 6,
  preempted: 0.3,
};

export type PlcEpisodeKind = 'overheating' | 'preempted' | 'surge';

/** One episode of one PLC (ms since the epoch). */
export interface PlcEpisode {
  host: string;
  kind: PlcEpisodeKind;
  fromMs: number;
  /** Top of the climb: the halt of an overheating, the fix of a pre-empted one, the surge's peak. */
  peakMs: number;
  /** Back to normal: the PLC reboots after a halt; the warmth is gone otherwise. */
  endMs: number;
  /** The climb: deltaC · ((t − fromMs) / rampMs)^1.5 until the peak. */
  deltaC: number;
  rampMs: number;
  /** When the temperature first exceeds the limit (overheating only; from the noiseless curve). */
  crossingMs?: number;
  /** When the operator turned the cooling down (pre-empted only). */
  preemptedAtMs?: number;
}

const SAMPLE_MS = DEFAULT_SENSOR_INTERVAL_SECONDS * 1000;
const HOUR_MS = HOUR_US / 1000;
const DAY_MS = DAY_US / 1000;

function plcsOf(options: PlcOverheatingOptions): { devices: SimDevice[]; telemetry: TelemetryModel } {
  const topology = new Topology(generateInventory({ seed: options.seed, sites: options.sites }));
  return {
    devices: topology.devices.filter((d) => d.kind === 'plc').slice(0, options.plcs),
    telemetry: new TelemetryModel(options.seed, topology),
  };
}

/** The climb of an episode above the PLC's normal temperature at `t` (°C), before the set-point's effect. */
function rise(e: PlcEpisode, t: number): number {
  if (t < e.fromMs || t >= e.endMs) return 0;
  const up = (x: number) => e.deltaC * pow(min(1, max(0, x) / e.rampMs), 1.5);
  // A pre-empted climb stops 45 minutes after the cooling was turned down, an hour before the fix.
  const top = e.kind === 'preempted' ? e.peakMs - HOUR_MS : e.peakMs;
  if (t <= e.peakMs) return up(min(t, top) - e.fromMs);
  // After the peak: a halted PLC is silent; a fixed or ended one cools back to normal by the end.
  return e.kind === 'overheating' ? 0 : up(e.peakMs - e.fromMs) * (1 - (t - e.peakMs) / (e.endMs - e.peakMs));
}

function episodesOf(
  options: PlcOverheatingOptions,
  device: SimDevice,
  telemetry: TelemetryModel
): { episodes: PlcEpisode[]; setpointMoves: Array<{ atMs: number; setpointC: number }> } {
  const r = rngFor(options.seed, STREAM.plcCooling, device.index);
  const normal = (t: number) => telemetry.temperatureC(device, t * 1000);
  const episodes: PlcEpisode[] = [];
  let at = options.fromMs + round(r.range(0.3, 2) * DAY_MS);
  while (at < options.toMs) {
    const roll = r.next();
    if (roll < 0.25) {
      // A production surge: a few degrees for an hour or two, well under the limit.
      const peakMs = at + round(r.range(0.5, 1.5) * HOUR_MS);
      const endMs = peakMs + round(r.range(0.5, 1.5) * HOUR_MS);
      const room = PLC_TEMPERATURE_LIMIT_C - 6 - normal(peakMs);
      const deltaC = max(1, min(r.range(4, 9), room));
      episodes.push({ host: device.host, kind: 'surge', fromMs: at, peakMs, endMs, deltaC, rampMs: peakMs - at });
      at = endMs + round(r.range(0.3, 1.2) * DAY_MS);
      continue;
    }
    const rampMs = round(r.range(3, 10) * HOUR_MS);
    const deltaC = r.range(28, 40);
    const preempt = r.chance(options.preempted);
    const overheating: PlcEpisode = {
      host: device.host,
      kind: 'overheating',
      fromMs: at,
      peakMs: at + rampMs,
      endMs: at + rampMs + r.int(30, 120) * (MINUTE_US / 1000),
      deltaC,
      rampMs,
    };
    if (preempt) {
      // Noticed three quarters of an hour before the climb tops out 5–8 °C up (the cooling takes that long to
      // bite); fixed an hour after the top, cooled off within the next.
      const topMs = at + round(rampMs * pow(r.range(5, 8) / deltaC, 1 / 1.5));
      const preemptedAtMs = max(at, topMs - (3 * HOUR_MS) / 4);
      const peakMs = topMs + HOUR_MS;
      episodes.push({ ...overheating, kind: 'preempted', peakMs, endMs: peakMs + HOUR_MS, preemptedAtMs });
    } else {
      let crossingMs: number | undefined;
      for (let t = overheating.fromMs; t < overheating.peakMs; t += SAMPLE_MS) {
        if (normal(t) + rise(overheating, t) > PLC_TEMPERATURE_LIMIT_C) {
          crossingMs = t;
          break;
        }
      }
      episodes.push({ ...overheating, ...(crossingMs === undefined ? {} : { crossingMs }) });
    }
    at = episodes[episodes.length - 1].endMs + round(r.range(1, 3) * DAY_MS);
  }
  // The set-point wanders by a degree now and then (every 1–4 days), independently of the episodes.
  const setpointMoves: Array<{ atMs: number; setpointC: number }> = [];
  for (let t = options.fromMs + round(r.range(0, 2) * DAY_MS); t < options.toMs;) {
    setpointMoves.push({ atMs: t, setpointC: PLC_NOMINAL_SETPOINT_C + r.int(-1, 1) });
    t += round(r.range(1, 4) * DAY_MS);
  }
  return { episodes, setpointMoves };
}

/** A generated estate of PLCs: the truth, and its `sensors` points for any part of the history. */
export interface PlcOverheating {
  hosts: string[];
  episodes: PlcEpisode[];
  /** The `sensors` points with fromMs ≤ time < toMs, in time order per PLC. */
  points(fromMs: number, toMs: number): SeriesPoint[];
}

export function generatePlcOverheating(options: PlcOverheatingOptions): PlcOverheating {
  const { devices, telemetry } = plcsOf(options);
  const plans = devices.map((device) => ({ device, ...episodesOf(options, device, telemetry) }));
  const SENSOR = INPUT.sensors.fields;
  return {
    hosts: devices.map((d) => d.host),
    episodes: plans.flatMap((p) => p.episodes).sort((a, b) => a.fromMs - b.fromMs),
    points(fromMs, toMs) {
      const out: SeriesPoint[] = [];
      const scratch: SeriesPoint[] = [];
      for (const { device, episodes, setpointMoves } of plans) {
        const offsetMs = floor(telemetry.offsetUs(device) / 1000);
        let e = 0;
        let s = -1;
        // The cabinet's air follows the set-point with a lag: from `fromC` at `changedMs` towards `setpointC`.
        let setpointC = PLC_NOMINAL_SETPOINT_C;
        let fromC = setpointC;
        let changedMs = options.fromMs;
        const cabinetC = (t: number) => setpointC + (fromC - setpointC) * exp(-(t - changedMs) / SETPOINT_LAG_MS);
        // From the start of the history whatever the slice, so that a slice sees the set-point's past.
        const first = floor((options.fromMs - offsetMs) / SAMPLE_MS) * SAMPLE_MS + offsetMs;
        for (let t = first; t < min(toMs, options.toMs); t += SAMPLE_MS) {
          if (t < options.fromMs) continue;
          while (e < episodes.length && episodes[e].endMs <= t) e++;
          while (s + 1 < setpointMoves.length && setpointMoves[s + 1].atMs <= t) s++;
          const episode = e < episodes.length && episodes[e].fromMs <= t ? episodes[e] : undefined;
          const target =
            episode?.kind === 'preempted' && t >= (episode.preemptedAtMs ?? Infinity)
              ? PLC_PREEMPT_SETPOINT_C
              : s >= 0
                ? setpointMoves[s].setpointC
                : PLC_NOMINAL_SETPOINT_C;
          if (target !== setpointC) {
            fromC = cabinetC(t);
            setpointC = target;
            changedMs = t;
          }
          if (t < fromMs) continue;
          // Halted: silent from the top of the ramp until the reboot.
          if (episode?.kind === 'overheating' && t > episode.peakMs) continue;
          scratch.length = 0;
          telemetry.sensorMetrics(device, t * 1000, undefined, scratch);
          const point = scratch[0];
          const temperature =
            Number(point.fields[SENSOR.temperatureC]) +
            (episode ? rise(episode, t) : 0) +
            SETPOINT_GAIN * (cabinetC(t) - PLC_NOMINAL_SETPOINT_C);
          out.push({
            ...point,
            fields: {
              ...point.fields,
              [SENSOR.temperatureC]: round(temperature * 100) / 100,
              [PLC_SETPOINT_FIELD]: setpointC,
            },
          });
        }
      }
      return out;
    },
  };
}
