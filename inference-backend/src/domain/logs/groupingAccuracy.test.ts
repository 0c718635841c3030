import { groupingAccuracy } from './groupingAccuracy';

describe('groupingAccuracy', () => {
  it('counts a partition equal to the truth as fully correct whatever the labels', () => {
    expect(groupingAccuracy(['A', 'A', 'B', 'C'], ['x', 'x', 'y', 'z'])).toBe(1);
  });

  it('When one stray line joins a group, then that whole group and the stray line are wrong', () => {
    expect(groupingAccuracy(['A', 'A', 'A', 'B'], ['x', 'x', 'x', 'x'])).toBe(0);
    expect(groupingAccuracy(['A', 'A', 'B', 'C'], ['x', 'x', 'y', 'y'])).toBe(0.5);
  });

  it('When a true template is split over two groups, then none of its lines count', () => {
    expect(groupingAccuracy(['A', 'A', 'A', 'B'], ['x', 'x', 'y', 'z'])).toBe(0.25);
  });

  it('rejects predictions that are not aligned with the truth', () => {
    expect(() => groupingAccuracy(['A'], [])).toThrow(RangeError);
  });
});
