import { filterChoices, filterRows } from './filters';
import type { TriageRow } from './rows';

function row(key: string, fields: Partial<TriageRow>): TriageRow {
  return { key, needsReview: false, explanation: [], similar: [], ...fields };
}

const ROWS = [
  row('1', { priority: 'P2', department: 'it_ops', status: 'open' }),
  row('2', { priority: 'P1', department: 'field_technicians', status: 'needs_review' }),
  row('3', { priority: 'P1', department: 'it_ops', status: 'open' }),
];

describe('filterRows', () => {
  it('When an operator picks a priority and a department, then only rows matching both stay', () => {
    expect(filterRows(ROWS, { priority: 'P1', department: 'it_ops' }).map((r) => r.key)).toEqual(['3']);
  });

  it('When no filter is set, then every row stays', () => {
    expect(filterRows(ROWS, {})).toHaveLength(3);
  });
});

describe('filterChoices', () => {
  it('When the dropdowns open, then they offer the values present, P1 first', () => {
    expect(filterChoices(ROWS, {})).toEqual({
      priority: ['P1', 'P2'],
      department: ['field_technicians', 'it_ops'],
      status: ['needs_review', 'open'],
    });
  });

  it('When a refresh removed the last row of the chosen value, then the choice stays so it can be cleared', () => {
    expect(filterChoices(ROWS, { status: 'resolved' }).status).toContain('resolved');
  });
});
