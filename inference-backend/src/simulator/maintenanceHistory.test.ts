import { INPUT } from '@nocai/contract';
import { HOUR_US } from './calendar';
import { generateInventory } from './inventory';
import {
  MAINTENANCE_COLUMNS,
  MAINTENANCE_STEP_MS,
  MAINTENANCE_TARGET,
  maintenanceEpisodes,
  maintenanceHistory,
} from './maintenanceHistory';
import type { MaintenanceHistoryOptions } from './maintenanceHistory';
import { Simulation } from './simulation';

const END_US = Date.UTC(2026, 2, 1) * 1000;
const OPTIONS: MaintenanceHistoryOptions = { seed: 5, days: 20, endUs: END_US, plcs: 8 };
const STEP_US = MAINTENANCE_STEP_MS * 1000;

describe('maintenanceHistory', () => {
  const rows = maintenanceHistory(OPTIONS);
  const episodes = maintenanceEpisodes(OPTIONS);
  const rowsOf = (host: string) => rows.filter((r) => r.host === host);

  it('When generated twice with one seed, then the rows are identical, and another seed changes them', () => {
    expect(maintenanceHistory(OPTIONS)).toEqual(rows);
    expect(maintenanceHistory({ ...OPTIONS, seed: 6 })).not.toEqual(rows);
    expect(new Set(rows.map((r) => r.host)).size).toBe(8);
    expect(Object.keys(rows[0])).toEqual(['host', 't', ...MAINTENANCE_COLUMNS, MAINTENANCE_TARGET, 'remaining_life_h']);
  });

  it('When a PLC runs normally, then each row is the mean of the readings the live simulator writes in that 10 minutes', () => {
    // The estate of the default simulation for the same seed, without incidents: same PLCs, same readings.
    const simulation = new Simulation({
      seed: OPTIONS.seed,
      inventory: generateInventory({ seed: OPTIONS.seed }),
      incidentsPerSiteDay: 0,
    });
    const host = simulation.topology.devices.find((d) => d.kind === 'plc')?.host ?? '';
    const first = episodes.find((e) => e.host === host)?.rampFromUs ?? END_US;
    const fromUs = END_US - OPTIONS.days * 24 * HOUR_US;
    expect(first - fromUs).toBeGreaterThan(2 * HOUR_US);
    const points = simulation
      .generate(fromUs, fromUs + 2 * HOUR_US)
      .points.filter((p) => p.measurement === INPUT.sensors.measurement && p.tags.host === host);
    const mine = rowsOf(host).slice(0, 12);
    expect(mine).toHaveLength(12);
    for (const row of mine) {
      const bucketUs = Number(row.t) * 1000;
      const inBucket = points.filter((p) => p.timeUs >= bucketUs && p.timeUs < bucketUs + STEP_US);
      expect(inBucket).toHaveLength(10);
      for (const column of MAINTENANCE_COLUMNS) {
        const mean = inBucket.reduce((sum, p) => sum + Number(p.fields[column]), 0) / inBucket.length;
        expect(Number(row[column])).toBeCloseTo(mean, 3);
      }
      expect(row[MAINTENANCE_TARGET]).toBe('no');
    }
  });

  it('When a PLC overheats and halts, then rows up to 24 h before say yes, temperature peaks and it is silent until it reboots', () => {
    const halted = episodes.filter((e) => e.haltUs < END_US - 24 * HOUR_US && e.haltUs - e.rampFromUs > 2 * HOUR_US);
    expect(halted.length).toBeGreaterThan(3);
    for (const episode of halted) {
      const mine = rowsOf(episode.host);
      const haltMs = episode.haltUs / 1000;
      for (const row of mine) {
        const t = Number(row.t);
        if (t < haltMs - 30 * 3600_000 || t > haltMs + 30 * 3600_000) continue;
        const ahead = haltMs - t;
        if (ahead > 0) expect(Number(row.remaining_life_h)).toBeCloseTo(ahead / 3600_000, 3);
        expect(row[MAINTENANCE_TARGET]).toBe(ahead > 0 && ahead <= 24 * 3600_000 ? 'yes' : 'no');
        // No reading between the halt and the reboot: no bucket lies wholly inside the silence.
        expect(t >= haltMs && t + MAINTENANCE_STEP_MS <= episode.backUs / 1000).toBe(false);
      }
      const haltRow = mine.findIndex((r) => Number(r.t) <= haltMs && haltMs < Number(r.t) + MAINTENANCE_STEP_MS);
      expect(haltRow).toBeGreaterThan(0);
      const rampRow = mine.findIndex((r) => Number(r.t) >= episode.rampFromUs / 1000);
      const rise = Number(mine[haltRow - 1].temperature_c) - Number(mine[rampRow].temperature_c);
      expect(rise).toBeGreaterThan(episode.deltaC * 0.6);
      const after = Number(mine[haltRow + 1].t);
      expect(after).toBeGreaterThanOrEqual(Math.floor(episode.backUs / STEP_US) * MAINTENANCE_STEP_MS);
      expect(after - Number(mine[haltRow].t)).toBeGreaterThanOrEqual(30 * 60_000);
    }
  });

  it('When ramps are drawn, then they last 1–36 h, 2–8 days apart, and some PLCs never fail', () => {
    const long = maintenanceEpisodes({ ...OPTIONS, days: 120, plcs: 16 });
    for (const e of long) {
      expect(e.haltUs - e.rampFromUs).toBeGreaterThanOrEqual(HOUR_US);
      expect(e.haltUs - e.rampFromUs).toBeLessThanOrEqual(36 * HOUR_US);
      expect(e.backUs - e.haltUs).toBeGreaterThanOrEqual(30 * 60 * 1e6);
    }
    const failing = new Set(long.map((e) => e.host));
    expect(failing.size).toBeGreaterThan(8);
    expect(failing.size).toBeLessThan(16);
    expect(() => maintenanceHistory({ ...OPTIONS, days: 0 })).toThrow('days must be a positive number');
  });
});
