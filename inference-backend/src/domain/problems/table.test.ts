import { labelledHorizon, tableEntities, tableRows } from './table';
import type { TableProblemSpec } from './table';

const SPEC: TableProblemSpec = { label: 'y', features: ['x'], time: 'cycle', group: 'unit', windows: [3] };

/** Two engines, rows shuffled: the order comes from `cycle`, within each `unit`. */
const rows = () => [
  { unit: 'b', cycle: '2', x: '20', y: '1' },
  { unit: 'a', cycle: '3', x: '3', y: '1' },
  { unit: 'a', cycle: '1', x: '1', y: '0' },
  { unit: 'b', cycle: '1', x: '10', y: '0' },
  { unit: 'a', cycle: '2', x: '2', y: '0' },
];

describe('tableRows', () => {
  it('When rows come shuffled, then each row reads its own engine in cycle order and never a later row', () => {
    const { rows: built, tableRow } = tableRows(tableEntities(rows(), SPEC), SPEC);
    const F = built.matrix.featureCount;
    const feature = (tableIndex: number, column: number) => {
      const i = Array.from(tableRow).indexOf(tableIndex);
      return built.matrix.values[i * F + column];
    };
    // Columns: x:last, then mean, min, max, std, slope over 3 rows.
    expect(feature(4, 0)).toBe(2); // a at cycle 2
    expect(feature(4, 1)).toBe(1.5); // mean of cycles 1–2 of a only
    expect(feature(0, 3)).toBe(20); // b's max at cycle 2 is b's own
    const changed = rows();
    changed[1].x = '1000'; // a's cycle 3: later than a's cycle 2
    const again = tableRows(tableEntities(changed, SPEC), SPEC);
    const i = Array.from(again.tableRow).indexOf(4);
    expect(Array.from(again.rows.matrix.values.subarray(i * F, (i + 1) * F))).toEqual(
      Array.from(
        built.matrix.values.subarray(Array.from(tableRow).indexOf(4) * F, (Array.from(tableRow).indexOf(4) + 1) * F)
      )
    );
  });

  it('When only some rows are kept, then the rows name only the entities they hold and the onsets follow each positive run', () => {
    const entities = tableEntities(rows(), SPEC);
    const { rows: built } = tableRows(entities, SPEC, (e) => e.entity === 'b');
    expect(built.entities).toEqual(['b']);
    expect(built.matrix.rowCount).toBe(2);
    // b is positive at cycle 2, its last row: the event starts one step (1 cycle) later.
    expect(built.onsetTimesMs).toEqual([[3]]);
  });

  it('When no horizon is given, then the label says how far it looks: its longest positive run up to the event', () => {
    // Engine a: cycles 1-10, positive on 7-10 (fails after 10): 4 cycles. Engine b: 1-5, positive on
    // 1-2 then 4-5, runs cut by the file's start or shorter. Cycles every 2 units on c: 2 rows = 4 units.
    const table = [
      ...Array.from({ length: 10 }, (_, i) => ({ unit: 'a', cycle: `${i + 1}`, x: '0', y: i + 1 >= 7 ? '1' : '0' })),
      ...[1, 1, 0, 1, 1].map((y, i) => ({ unit: 'b', cycle: `${i + 1}`, x: '0', y: `${y}` })),
    ];
    expect(labelledHorizon(tableEntities(table, SPEC))).toBe(4);
    const everyOther = [0, 0, 1, 1].map((y, i) => ({ unit: 'c', cycle: `${2 * i}`, x: '0', y: `${y}` }));
    expect(labelledHorizon(tableEntities(everyOther, SPEC))).toBe(4);
    expect(
      labelledHorizon(
        tableEntities(
          rows().map((r) => ({ ...r, y: '0' })),
          SPEC
        )
      )
    ).toBe(0);
  });
});
