import { maintenanceEpisodes, maintenanceHistory } from './maintenanceHistory';
import { PLC_TEMPERATURE_LIMIT_C } from './sensorLimits';

const DAY_MS = 86_400_000;
// Long enough for every PLC to run normally for days and to overheat at least once.
const options = { seed: 11, days: 21, endUs: Date.UTC(2026, 2, 1) * 1000 };

describe('PLC temperature limit', () => {
  const rows = maintenanceHistory(options);
  const temperature = (row: Record<string, string>) => Number(row.temperature_c);

  it('When PLCs run normally, then their 10-minute mean temperature never reaches the limit', () => {
    // Farther from a halt than the longest ramp (36 h): no overheating under way.
    const normal = rows.filter((row) => row.remaining_life_h === '' || Number(row.remaining_life_h) > 36);
    expect(normal.length).toBeGreaterThan(1000);
    const hottest = Math.max(...normal.map(temperature));
    expect(hottest).toBeLessThan(PLC_TEMPERATURE_LIMIT_C - 2);
  });

  it('When a PLC overheats, then its temperature passes the limit before it halts', () => {
    const halts = maintenanceEpisodes(options).filter((e) => e.haltUs / 1000 < options.endUs / 1000);
    expect(halts.length).toBeGreaterThan(3);
    for (const episode of halts) {
      const lastBeforeHalt = rows
        .filter((row) => row.host === episode.host && Number(row.t) < episode.haltUs / 1000)
        .filter((row) => Number(row.t) >= episode.haltUs / 1000 - DAY_MS)
        .at(-1);
      expect(lastBeforeHalt && temperature(lastBeforeHalt)).toBeGreaterThan(PLC_TEMPERATURE_LIMIT_C);
    }
  });
});
