import { parseTimeExpression } from './timeExpression';

const NOW = Date.UTC(2024, 2, 5, 12, 34, 56, 789);
const DAY = 86_400_000;

describe('parseTimeExpression', () => {
  it('When the text is epoch milliseconds, then it is that number; beyond a safe integer it is refused', () => {
    expect(parseTimeExpression('1709640000000', NOW)).toBe(1709640000000);
    expect(parseTimeExpression('0', NOW)).toBe(0);
    expect(parseTimeExpression('99999999999999999999', NOW)).toBeUndefined();
    expect(parseTimeExpression('-5', NOW)).toBeUndefined();
    expect(parseTimeExpression('1.5', NOW)).toBeUndefined();
  });

  it('When the text is now with offsets, then the offsets add up like Grafana reads them', () => {
    expect(parseTimeExpression('now', NOW)).toBe(NOW);
    expect(parseTimeExpression('now-7d', NOW)).toBe(NOW - 7 * DAY);
    expect(parseTimeExpression('now-1h+30m', NOW)).toBe(NOW - 1_800_000);
    expect(parseTimeExpression('now-2w', NOW)).toBe(NOW - 14 * DAY);
    expect(parseTimeExpression('now-1M', NOW)).toBe(Date.UTC(2024, 1, 5, 12, 34, 56, 789));
    expect(parseTimeExpression('now-1y', NOW)).toBe(Date.UTC(2023, 2, 5, 12, 34, 56, 789));
  });

  it('When the text rounds to a unit, then from rounds down and to rounds up to the end of it (UTC)', () => {
    expect(parseTimeExpression('now/d', NOW)).toBe(Date.UTC(2024, 2, 5));
    expect(parseTimeExpression('now/d', NOW, true)).toBe(Date.UTC(2024, 2, 6) - 1);
    expect(parseTimeExpression('now-1d/d', NOW)).toBe(Date.UTC(2024, 2, 4));
    // 2024-03-05 is a Tuesday: the ISO week began on Monday the 4th.
    expect(parseTimeExpression('now/w', NOW)).toBe(Date.UTC(2024, 2, 4));
    expect(parseTimeExpression('now/M', NOW)).toBe(Date.UTC(2024, 2, 1));
    expect(parseTimeExpression('now/y', NOW, true)).toBe(Date.UTC(2025, 0, 1) - 1);
  });

  it('When the text is anything else, then it is refused rather than guessed', () => {
    for (const text of ['yesterday', 'now-7', 'now-7x', 'now - 7d', 'now-7d/', '2024-03-05', 'NOW', '']) {
      expect(parseTimeExpression(text, NOW)).toBeUndefined();
    }
  });
});
