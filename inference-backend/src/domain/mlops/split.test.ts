import { timeOrderedSplit } from './split';

describe('timeOrderedSplit', () => {
  it('When rows carry times, then each class holds out its newest 20% and both sets are oldest first', () => {
    // Rows listed out of time order on purpose: a = 10 rows, b = 5 rows.
    const labels = ['a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'b', 'b', 'b', 'b', 'b'];
    const times = [9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 100, 50, 60, 70, 80];
    const { train, test } = timeOrderedSplit(labels, { timeOf: (i) => times[i] });
    expect(test.filter((i) => labels[i] === 'a').map((i) => times[i])).toEqual([8, 9]);
    expect(test.filter((i) => labels[i] === 'b').map((i) => times[i])).toEqual([100]);
    expect(train).toHaveLength(12);
    const trainTimes = train.map((i) => times[i]);
    expect(trainTimes).toEqual([...trainTimes].sort((x, y) => x - y));
  });

  it('When there is no time, then row order is time order and a single-row class stays in training', () => {
    const labels = ['x', 'y', 'x', 'x', 'x', 'x', 'z'];
    const { train, test } = timeOrderedSplit(labels);
    expect(test).toEqual([5]);
    expect(train).toEqual([0, 1, 2, 3, 4, 6]);
  });
});
