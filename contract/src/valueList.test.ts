import fc from 'fast-check';
import { escapeListValue, joinValueList, splitValueList } from './valueList';

/** Text rich in what the list syntax gives meaning to: commas and backslashes, beside any other character. */
const text = fc.string({
  unit: fc.oneof(
    { weight: 2, arbitrary: fc.constantFrom(',', '\\', ' ') },
    { weight: 3, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) }
  ),
});

describe('value lists', () => {
  it('When values are joined, then splitting the list gives exactly those values back, commas and backslashes included', () => {
    fc.assert(
      fc.property(fc.array(text, { minLength: 1 }), (values) => {
        expect(splitValueList(joinValueList(values))).toEqual(values);
      }),
      { numRuns: 2000 }
    );
  });

  it('When one value is escaped, then it is one item of a list, whatever it holds', () => {
    fc.assert(
      fc.property(text, (value) => {
        expect(splitValueList(escapeListValue(value))).toEqual([value]);
      })
    );
  });

  it('When a list has no backslash, then it splits at every comma, as lists did before the escape', () => {
    const plain = text.map((t) => t.replaceAll('\\', ''));
    fc.assert(
      fc.property(plain, (list) => {
        expect(splitValueList(list)).toEqual(list.split(','));
      })
    );
  });

  it('When a site name holds a comma, then `\\,` keeps it in the value and a bare comma separates', () => {
    expect(splitValueList('Paris\\, North,Lyon')).toEqual(['Paris, North', 'Lyon']);
    expect(joinValueList(['Paris, North', 'Lyon'])).toBe('Paris\\, North,Lyon');
  });

  it('When a backslash escapes nothing, then it stands for itself; `\\\\` is one backslash', () => {
    expect(splitValueList('DOMAIN\\host,srv-1')).toEqual(['DOMAIN\\host', 'srv-1']);
    expect(splitValueList('a\\\\,b')).toEqual(['a\\', 'b']);
    expect(splitValueList('a\\')).toEqual(['a\\']);
  });

  it('When items are empty, then they are kept for the reader to refuse or drop', () => {
    expect(splitValueList('')).toEqual(['']);
    expect(splitValueList('a,,b,')).toEqual(['a', '', 'b', '']);
  });
});
