import { DEFAULT_MODEL_SPECS } from '../commands/train';
import { timeSlice, trainingTable, WEIGHT_COLUMN } from './trainingTable';

const spec = DEFAULT_MODEL_SPECS.tickets.find((s) => s.name === 'department')!;
const row = (id: string, day: number, department: string) => ({
  id,
  opened_at: new Date(Date.UTC(2026, 0, 1) + day * 86_400_000).toISOString(),
  title: `ticket ${id}`,
  description: `ticket ${id}`,
  site_kind: 'hospital',
  device_kind: 'server',
  department,
});

describe('the retraining’s training table', () => {
  it('When labels are split, then the newest share by opening time is the holdout, whatever the input order', () => {
    const rows = [row('c', 3, 'it_ops'), row('a', 1, 'it_ops'), row('d', 4, 'security'), row('b', 2, 'it_ops')];
    const { train, holdout } = timeSlice(rows, 0.5);
    expect(train.map((r) => r.id)).toEqual(['a', 'b']);
    expect(holdout.map((r) => r.id)).toEqual(['c', 'd']);
  });

  it('When a half-life is given, then each row weighs 0.5^(age / half-life) from the newest row, and a labelled ticket replaces its history row', () => {
    const history = { columns: Object.keys(row('x', 0, '')), rows: [row('h1', 0, 'security'), row('h2', 14, 'security')] };
    const labelled = [row('h2', 14, 'it_ops'), row('l1', 28, 'it_ops')];
    const table = trainingTable(history, labelled, spec, 14);
    expect(table.columns).toContain(WEIGHT_COLUMN);
    const byTitle = new Map(table.rows.map((r) => [r.title, r]));
    expect(table.rows).toHaveLength(3);
    expect(byTitle.get('ticket h2')?.department).toBe('it_ops');
    expect(Number(byTitle.get('ticket l1')?.[WEIGHT_COLUMN])).toBe(1);
    expect(Number(byTitle.get('ticket h2')?.[WEIGHT_COLUMN])).toBeCloseTo(0.5, 12);
    expect(Number(byTitle.get('ticket h1')?.[WEIGHT_COLUMN])).toBeCloseTo(0.25, 12);
    const flat = trainingTable(history, labelled, spec);
    expect(flat.rows.every((r) => r[WEIGHT_COLUMN] === '1')).toBe(true);
  });
});
