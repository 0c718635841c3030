/**
 * Masking replaces the variable parts of a log message (addresses, numbers, ids, paths, times)
 * with placeholder tokens such as `<IP>` or `<NUM>`, so that lines from one statement in the
 * source code look alike to the template miner and to the text classifiers.
 *
 * Models store the masking version they were trained with: any change to what a message masks
 * to (a new rule, a different token, a different order) must bump MASKING_VERSION.
 */
export const MASKING_VERSION = 1;

export const MASK_TOKENS = {
  url: '<URL>',
  email: '<EMAIL>',
  uuid: '<UUID>',
  timestamp: '<TS>',
  date: '<DATE>',
  time: '<TIME>',
  mac: '<MAC>',
  ip: '<IP>',
  path: '<PATH>',
  hex: '<HEX>',
  duration: '<DURATION>',
  size: '<SIZE>',
  number: '<NUM>',
  blob: '<BLOB>',
} as const;

/**
 * Longer tokens are masked whole as `<BLOB>`: they are encoded payloads (base64, hex dumps,
 * space-less JSON) far more often than words, and several rules would take time quadratic in
 * their length.
 */
export const MAX_MASKED_TOKEN_CHARS = 256;

/**
 * An extra substitution applied to the whole message before the built-in rules, e.g. a
 * dataset's block ids (`blk_-?\d+`). Kept as strings so that it can be stored with a model or
 * a miner's state and compiled again.
 */
export interface MaskRuleSpec {
  readonly pattern: string;
  /** RegExp flags; `g` is always added. */
  readonly flags?: string;
  readonly replacement: string;
}

export interface Masker {
  readonly version: number;
  /** Whitespace-separated tokens of the masked message. */
  maskTokens(message: string): string[];
  mask(message: string): string;
}

const HEX4 = '[0-9a-fA-F]{1,4}';
const MONTH = '(?:0?[1-9]|1[0-2])';
const DAY = '(?:0?[1-9]|[12]\\d|3[01])';

/**
 * Built-in rules, tried at each position of a token in this order (the first alternative that
 * matches at the leftmost position wins), so specific shapes come before the ones they contain:
 * a MAC before a time, a UUID before a hex id, everything before a bare number.
 * Each rule is one capturing group; rules use only non-capturing groups inside.
 */
const TOKEN_RULES: ReadonlyArray<readonly [source: string, token: string]> = [
  // Trailing brackets and punctuation belong to the sentence around the URL, not to it.
  [String.raw`[A-Za-z][A-Za-z0-9+.-]*://[^\s"'<>\[\]]*[^\s"'<>\[\](){},;.]`, MASK_TOKENS.url],
  [String.raw`[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+`, MASK_TOKENS.email],
  [String.raw`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`, MASK_TOKENS.uuid],
  [
    String.raw`(?<!\d)\d{4}-\d{2}-\d{2}[T_]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?(?!\d)`,
    MASK_TOKENS.timestamp,
  ],
  // Year first with a valid month and day, or day and month in either order with slashes;
  // dashed digit groups without a year in front are more often ids (`24-54-76-216.example`).
  [
    String.raw`(?<![\w.-])(?:\d{4}-${MONTH}-${DAY}|\d{4}/${MONTH}/${DAY}|\d{1,2}/\d{1,2}/(?:\d{4}|\d{2}))(?![\w/-])`,
    MASK_TOKENS.date,
  ],
  [String.raw`(?<![\w:])[0-9a-fA-F]{2}(?:[:-][0-9a-fA-F]{2}){5}(?![\w:])`, MASK_TOKENS.mac],
  [String.raw`(?<![\d:])\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?(?![\d:])`, MASK_TOKENS.time],
  [String.raw`(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?(?![\w.])`, MASK_TOKENS.ip],
  [String.raw`(?<![\w:])(?:${HEX4}:){7}${HEX4}(?![\w:])`, MASK_TOKENS.ip],
  // Compressed IPv6 (`fe80::1`); the digit look-ahead keeps `std::string` intact.
  [
    String.raw`(?<![\w:])(?=[0-9a-fA-F:]*\d)(?:${HEX4}(?::${HEX4})*)?::(?:${HEX4}(?::${HEX4})*)?(?![\w:])`,
    MASK_TOKENS.ip,
  ],
  // Absolute Unix paths whose first segment is not a number (`/10.0.0.1:80` is an address)
  // and Windows drive paths.
  [
    String.raw`(?<![\w/.])(?:/[A-Za-z_.~$-][\w.@%+~$-]*)(?:/[\w.@%+~$-]+)*/?|(?<![\w])[A-Za-z]:\\[^\s]*`,
    MASK_TOKENS.path,
  ],
  [
    String.raw`(?<![\w])(?:0[xX][0-9a-fA-F]+|(?=[0-9a-fA-F]*[a-fA-F])(?=[0-9a-fA-F]*\d)[0-9a-fA-F]{8,})(?![\w])`,
    MASK_TOKENS.hex,
  ],
  [String.raw`(?<![\w.])\d+(?:\.\d+)?(?:ms|us|µs|ns|s|sec|secs|min|mins|h|hrs)(?![\w])`, MASK_TOKENS.duration],
  [String.raw`(?<![\w.])\d+(?:\.\d+)?(?:[KMGTP]i?B|[kKMGT]|B|bytes)(?![\w])`, MASK_TOKENS.size],
  // Numbers standing on their own or inside identifiers (`blk_-42`, `node-7`), but not the
  // digits that are part of a word (`ssh2`, `eth0`, `log4j`).
  [String.raw`(?<![A-Za-z0-9.])[-+]?\d+(?:\.\d+)*(?![A-Za-z0-9])`, MASK_TOKENS.number],
];

const TOKEN_RULE_RE = new RegExp(TOKEN_RULES.map(([source]) => `(${source})`).join('|'), 'g');
const TOKEN_RULE_REPLACEMENTS = TOKEN_RULES.map(([, token]) => token);

/**
 * Units that turn a preceding bare number token into a duration or a size, so that
 * `took 12 ms` and `took 3 seconds` mask alike.
 */
const DURATION_UNITS = new Set([
  'ns',
  'us',
  'µs',
  'ms',
  'millis',
  'milliseconds',
  's',
  'sec',
  'secs',
  'second',
  'seconds',
  'min',
  'mins',
  'minute',
  'minutes',
  'h',
  'hr',
  'hrs',
  'hour',
  'hours',
  'day',
  'days',
]);
const SIZE_UNITS = new Set(['B', 'KB', 'MB', 'GB', 'TB', 'PB', 'KiB', 'MiB', 'GiB', 'TiB', 'bytes', 'kB']);

/** The groups are arguments 1..n of a replace callback, exactly one of them defined. */
function replaceTokenMatch(match: string, ...groups: unknown[]): string {
  for (let i = 0; i < TOKEN_RULE_REPLACEMENTS.length; i++) {
    if (groups[i] !== undefined) return TOKEN_RULE_REPLACEMENTS[i];
  }
  return match;
}

const CODE_TAB = 9;
const CODE_CR = 13;
const CODE_SPACE = 32;
const CODE_ZERO = 48;
const CODE_NINE = 57;

function isSpace(code: number): boolean {
  return code === CODE_SPACE || (code >= CODE_TAB && code <= CODE_CR);
}

/**
 * Tokens the rules rewrote, per masker: logs repeat their addresses, sizes and ids, and the
 * rules are the costly part of masking. Emptied when full, so memory stays bounded.
 */
type RuleCache = Map<string, string>;
const RULE_CACHE_MAX_ENTRIES = 10_000;

function maskToken(token: string, hasDigit: boolean, allDigits: boolean, cache: RuleCache): string {
  if (token.length > MAX_MASKED_TOKEN_CHARS) return MASK_TOKENS.blob;
  if (allDigits) return MASK_TOKENS.number;
  if (!hasDigit && token.indexOf('/') < 0 && token.indexOf('@') < 0 && token.indexOf('\\') < 0) return token;
  const cached = cache.get(token);
  if (cached !== undefined) return cached;
  const masked = token.replace(TOKEN_RULE_RE, replaceTokenMatch);
  if (cache.size >= RULE_CACHE_MAX_ENTRIES) cache.clear();
  cache.set(token, masked);
  return masked;
}

/** Splits `unitToken` into a known unit and the punctuation after it (`KB,` → `KB` + `,`). */
function unitSuffix(unitToken: string, units: ReadonlySet<string>): string | undefined {
  let end = unitToken.length;
  while (end > 0) {
    const code = unitToken.charCodeAt(end - 1);
    const isWordChar = (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 181;
    if (isWordChar) break;
    end--;
  }
  if (end === 0) return undefined;
  return units.has(end === unitToken.length ? unitToken : unitToken.slice(0, end)) ? unitToken.slice(end) : undefined;
}

function maskTokensWith(
  message: string,
  extraRules: readonly RegExp[],
  extraReplacements: readonly string[],
  cache: RuleCache
): string[] {
  let text = message;
  for (let i = 0; i < extraRules.length; i++) text = text.replace(extraRules[i], extraReplacements[i]);

  const tokens: string[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    while (i < n && isSpace(text.charCodeAt(i))) i++;
    if (i >= n) break;
    const start = i;
    let hasDigit = false;
    let allDigits = true;
    while (i < n) {
      const code = text.charCodeAt(i);
      if (isSpace(code)) break;
      if (code >= CODE_ZERO && code <= CODE_NINE) hasDigit = true;
      else allDigits = false;
      i++;
    }
    const raw = text.slice(start, i);
    const masked = maskToken(raw, hasDigit, allDigits, cache);
    const previous = tokens.length > 0 ? tokens[tokens.length - 1] : undefined;
    if (previous === MASK_TOKENS.number && !hasDigit) {
      const durationTail = unitSuffix(masked, DURATION_UNITS);
      if (durationTail !== undefined) {
        tokens[tokens.length - 1] = MASK_TOKENS.duration + durationTail;
        continue;
      }
      const sizeTail = unitSuffix(masked, SIZE_UNITS);
      if (sizeTail !== undefined) {
        tokens[tokens.length - 1] = MASK_TOKENS.size + sizeTail;
        continue;
      }
    }
    // A run of the same placeholder is one variable-length list (`delete blk_1 blk_2 …`),
    // otherwise the token count, which the miner keys on, would vary with the list.
    if (previous === masked && (masked !== raw || isMaskToken(masked))) continue;
    tokens.push(masked);
  }
  return tokens;
}

function compileRule(rule: MaskRuleSpec): RegExp {
  const flags = rule.flags ?? '';
  return new RegExp(rule.pattern, flags.includes('g') ? flags : `${flags}g`);
}

/** A masker with the built-in rules, preceded by `extraRules` (compiled once, here). */
export function createMasker(extraRules: readonly MaskRuleSpec[] = []): Masker {
  const compiled = extraRules.map(compileRule);
  const replacements = extraRules.map((rule) => rule.replacement);
  const cache: RuleCache = new Map();
  const maskTokens = (message: string): string[] => maskTokensWith(message, compiled, replacements, cache);
  return {
    version: MASKING_VERSION,
    maskTokens,
    mask: (message) => maskTokens(message).join(' '),
  };
}

const DEFAULT_MASKER = createMasker();

/** `message` masked with the built-in rules, whitespace collapsed to single spaces. */
export function maskMessage(message: string): string {
  return DEFAULT_MASKER.mask(message);
}

export function maskMessageTokens(message: string): string[] {
  return DEFAULT_MASKER.maskTokens(message);
}

/** Whether `token` is a whole placeholder such as `<NUM>` or the miner's `<*>`. */
export function isMaskToken(token: string): boolean {
  return token.length >= 3 && token.charCodeAt(0) === 60 && token.charCodeAt(token.length - 1) === 62;
}

const CODE_SLASH = 47;
const CODE_AT = 64;
const CODE_BACKSLASH = 92;
const CODE_LESS_THAN = 60;

/** What an ASCII code is to isMaskedAsIs: it breaks the test, it ends a token, or it counts toward one. */
export const AsIs = { Breaks: 0, Space: 1, Token: 2 } as const;

/** AsIs of each ASCII code (isMaskedAsIs; WordTable's scan checks it as it reads words). */
export const AS_IS_CLASS: Uint8Array = Uint8Array.from({ length: 128 }, (_, code) => {
  if (isSpace(code)) return AsIs.Space;
  const breaks =
    (code >= CODE_ZERO && code <= CODE_NINE) ||
    code === CODE_SLASH ||
    code === CODE_AT ||
    code === CODE_BACKSLASH ||
    code === CODE_LESS_THAN;
  return breaks ? AsIs.Breaks : AsIs.Token;
});

/**
 * Whether masking with the built-in rules leaves `text` as it is but for whitespace (collapsed to
 * single spaces): ASCII without a digit, `/`, `@`, `\` or `<`, no token longer than
 * MAX_MASKED_TOKEN_CHARS. maskToken returns such tokens unchanged, no unit follows a `<NUM>` and
 * no placeholder repeats, so a caller may read the text itself instead of building the masked
 * copy (the featurizer at serving time, issue 9). A new rule that can act on such text must
 * change this test too (AS_IS_CLASS).
 */
export function isMaskedAsIs(text: string): boolean {
  let tokenChars = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const kind = code < 128 ? AS_IS_CLASS[code] : AsIs.Breaks;
    if (kind === AsIs.Space) {
      tokenChars = 0;
      continue;
    }
    if (kind === AsIs.Breaks || ++tokenChars > MAX_MASKED_TOKEN_CHARS) return false;
  }
  return true;
}
