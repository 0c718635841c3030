import fc from 'fast-check';
import { isMaskedAsIs, maskMessage } from '../logs/masking';
import { words } from './featurizer';
import { WordTable } from './wordTable';

/** Characters that exercise every branch of the scan: case, digits, placeholders, Unicode letters and numbers, surrogates. */
const PIECES = [
  'a',
  'Z',
  'q',
  '_',
  '1',
  '7',
  ' ',
  '\t',
  '\n',
  '<',
  '>',
  '*',
  '/',
  '@',
  '\\',
  '.',
  '-',
  ':',
  'ß',
  'Ä',
  'é',
  'e\u0301',
  'İ',
  'ǅ',
  'Σ',
  'ж',
  '中',
  '²',
  '𝐁',
  '𝟏',
  '🔥',
  '\ud800',
  '\udc00',
  '<num>',
  '<NUM>',
  '<*>',
  'ms',
  'KB',
  '10.0.0.1',
  'http://x.org/a',
  'ab',
  'cd',
];
const texts = fc.array(fc.constantFrom(...PIECES), { maxLength: 40 }).map((parts) => parts.join(''));

/** The words of `text` as the serving featurizer finds them with a table of `cacheSize` words. */
function served(table: WordTable<{ text: string }>, text: string): string[] {
  const out: Array<{ text: string }> = [];
  if (!table.scanIfMaskedAsIs(text, out)) table.scan(maskMessage(text).toLowerCase(), out);
  return out.map((entry) => entry.text);
}

describe('WordTable', () => {
  it('When a text is scanned, then its words are exactly those words() finds, whether remembered or forgotten', () => {
    // A cache of three words is forgotten again and again, a permanent word never is.
    const table = new WordTable((text) => ({ text }), 3);
    table.addPermanent({ text: 'ab' });
    fc.assert(
      fc.property(texts, (text) => {
        expect(served(table, text)).toEqual(words(text));
      }),
      { numRuns: 2000, seed: 9 }
    );
  });

  it('When a text is read as it is, then that happens exactly when masking leaves it as it is', () => {
    // Mostly plain ASCII words in any case, with the characters and token lengths that break the test.
    const ascii = fc
      .array(
        fc.oneof(
          {
            weight: 8,
            arbitrary: fc.constantFrom(
              'Reset',
              'PASSWORD',
              'vpn_Drops',
              'a',
              'Zz',
              ' ',
              '  ',
              '\t',
              ',',
              '.',
              '-',
              "'"
            ),
          },
          {
            weight: 1,
            arbitrary: fc.constantFrom('7', '/', '@', '\\', '<', '<num>', 'é', 'x'.repeat(255), 'Y'.repeat(256)),
          }
        ),
        { maxLength: 30 }
      )
      .map((parts) => parts.join(''));
    const table = new WordTable((text) => ({ text }), 5);
    fc.assert(
      fc.property(fc.oneof(ascii, texts), (text) => {
        const out: Array<{ text: string }> = [];
        const asIs = table.scanIfMaskedAsIs(text, out);
        expect(asIs).toBe(isMaskedAsIs(text));
        if (asIs) expect(out.map((e) => e.text)).toEqual(words(text));
      }),
      { numRuns: 3000, seed: 9 }
    );
  });

  it('When words are cached from their second sighting on, then scanning still finds exactly the words words() finds', () => {
    const table = new WordTable((text) => ({ text }), 3, undefined, { secondSighting: true });
    table.addPermanent({ text: 'ab' });
    fc.assert(
      fc.property(texts, (text) => {
        expect(served(table, text)).toEqual(words(text));
      }),
      { numRuns: 2000, seed: 9 }
    );
  });

  it('When a word is met once, then it is not cached; when met again, it is, and from then on it is one entry', () => {
    const created: Array<[string, boolean]> = [];
    const table = new WordTable(
      (text, transient) => {
        created.push([text, transient]);
        return { text };
      },
      100,
      undefined,
      { secondSighting: true }
    );
    const permanent = { text: 'vpn' };
    table.addPermanent(permanent);
    const out: Array<{ text: string }> = [];
    // Read as it is, and (with a digit) from the masked text: both find the words met before.
    expect(table.scanIfMaskedAsIs('Reset PASSWORD vpn', out)).toBe(true);
    expect(out.map((e) => e.text)).toEqual(['reset', 'password', 'vpn']);
    expect(out[2]).toBe(permanent);
    expect(table.cachedCount).toBe(0);
    const first = out.slice();
    table.scan(maskMessage('reset 7 again').toLowerCase(), out);
    expect(out.map((e) => e.text)).toEqual(['reset', '<num>', 'again']);
    expect(out[0]).not.toBe(first[0]);
    const cachedReset = out[0];
    expect(table.scanIfMaskedAsIs('again RESET password', out)).toBe(true);
    expect(out[1]).toBe(cachedReset);
    expect(created).toEqual([
      ['reset', true],
      ['password', true],
      ['reset', false],
      ['<num>', true],
      ['again', true],
      ['again', false],
      ['password', false],
    ]);
    expect(table.cachedCount).toBe(3);
  });

  it('When the same word is met twice, then it is the same entry (no new entry per occurrence)', () => {
    const created: string[] = [];
    const table = new WordTable((text) => {
      created.push(text);
      return { text };
    }, 100);
    const out: Array<{ text: string }> = [];
    expect(table.scanIfMaskedAsIs('Reset PASSWORD reset password', out)).toBe(true);
    expect(out.map((e) => e.text)).toEqual(['reset', 'password', 'reset', 'password']);
    expect(out[0]).toBe(out[2]);
    expect(created).toEqual(['reset', 'password']);
  });

  it('When the cached words are forgotten, then the hook is told every entry first, and the permanent ones stay', () => {
    const told: string[][] = [];
    const table = new WordTable(
      (text) => ({ text }),
      2,
      (entries) => told.push(entries.map((e) => e.text))
    );
    const permanent = { text: 'vpn' };
    table.addPermanent(permanent);
    const out: Array<{ text: string }> = [];
    expect(table.scanIfMaskedAsIs('vpn drops again', out)).toBe(true);
    expect(told).toEqual([]);
    // A third cached word: the two before it are forgotten.
    expect(table.scanIfMaskedAsIs('vpn down', out)).toBe(true);
    expect(told).toEqual([['vpn', 'drops', 'again']]);
    expect(out[0]).toBe(permanent);
    expect(out.map((e) => e.text)).toEqual(['vpn', 'down']);
  });
});

describe('isMaskedAsIs', () => {
  it('When it holds, then masking only collapses whitespace', () => {
    fc.assert(
      fc.property(texts, (text) => {
        if (isMaskedAsIs(text))
          expect(maskMessage(text)).toBe(
            text
              .split(/[\t\n\v\f\r ]+/)
              .filter(Boolean)
              .join(' ')
          );
      }),
      { numRuns: 2000, seed: 9 }
    );
  });

  it('When a text has digits, addresses or non-ASCII letters, then it does not hold', () => {
    expect(isMaskedAsIs('printer offline on floor three')).toBe(true);
    for (const text of ['port 22', 'see /var/log', 'mail a@b.c', 'Straße', '<num>', `x${'y'.repeat(300)}`]) {
      expect(isMaskedAsIs(text)).toBe(false);
    }
  });
});
