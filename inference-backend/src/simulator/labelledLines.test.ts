import { generateInventory } from './inventory';
import { LabelledLineJoiner, labelledLinesOf, labelledLineToCsv, LABELLED_LINE_COLUMNS } from './labelledLines';
import { Simulation } from './simulation';

const HOUR_US = 3_600_000_000;
const NOON = Date.UTC(2024, 2, 5, 12) * 1000;

describe('labelled lines', () => {
  it('When a slice is joined, then every syslog line comes out once with its text, context and true class', () => {
    const inventory = generateInventory({ seed: 42 });
    const sim = new Simulation({
      seed: 42,
      inventory,
      scenarios: [{ kind: 'brute_force', atUs: NOON + 10 * 60_000_000 }],
    });
    const slice = sim.generate(NOON, NOON + HOUR_US);
    const rows = labelledLinesOf(sim.topology, slice);
    expect(rows).toHaveLength(slice.syslogLines);
    expect(rows.every((r) => r.message.length > 0 && r.device_kind !== '' && r.criticality >= 1)).toBe(true);
    expect(rows.some((r) => r.class === 'security' && r.decision === 'alert')).toBe(true);
    expect(labelledLineToCsv(rows[0]).split(',').length).toBeGreaterThanOrEqual(LABELLED_LINE_COLUMNS.length);
  });

  it('When the truth arrives after the points, in separate calls, then the lines still find their labels', () => {
    const inventory = generateInventory({ seed: 1 });
    const sim = new Simulation({ seed: 1, inventory });
    const slice = sim.generate(NOON, NOON + HOUR_US);
    const joiner = new LabelledLineJoiner(sim.topology);
    joiner.addPoints(slice.points);
    const half = Math.floor(slice.events.length / 2);
    const rows = [...joiner.join(slice.events.slice(0, half)), ...joiner.join(slice.events.slice(half))];
    expect(rows.map((r) => r.hostname)).toEqual(slice.events.map((e) => e.hostname));
  });
});
