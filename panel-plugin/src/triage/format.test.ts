import { formatDuration } from './format';

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [45_000, '45s'],
    [12 * 60_000 + 59_000, '12m'],
    [3 * 3_600_000 + 5 * 60_000, '3h 05m'],
    [2 * 86_400_000 + 4 * 3_600_000 + 59 * 60_000, '2d 4h'],
  ])('shows %i ms as %s', (durationMs, text) => {
    expect(formatDuration(durationMs)).toBe(text);
  });

  it('shows a time slightly in the future (clock skew) as 0s', () => {
    expect(formatDuration(-5_000)).toBe('0s');
  });
});
