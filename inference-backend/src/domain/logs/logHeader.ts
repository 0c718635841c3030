/**
 * Finds where the message of a raw log line starts, for lines whose layout nobody declared:
 * the leading timestamps, log levels, host names, process ids, thread names and program or
 * logger tags that logging frameworks put in front of a message. Template mining then sees
 * the message alone, as it would with the layout given (`--format`).
 *
 * The rules read one line at a time, left to right, over "elements": a balanced bracket group
 * (`[IPC Server handler 5 on 62270]`, `[QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181:Election@774]`)
 * or a whitespace-separated token. A header must contain an anchor (a date, a time, an epoch
 * timestamp or a log level): a line without one is all message, so plain messages are never cut.
 *
 * Any change to where a line is cut must bump LOG_HEADER_VERSION: mined templates depend on it.
 */
export const LOG_HEADER_VERSION = 1;

export interface LogHeaderSplit {
  /** The header as it appears in the line, without the whitespace that separates it from the message. */
  header: string;
  /** The rest of the line; the whole line (trimmed) when no header was found. */
  message: string;
}

/** Elements looked at; headers are short, and a bound keeps long lines cheap. */
const MAX_HEADER_ELEMENTS = 12;
/**
 * Unclassified tokens allowed in a row inside a header, e.g. the node, component and state
 * columns of `134681 node-246 unix.hw state_change.unavailable 1077804742 1 …` before its
 * epoch timestamp. They count only when an anchor or a program tag follows.
 */
const MAX_TENTATIVE_RUN = 4;
/** Longest bracket group read as one element; a longer or unclosed one is read as tokens. */
const MAX_BRACKET_CHARS = 512;

type ElementKind =
  /** Date or time parts, epoch timestamps, bracketed timestamps: the strongest evidence of a header. */
  | 'time'
  /** INFO, WARN, `[notice]`, `<error>`. */
  | 'level'
  /** A program or logger tag ending the header: `sshd[24200]:`, `dfs.FSNamesystem:`, `kernel:`. */
  | 'tag'
  /** `-`, `|`, `--` between header fields, a syslog priority `<34>`. */
  | 'separator'
  /** Any other bracket group: thread names, `[pid 12:tid 34]`. */
  | 'bracket'
  /** Numbers: process ids, sequence numbers, day of month. */
  | 'number'
  /** Host names and other identifiers (`node-246`, `LabSZ`, `unix.hw`). */
  | 'word'
  /** Something a header never holds (a word ending in `,`, quotes…): the message has begun. */
  | 'other';

interface Element {
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

const MONTHS = new Set([
  'jan',
  'feb',
  'mar',
  'apr',
  'may',
  'jun',
  'jul',
  'aug',
  'sep',
  'sept',
  'oct',
  'nov',
  'dec',
  'january',
  'february',
  'march',
  'april',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
]);
const DAYS = new Set([
  'mon',
  'tue',
  'tues',
  'wed',
  'thu',
  'thur',
  'thurs',
  'fri',
  'sat',
  'sun',
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
  'sunday',
]);
/** Upper case only outside brackets: `error` or `notice` at the start of a message are words. */
const LEVELS = new Set([
  'TRACE',
  'DEBUG',
  'FINE',
  'FINER',
  'FINEST',
  'CONFIG',
  'VERBOSE',
  'INFO',
  'INFORMATION',
  'NOTICE',
  'WARN',
  'WARNING',
  'ERR',
  'ERROR',
  'SEVERE',
  'CRIT',
  'CRITICAL',
  'ALERT',
  'FATAL',
  'EMERG',
  'EMERGENCY',
  'PANIC',
]);
const TIME_ZONES = new Set(['Z', 'UTC', 'GMT', 'CET', 'CEST', 'EST', 'EDT', 'PST', 'PDT']);
const SEPARATORS = new Set(['-', '--', '|', '||', '>', '>>', '::', '—', '*']);

/** Calendar names by lower-case spelling: one lookup for both kinds. */
const CALENDAR_WORDS = new Set([...MONTHS, ...DAYS]);
const MAX_CALENDAR_WORD_CHARS = 9;

/** Date and time shapes that start with a digit, tried as one expression. */
const NUMERIC_TIME_RE = new RegExp(
  '^(?:' +
    [
      // ISO-8601 date, optionally with its time (`2015-10-18`, `2015-10-18T18:01:47.978+02:00`),
      // or the date-time of IBM logs (`2005-06-03-15.42.50.675872`).
      String.raw`\d{4}-\d{2}-\d{2}(?:[T_]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?|-\d{2}\.\d{2}\.\d{2}(?:\.\d+)?)?`,
      // Slashed or dotted dates: `2015/10/18`, `17/06/09`, `10/18/2015`, `2005.06.03`, `18.10.2015`.
      String.raw`\d{4}[/.]\d{1,2}[/.]\d{1,2}`,
      String.raw`\d{1,2}[/.]\d{1,2}[/.]\d{2,4}`,
      // Month-day without a year (`03-17`, Android), and `10/Oct/2000:13:55:36` (access logs).
      String.raw`\d{2}-\d{2}`,
      String.raw`\d{1,2}/[A-Za-z]{3}/\d{4}(?::\d{2}:\d{2}:\d{2})?`,
      // Times: `18:01:47`, `18:01:47,978`, `06:55:46.123456`, `18:01`.
      String.raw`\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?`,
      // Epoch seconds or milliseconds of 2001–2033 (`1077804742`, `1445144423722`, `1131566461.123`).
      String.raw`1\d{9}(?:\d{3}|\.\d{1,9})?`,
    ].join('|') +
    ')$'
);
const ZONE_OFFSET_RE = /^[+-]\d{2}:?\d{2}$/;

/** `081109 203615`: a compact yyMMdd date followed by a compact HHmmss time, as HDFS writes them. */
function isCompactDate(text: string): boolean {
  if (!/^\d{6}$/.test(text)) return false;
  const month = Number(text.slice(2, 4));
  const day = Number(text.slice(4, 6));
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

function isCompactTime(text: string): boolean {
  if (!/^\d{6}$/.test(text)) return false;
  return Number(text.slice(0, 2)) < 24 && Number(text.slice(2, 4)) < 60 && Number(text.slice(4, 6)) < 61;
}

/** Punctuation around a header field (`12:01:02:`, `Dec 4,`, `*Mar` from Cisco). */
function stripFieldPunctuation(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && (text[start] === '*' || text[start] === '.')) start++;
  while (end > start && (text[end - 1] === ':' || text[end - 1] === ',')) end--;
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

/** Day and month names (`Fri`, `June`), whatever their case, with surrounding `*`, `,` or `:` ignored. */
export function isCalendarWord(token: string): boolean {
  const text = stripFieldPunctuation(token);
  return text.length <= MAX_CALENDAR_WORD_CHARS && CALENDAR_WORDS.has(text.toLowerCase());
}

function isTimePart(raw: string): boolean {
  const text = stripFieldPunctuation(raw);
  if (text.length === 0) return false;
  const first = text.charCodeAt(0);
  if (first >= 48 && first <= 57) return NUMERIC_TIME_RE.test(text);
  if (first === 43 || first === 45) return ZONE_OFFSET_RE.test(text);
  if (text.length > MAX_CALENDAR_WORD_CHARS) return false;
  return CALENDAR_WORDS.has(text.toLowerCase()) || TIME_ZONES.has(text);
}

/** Longest level name with its colon (`INFORMATION:`): longer tokens are never levels. */
const MAX_LEVEL_CHARS = 12;

function isLevel(text: string, bracketed: boolean): boolean {
  if (!bracketed) {
    const first = text.charCodeAt(0);
    if (text.length > MAX_LEVEL_CHARS || first < 65 || first > 90) return false;
  }
  const bare = text.endsWith(':') ? text.slice(0, -1) : text;
  if (LEVELS.has(bare)) return true;
  if (!bracketed) return false;
  // `[notice]`, `<warn>`, `[core:error]` (Apache 2.4 writes the module before the level).
  const level = bare.slice(bare.lastIndexOf(':') + 1).toUpperCase();
  return LEVELS.has(level);
}

/**
 * Program and logger tags: `sshd[24200]:`, `sshd(pam_unix)[19939]:`, `gdm-binary[2803]:`,
 * `org.apache.hadoop.ipc.Client:`, `dfs.DataNode$PacketResponder:`. Cisco's `%LINK-3-UPDOWN:`
 * names the event, not the program, so it stays in the message.
 */
const TAG_RE = /^[A-Za-z_][\w.$/()-]*(?:\[\d+\])?:$/;
/** Identifiers that read as names rather than words: a digit, a dot, a hyphen or an inner capital. */
const IDENTIFIER_RE = /^(?=.*[\d.\-_:]|.+[A-Z])[A-Za-z0-9][\w.:@-]*$/;
const WORD_RE = /^[A-Za-z0-9][\w.:@-]*$/;
const NUMBER_RE = /^[-+]?\d+$/;

function classify(element: Element): ElementKind {
  const { text } = element;
  const first = text.charCodeAt(0);
  if (first === 91 /* [ */ || (first === 40 /* ( */ && text.endsWith(')'))) {
    const inner = text.slice(1, -1).trim();
    if (inner.length === 0) return 'bracket';
    if (isLevel(inner, true)) return 'level';
    const parts = inner.split(/\s+/);
    if (parts.every((part) => isTimePart(part) || /^\d{1,4}$/.test(part)) && parts.some((part) => isTimePart(part))) {
      return 'time';
    }
    return 'bracket';
  }
  if (first === 60 /* < */) {
    if (/^<\d{1,3}>\d?$/.test(text)) return 'separator';
    if (text.endsWith('>') && isLevel(text.slice(1, -1), true)) return 'level';
    return 'other';
  }
  if (SEPARATORS.has(text)) return 'separator';
  const last = text.charCodeAt(text.length - 1);
  if (isLetterCode(first)) {
    if (isLevel(text, false)) return 'level';
    if (text.length <= MAX_CALENDAR_WORD_CHARS + 1 && isTimePart(text)) return 'time';
    if (last === 58 /* : */) return TAG_RE.test(text) ? 'tag' : 'other';
    return WORD_RE.test(text) ? 'word' : 'other';
  }
  if (isTimePart(text)) return 'time';
  if (NUMBER_RE.test(text)) return 'number';
  return WORD_RE.test(text) ? 'word' : 'other';
}

function isLetterCode(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95;
}

/** The next element at or after `from`, or undefined at the end of the line. */
function nextElement(line: string, from: number): Element | undefined {
  let i = from;
  while (i < line.length && isSpaceCode(line.charCodeAt(i))) i++;
  if (i >= line.length) return undefined;
  const start = i;
  const open = line[i];
  if (open === '[' || open === '(') {
    const close = open === '[' ? ']' : ')';
    let depth = 0;
    const limit = Math.min(line.length, i + MAX_BRACKET_CHARS);
    for (let j = i; j < limit; j++) {
      const c = line[j];
      if (c === open) depth++;
      else if (c === close && --depth === 0) {
        // A bracket glued to more text (`[1]foo`) is an ordinary token.
        if (j + 1 >= line.length || isSpaceCode(line.charCodeAt(j + 1))) {
          return { text: line.slice(start, j + 1), start, end: j + 1 };
        }
        break;
      }
    }
  }
  while (i < line.length && !isSpaceCode(line.charCodeAt(i))) i++;
  return { text: line.slice(start, i), start, end: i };
}

function isSpaceCode(code: number): boolean {
  return code === 32 || (code >= 9 && code <= 13);
}

/**
 * Splits `line` into its header and its message. Pure and deterministic; the rules:
 * - Date and time parts, epoch timestamps and levels anchor a header; separators and thread
 *   brackets after an anchor extend it; a program tag (`sshd[123]:`) ends it.
 * - Up to MAX_TENTATIVE_RUN other tokens in a row (numbers, host names, component columns)
 *   belong to the header only when an anchor or a tag follows them. After the first anchor,
 *   words must look like names (`node-246`, `LabSZ`) or precede a tag, as a syslog host does;
 *   numbers right after an anchor are process ids or flags (`… 1077804742 1 message`).
 * - A separator after the level or the thread ends the header (`INFO [main] - message`), even
 *   when the message starts like a tag (`Notification: 3`).
 * - Without a date, time or level there is no header: the line is all message.
 */
export function splitLogHeader(line: string): LogHeaderSplit {
  let headerEnd = 0;
  let sawAnchor = false;
  /** Tokens since the header's current end, kept only if an anchor or a tag follows. */
  let tentative = 0;
  /** End of the numbers that open the tentative run: process ids or flags once an anchor was seen. */
  let leadingNumbers = 0;
  let leadingNumbersEnd = 0;
  let position = 0;
  let previous: Element | undefined;
  let previousKind: ElementKind | undefined;
  const extend = (end: number): void => {
    headerEnd = end;
    tentative = 0;
    leadingNumbers = 0;
    leadingNumbersEnd = 0;
  };

  for (let count = 0; count < MAX_HEADER_ELEMENTS; count++) {
    const element = nextElement(line, position);
    if (element === undefined) break;
    position = element.end;
    let kind = classify(element);
    // The time half of HDFS's `081109 203615`, a compact date and time.
    if (kind === 'number' && isCompactTime(element.text) && previous && isCompactDate(previous.text)) kind = 'time';
    previous = element;
    const afterKind = previousKind;
    previousKind = kind;

    if (kind === 'time' || kind === 'level') {
      sawAnchor = true;
      extend(element.end);
      continue;
    }
    if (kind === 'tag') {
      if (sawAnchor) extend(element.end);
      break;
    }
    if (kind === 'separator' || kind === 'bracket') {
      if (!sawAnchor) {
        // A line that opens with a bracket holding no time or level is a message (`[client …] …`).
        if (count === 0 && kind === 'bracket') break;
        continue;
      }
      if (tentative > 0) continue;
      extend(element.end);
      if (kind === 'separator' && (afterKind === 'level' || afterKind === 'bracket')) break;
      continue;
    }
    if (kind === 'word') {
      const looksLikeName = IDENTIFIER_RE.test(element.text);
      // Before any anchor, a header starts with a number, a name or a separator, not a word.
      if (!sawAnchor && count === 0 && !looksLikeName) break;
      if (sawAnchor && !looksLikeName && !isFollowedByTag(line, position)) break;
    } else if (kind !== 'number') {
      break;
    }
    if (kind === 'number' && leadingNumbers === tentative) {
      leadingNumbers++;
      leadingNumbersEnd = element.end;
    }
    if (++tentative > MAX_TENTATIVE_RUN) break;
  }
  if (!sawAnchor) return { header: '', message: line.trim() };
  if (leadingNumbersEnd > headerEnd && leadingNumbersEnd < line.trimEnd().length) headerEnd = leadingNumbersEnd;
  return { header: line.slice(0, headerEnd).trim(), message: line.slice(headerEnd).trim() };
}

/** Whether the next element (after optional separators) is a program tag, as after a syslog host. */
function isFollowedByTag(line: string, from: number): boolean {
  let position = from;
  for (let i = 0; i < 3; i++) {
    const element = nextElement(line, position);
    if (element === undefined) return false;
    const kind = classify(element);
    if (kind === 'tag') return true;
    if (kind !== 'separator') return false;
    position = element.end;
  }
  return false;
}

/** The message part of each line. */
export function stripLogHeaders(lines: readonly string[]): string[] {
  return lines.map((line) => splitLogHeader(line).message);
}
