import fc from 'fast-check';
import { anyOf } from './anyOf';
import { tagValue, tagValueProblem } from './tagValue';
import { joinValueList } from './valueList';

const siteFilter = anyOf(tagValue());

/** Site names a filter can name: valid tag values, as the filter reads them (trimmed, not empty), often with commas. */
const siteName = fc
  .string({
    unit: fc.oneof(
      { weight: 2, arbitrary: fc.constantFrom(',', '\\', ' ', 'é') },
      { weight: 3, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) }
    ),
    minLength: 1,
    maxLength: 40,
  })
  .filter((name) => name === name.trim() && name !== '' && tagValueProblem(name) === undefined);

describe('anyOf', () => {
  it('When sites are joined as the data source joins a multi-value variable, then the filter reads exactly those sites', () => {
    fc.assert(
      fc.property(fc.uniqueArray(siteName, { minLength: 1, maxLength: 5 }), (sites) => {
        expect(siteFilter.parse(joinValueList(sites))).toEqual(sites);
      }),
      { numRuns: 1000 }
    );
  });

  it('When a site holds an escaped comma, then it is one site; unescaped, the comma separates two', () => {
    expect(siteFilter.parse('Paris\\, North')).toEqual(['Paris, North']);
    expect(siteFilter.parse('Paris, North')).toEqual(['Paris', 'North']);
    expect(siteFilter.parse(' Paris\\, North , Lyon')).toEqual(['Paris, North', 'Lyon']);
  });

  it('When an item is empty, even next to an escaped comma, then the list is refused', () => {
    const result = siteFilter.safeParse('Paris\\,,,Lyon');
    expect(result.success).toBe(false);
    expect(result.error?.issues[0].message).toBe(
      'must be one value or a comma-separated list of values, without an empty one'
    );
  });
});
