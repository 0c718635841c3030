import {
  equalsCondition,
  InexpressibleLiteralError,
  isQuotable,
  noneOfCondition,
  quoteIdentifier,
  quoteString,
  regexLiteralFor,
} from './influxql';

describe('quoteString and quoteIdentifier', () => {
  it('When text holds quotes, backslashes and LF, then they are escaped and everything else stays raw', () => {
    expect(quoteString('it\'s a\\b\nc\t"')).toBe("'it\\'s a\\\\b\\nc\t\"'");
    expect(quoteIdentifier('say "hi"\\')).toBe('"say \\"hi\\"\\\\"');
  });

  it('When text holds CR, NUL or a lone surrogate, then it is refused with a typed error pointing to equalsCondition', () => {
    expect(() => quoteString('a\rb')).toThrow(InexpressibleLiteralError);
    expect(() => quoteString('a\rb')).toThrow(
      'InfluxQL cannot quote this text: it holds a carriage return, which InfluxQL reads as a line feed; filter with equalsCondition'
    );
    expect(() => quoteIdentifier('a\0')).toThrow(/NUL character/);
    expect(() => quoteString('\udc00')).toThrow(/lone UTF-16 surrogate/);
    expect(isQuotable('a\tb')).toBe(true);
    expect(isQuotable('a\rb')).toBe(false);
  });
});

describe('equalsCondition', () => {
  it('When the value can be quoted, then it is a plain equality', () => {
    expect(equalsCondition('site', "o'hare")).toBe(`"site" = 'o\\'hare'`);
  });

  it('When the value holds CR or NUL, then it is an anchored regex spelling them as Go escapes', () => {
    expect(equalsCondition('site', 'a\rb\0.')).toBe('"site" =~ /^(a\\x{d}b\\x{0}\\.)$/');
  });
});

describe('noneOfCondition', () => {
  it('When kinds are excluded, then they are one anchored, escaped regex the tag must not match', () => {
    expect(noneOfCondition('device_kind', ['plc', 'sensor.x'])).toBe('"device_kind" !~ /^(plc|sensor\\.x)$/');
    expect(() => noneOfCondition('device_kind', [])).toThrow(RangeError);
  });
});

describe('regexLiteralFor', () => {
  it('When values hold regex metacharacters, slashes and control characters, then each is escaped', () => {
    expect(regexLiteralFor(['a.b', 'x/y', '(z)|[w]', 'tab\there', 'c:\\'])).toBe(
      '/^(a\\.b|x\\/y|\\(z\\)\\|\\[w\\]|tab\\x{9}here|c:\\\\)$/'
    );
  });
});
