import { assembleSeries, calendarSeasons, futureTimes, ForecastInputError } from './forecastInput';
import type { LongRow } from './forecastInput';

/** Rows from `series,t,value` lines (no header), numbered from line 2 as in a file. */
const rows = (...lines: string[]): LongRow[] =>
  lines.map((text, i) => {
    const [series, t, value] = text.split(',');
    return { line: i + 2, series, t, value };
  });

const failure = (input: LongRow[]) => {
  try {
    assembleSeries(input);
  } catch (error) {
    if (error instanceof ForecastInputError) return error.message;
    throw error;
  }
  throw new Error('expected a ForecastInputError');
};

describe('assembleSeries', () => {
  it('When rows of two series are interleaved and unsorted, then each series comes out sorted on its grid', () => {
    const input = assembleSeries(rows('b,11,5', 'a,2,30', 'a,0,10', 'b,10,4', 'a,1,20', 'b,12,6'));
    expect(input.timeKind).toBe('index');
    expect(input.series.map((s) => [s.name, s.start, s.step, s.values])).toEqual([
      ['b', 10, 1, [4, 5, 6]],
      ['a', 0, 1, [10, 20, 30]],
    ]);
  });

  it('When a t repeats within a series, then its values are merged into their mean and counted', () => {
    const [s] = assembleSeries(rows('a,0,1', 'a,1,2', 'a,1,4', 'a,2,5')).series;
    expect(s.values).toEqual([1, 3, 5]);
    expect(s.merged).toBe(1);
  });

  it('When steps are missing or a value cell is empty, then the gaps are interpolated and counted', () => {
    const [s] = assembleSeries(rows('a,0,10', 'a,2,', 'a,3,40', 'a,5,60', 'a,6,70', 'a,7,')).series;
    // t = 1 and 2 lie between 10 (t 0) and 40 (t 3); t 4 between 40 and 60; t 7 after the last value.
    expect(s.values).toEqual([10, 20, 30, 40, 50, 60, 70, 70]);
    expect(s.imputed).toBe(4);
    expect(s.values.every(Number.isFinite)).toBe(true);
  });

  it('When t holds timestamps, then the step is read from them and the future times are ISO 8601', () => {
    const input = assembleSeries(
      rows('a,2024-03-01T00:00:00Z,1', 'a,2024-03-01 01:00,2', 'a,2024-03-01T03:00:00Z,4', 'a,1709258400,3')
    );
    expect(input.timeKind).toBe('timestamp');
    const [s] = input.series;
    expect(s.step).toBe(3_600_000);
    expect(s.values).toEqual([1, 2, 3, 4]);
    expect(futureTimes(s, 2, input.timeKind)).toEqual(['2024-03-01T04:00:00.000Z', '2024-03-01T05:00:00.000Z']);
    expect(calendarSeasons(s.step)).toEqual([24, 168]);
  });

  it('When epochs in seconds sit among ISO timestamps, then both are read as times', () => {
    const input = assembleSeries(rows('a,2024-01-01T00:00:00Z,1', 'a,1704070800,2', 'a,2024-01-01T02:00:00Z,3'));
    expect(input.timeKind).toBe('timestamp');
    expect(input.series[0].values).toEqual([1, 2, 3]);
    expect(input.series[0].step).toBe(3_600_000);
  });

  it('When t is an index with a step of 5, then the future indices continue it', () => {
    const input = assembleSeries(rows('a,100,1', 'a,105,2', 'a,110,3'));
    expect(futureTimes(input.series[0], 3, input.timeKind)).toEqual([115, 120, 125]);
  });

  it.each([
    [
      'a value that is not a number',
      rows('a,0,1', 'a,1,abc', 'a,2,3'),
      'line 3 has the value "abc", which is not a number',
    ],
    ['Infinity', rows('a,0,1', 'a,1,Infinity', 'a,2,3'), 'line 3 has the value "Infinity", which is not a number'],
    [
      'a value too large to compute with',
      rows('a,0,1', 'a,1,1e200', 'a,2,3'),
      'line 3 has the value "1e200", beyond ±1e+150 (too large to forecast)',
    ],
    [
      'a t that is no time',
      rows('a,0,1', 'a,yesterday,2'),
      'line 3 has t = "yesterday", which is neither an integer index nor a timestamp (ISO 8601 or epoch)',
    ],
    ['a single row', rows('a,0,1'), 'series "a" has 1 value; forecasting needs at least 3'],
    [
      'a series of empty values',
      rows('a,0,', 'a,1,', 'a,2,', 'a,3,5'),
      'series "a" has 1 value; forecasting needs at least 3',
    ],
    [
      'times off the grid',
      rows('a,0,1', 'a,2,2', 'a,5,3'),
      'series "a" is not on a regular grid: t = 5 follows t = 2, which is no multiple of its smallest step (2)',
    ],
    [
      'a mostly missing series',
      rows('a,0,1', 'a,1,2', 'a,2,3', 'a,100,4'),
      'series "a" is mostly missing: 4 values on a grid of 101 steps (at most half may be filled in)',
    ],
    [
      'integer indices mixed with timestamps',
      rows('a,2024-01-01T00:00:00Z,1', 'a,2024-01-01T01:00:00Z,2', 'a,3,3'),
      'line 4 has the integer index t = "3" but line 2 has t = "2024-01-01T00:00:00Z": ' +
        't must be integer indices in every row or timestamps in every row',
    ],
    ['an empty series name', rows(' ,0,1'), 'line 2 has an empty series name'],
    ['no rows', [], 'has no data rows'],
  ])('When the input has %s, then it is refused with one sentence', (_case, input, message) => {
    expect(failure(input)).toBe(message);
  });

  it('When the step is a day, then the only calendar season is the week; a weekly step has none', () => {
    expect(calendarSeasons(86_400_000)).toEqual([7]);
    expect(calendarSeasons(300_000)).toEqual([288, 2016]);
    expect(calendarSeasons(7 * 86_400_000)).toEqual([]);
    expect(calendarSeasons(7 * 3_600_000)).toEqual([24]);
  });
});
