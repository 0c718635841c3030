import { formatContribution, formatMultiplier, formatValue, mttrFactorLines, topFactors } from './factors';

describe('topFactors', () => {
  it('When a problem alert is explained, then each factor shows its name, value and signed contribution, strongest first', () => {
    const lines = topFactors(
      [
        { feature: 'freezer.door_open_count:mean_24', weight: 1.2345, value: 3.25 },
        { feature: 'freezer.setpoint_c:last', weight: -0.4, value: -22 },
        { feature: 'freezer.compressor_current_a:slope_24', weight: 0.05, value: 0.0123456 },
      ],
      2
    );
    expect(lines).toEqual([
      { name: 'freezer.door_open_count:mean_24', value: '3.25', contribution: '+1.234', direction: 'up' },
      { name: 'freezer.setpoint_c:last', value: '−22', contribution: '−0.400', direction: 'down' },
    ]);
  });

  it("When the explanation is a text model's tokens (no values), then there are no factor lines", () => {
    expect(topFactors([{ feature: 'silent', weight: 2 }], 6)).toEqual([]);
    expect(topFactors([], 6)).toEqual([]);
  });

  it('When a factor of a tabular explanation lacks its value, then it is listed without one', () => {
    expect(
      topFactors(
        [
          { feature: 'a', weight: 0.5, value: 1 },
          { feature: 'b', weight: 0.1 },
        ],
        6
      )[1]
    ).toEqual({
      name: 'b',
      contribution: '+0.100',
      direction: 'up',
    });
  });
});

describe('number formats', () => {
  it('When values and contributions are tiny or negative, then they read without a stray minus or long tails', () => {
    expect(formatValue(0.000049)).toBe('0');
    expect(formatValue(212.0004)).toBe('212');
    expect(formatContribution(-0.0001)).toBe('+0.000');
    expect(formatContribution(-0.25)).toBe('−0.250');
  });
});

describe('mttrFactorLines', () => {
  it('When the MTTR model explains a ticket, then each factor is a multiplier of the predicted time, strongest first, with its exact contribution in the title', () => {
    const lines = mttrFactorLines(
      [
        { feature: 'is_weekend', weight: 0.1, value: 1 },
        { feature: 'priority=P4', weight: 0.5878 },
        { feature: 'hour_of_day', weight: -0.5108, value: 10 },
      ],
      2
    );
    expect(lines).toEqual([
      {
        name: 'priority=P4',
        multiplier: '×1.8',
        title: "exact contribution +0.588 to the predicted time's natural log (seconds)",
        direction: 'longer',
      },
      {
        name: 'hour_of_day',
        value: '10',
        multiplier: '×0.6',
        title: "exact contribution −0.511 to the predicted time's natural log (seconds)",
        direction: 'shorter',
      },
    ]);
  });

  it('When a multiplier would round to ×1.0, very large or very small, then it still reads as the effect it has', () => {
    expect(formatMultiplier(0.04)).toBe('×1.04');
    expect(formatMultiplier(-0.03)).toBe('×0.97');
    expect(formatMultiplier(0)).toBe('×1.0');
    expect(formatMultiplier(Math.log(25))).toBe('×25');
    expect(formatMultiplier(Math.log(0.04))).toBe('×0.04');
  });

  it('When a ticket has no MTTR factors, then there are no lines', () => {
    expect(mttrFactorLines([], 6)).toEqual([]);
  });
});
