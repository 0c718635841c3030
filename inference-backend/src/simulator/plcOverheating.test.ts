import { INPUT } from '@nocai/contract';
import {
  generatePlcOverheating,
  PLC_NOMINAL_SETPOINT_C,
  PLC_PREEMPT_SETPOINT_C,
  PLC_SETPOINT_FIELD,
} from './plcOverheating';
import { PLC_TEMPERATURE_LIMIT_C } from './sensorLimits';

const DAY_MS = 86_400_000;
const FROM_MS = Date.UTC(2026, 0, 1);
const TEMPERATURE = INPUT.sensors.fields.temperatureC;

describe('PLC overheating fixture', () => {
  const options = { seed: 42, sites: 8, plcs: 4, preempted: 0.3, fromMs: FROM_MS, toMs: FROM_MS + 12 * DAY_MS };
  const sim = generatePlcOverheating(options);
  const points = sim.points(options.fromMs, options.toMs);
  const readings = (host: string, fromMs: number, toMs: number) =>
    points.filter((p) => p.tags.host === host && p.timeUs / 1000 >= fromMs && p.timeUs / 1000 < toMs);

  it('When generated twice with the same options, then the points are the same, whatever the slices asked for', () => {
    const again = generatePlcOverheating(options);
    const half = options.fromMs + 6 * DAY_MS;
    const sliced = [...again.points(options.fromMs, half), ...again.points(half, options.toMs)];
    const key = (p: (typeof points)[number]) => `${p.tags.host}|${p.timeUs}|${JSON.stringify(p.fields)}`;
    expect(sliced.map(key).sort()).toEqual(points.map(key).sort());
  });

  it('When a PLC overheats, then its temperature passes the limit before it halts, and it is silent until it reboots', () => {
    const overheatings = sim.episodes.filter((e) => e.kind === 'overheating' && e.endMs < options.toMs);
    expect(overheatings.length).toBeGreaterThan(3);
    for (const e of overheatings) {
      const climb = readings(e.host, e.fromMs, e.peakMs + 1);
      expect(Math.max(...climb.map((p) => Number(p.fields[TEMPERATURE])))).toBeGreaterThan(PLC_TEMPERATURE_LIMIT_C);
      expect(readings(e.host, e.peakMs + 60_000, e.endMs)).toHaveLength(0);
    }
  });

  it('When an operator pre-empts an overheating, then the set-point goes down to 14 °C and the limit is not reached', () => {
    const preempted = sim.episodes.filter((e) => e.kind === 'preempted' && e.endMs < options.toMs);
    expect(preempted.length).toBeGreaterThan(0);
    for (const e of preempted) {
      const during = readings(e.host, e.fromMs, e.endMs);
      expect(Math.max(...during.map((p) => Number(p.fields[TEMPERATURE])))).toBeLessThan(PLC_TEMPERATURE_LIMIT_C);
      const after = during.filter((p) => p.timeUs / 1000 >= (e.preemptedAtMs ?? Infinity));
      expect(after.every((p) => p.fields[PLC_SETPOINT_FIELD] === PLC_PREEMPT_SETPOINT_C)).toBe(true);
    }
  });

  it('When no episode is under way, then the temperature stays well under the limit and the set-point near nominal', () => {
    const quiet = points.filter(
      (p) =>
        !sim.episodes.some((e) => e.host === p.tags.host && p.timeUs / 1000 >= e.fromMs && p.timeUs / 1000 < e.endMs)
    );
    expect(quiet.length).toBeGreaterThan(points.length / 2);
    expect(Math.max(...quiet.map((p) => Number(p.fields[TEMPERATURE])))).toBeLessThan(PLC_TEMPERATURE_LIMIT_C - 3);
    for (const p of quiet)
      expect(Math.abs(Number(p.fields[PLC_SETPOINT_FIELD]) - PLC_NOMINAL_SETPOINT_C)).toBeLessThanOrEqual(1);
  });
});
