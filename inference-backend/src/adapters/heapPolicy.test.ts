import { setHeapGrowthPercent } from './heapPolicy';

describe('setHeapGrowthPercent', () => {
  it('When the bound is not a whole number of percent ≥ 0, then it is refused in one sentence', () => {
    expect(() => setHeapGrowthPercent(-1)).toThrow('the heap growth must be a whole number of percent ≥ 0, got -1');
    expect(() => setHeapGrowthPercent(12.5)).toThrow(RangeError);
    expect(() => setHeapGrowthPercent(Number.NaN)).toThrow(RangeError);
  });
});
