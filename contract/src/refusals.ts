import { z } from 'zod';
import { plural } from './plural';

/**
 * Refused input as sentences an operator reads: `priority must be one of P1, P2, P3, P4 (got "P7")`.
 *
 * zod's own issues (a wrong type, a value outside an enum, a length, an unknown key…) are worded here,
 * through zod's per-parse error map, as predicates: "must be …", "is required …", "has no …". A
 * schema's own message is kept as its author wrote it. `checkInput` then names the field:
 * - a predicate follows the field's name: `text must not be empty`;
 * - a sentence that starts with the field's name (`from must not be after to`), or one about the input as
 *   a whole (no path: `nothing to change: …`), stands as it is, so no field is named twice;
 * - any other sentence follows the field and a colon: `outputs.labels: a classifier needs at least 2 labels`.
 * A refusal of the input as a whole names it by `subject` (`the request body must be an object …`).
 *
 * A per-parse map rather than `z.config()`: the contract is bundled into the Grafana plugins too, and a
 * global map would reword every zod message of the process, those of libraries included.
 */

export interface InputWording {
  /** The input as a whole, for a refusal that concerns all of it (`the request body`); `the input` by default. */
  subject?: string;
  /** What the input's keys are called in "has no field x": `field` by default, `parameter` for a query string. */
  member?: string;
  /**
   * Where the input sits in a larger one checked part by part (`['alerts', 3]`): its fields are named from
   * the larger one's root (`alerts.3.labels.host must …`), and a refusal of it as a whole names it by that path.
   */
  at?: readonly PropertyKey[];
}

export interface RefusedInput {
  success: false;
  /** The first refusal: what an answer that carries one sentence says. */
  message: string;
  /** Every refusal, in the order of the schema's fields. */
  messages: string[];
}

export type CheckedInput<T> = { success: true; data: T } | RefusedInput;

/** `schema.safeParse(input)`, with every refusal as one sentence naming its field (see above). */
export function checkInput<S extends z.ZodType>(
  schema: S,
  input: unknown,
  wording: InputWording = {}
): CheckedInput<z.output<S>> {
  const result = schema.safeParse(input, { error: refusalPredicates(wording.member) });
  if (result.success) return { success: true, data: result.data };
  const subject = wording.subject ?? 'the input';
  const at = wording.at ?? [];
  const messages = result.error.issues.map((issue) => sentenceOf([...at, ...issue.path], issue.message, subject));
  return { success: false, message: messages[0], messages };
}

/**
 * The error map that words zod's own issues as predicates; for a schema parsed inside another's
 * refinement (`anyOf`), whose refusal the outer parse then names.
 */
export function refusalPredicates(member = 'field'): z.core.$ZodErrorMap {
  return (issue) => predicateOf(issue, member);
}

const PREDICATE = /^(must|is|are|has) /;
const MAX_SHOWN_LENGTH = 40;
const MAX_KEY_LENGTH = 64;

function sentenceOf(path: readonly PropertyKey[], message: string, subject: string): string {
  if (path.length === 0) return PREDICATE.test(message) ? `${subject} ${message}` : message;
  const field = fieldName(path);
  if (PREDICATE.test(message)) return `${field} ${message}`;
  if (message === field || message.startsWith(`${field} `)) return message;
  return `${field}: ${message}`;
}

/** `alerts.0.labels.site`; a key sent by the caller is shortened and quoted when it is not a plain name. */
function fieldName(path: readonly PropertyKey[]): string {
  return path.map(keyName).join('.');
}

function keyName(key: PropertyKey): string {
  const text = typeof key === 'symbol' ? (key.description ?? 'symbol') : String(key);
  const short = text.length > MAX_KEY_LENGTH ? `${text.slice(0, MAX_KEY_LENGTH)}…` : text;
  return /^[\w-]+$/.test(short) ? short : JSON.stringify(short);
}

/**
 * What was given, short: `"P7"`, `12`, `true`, `null`, `nothing`, `a string of 300 characters`, `a list
 * of 2 items`, `an object`. With `kind`, a string or number also says what it is (`the string "3"`),
 * for a refusal of the wrong type.
 */
export function describeValue(value: unknown, options: { kind?: boolean } = {}): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') {
    if (value === '') return 'an empty string';
    // JSON.stringify escapes control characters and lone surrogates, so the text shown is printable.
    if (value.length > MAX_SHOWN_LENGTH) return `a string of ${plural(value.length, 'character')}`;
    return options.kind ? `the string ${JSON.stringify(value)}` : JSON.stringify(value);
  }
  if (typeof value === 'number') {
    const shown = Number.isNaN(value) ? 'NaN' : String(value);
    return options.kind ? `the number ${shown}` : shown;
  }
  if (typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : `a list of ${plural(value.length, 'item')}`;
  if (value instanceof Date) return 'a date';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

const EXPECTED: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  bigint: 'a whole number',
  boolean: 'true or false',
  null: 'null',
  array: 'a list',
  tuple: 'a list',
  object: 'an object',
  record: 'an object',
  map: 'an object',
  set: 'a list',
  date: 'a date',
  file: 'a file',
};

const expectedName = (expected: string) => EXPECTED[expected] ?? `a ${expected}`;

/** `P1, P2, P3, P4` (strings as they are, others as JSON); "one of" only for more than one. */
function acceptedValues(values: readonly unknown[]): string {
  const shown = values.map((v) =>
    typeof v === 'string' || typeof v === 'bigint' ? `${v}` : String(JSON.stringify(v))
  );
  return shown.length === 1 ? shown[0] : `one of ${shown.join(', ')}`;
}

const SIZE_UNIT: Record<string, { singular: string; plural: string }> = {
  string: { singular: 'character', plural: 'characters' },
  array: { singular: 'item', plural: 'items' },
  set: { singular: 'item', plural: 'items' },
  map: { singular: 'entry', plural: 'entries' },
  file: { singular: 'byte', plural: 'bytes' },
};

function sizeOf(value: unknown): number | undefined {
  if (typeof value === 'string' || Array.isArray(value)) return value.length;
  if (value instanceof Set || value instanceof Map) return value.size;
  return undefined;
}

/** `at most`, `at least`, or `fewer than` (a count) / `less than` and `more than` when the bound itself is refused. */
function boundWords(big: boolean, inclusive: boolean, counted: boolean): string {
  if (big) return inclusive ? 'at most' : counted ? 'fewer than' : 'less than';
  return inclusive ? 'at least' : 'more than';
}

function sizePredicate(issue: z.core.$ZodRawIssue<z.core.$ZodIssueTooBig | z.core.$ZodIssueTooSmall>): string {
  const big = issue.code === 'too_big';
  const bound = Number(issue.code === 'too_big' ? issue.maximum : issue.minimum);
  const inclusive = issue.inclusive !== false;
  const unit = SIZE_UNIT[issue.origin];
  if (unit) {
    const size = sizeOf(issue.input);
    const has = size === undefined ? '' : ` (it has ${size})`;
    const verb = issue.origin === 'string' ? 'be' : 'hold';
    const limit = plural(bound, unit.singular, unit);
    if (issue.exact) return `must ${verb} exactly ${limit}${has}`;
    if (!big && bound === 1 && inclusive) return 'must not be empty';
    return `must ${verb} ${boundWords(big, inclusive, true)} ${limit}${has}`;
  }
  const got = issue.input === undefined ? '' : ` (got ${describeValue(issue.input)})`;
  if (issue.origin === 'date')
    return `must be ${big ? 'at or before' : 'at or after'} ${new Date(bound).toISOString()}${got}`;
  if (issue.exact) return `must be exactly ${bound}${got}`;
  return `must be ${boundWords(big, inclusive, false)} ${bound}${got}`;
}

const FORMAT: Record<string, string> = {
  datetime: 'an ISO 8601 date-time such as 2026-01-01T00:00:00Z',
  date: 'an ISO 8601 date such as 2026-01-01',
  time: 'an ISO 8601 time such as 08:00:00',
  duration: 'an ISO 8601 duration such as PT5M',
  email: 'an email address',
  url: 'a URL',
  uuid: 'a UUID',
  ipv4: 'an IPv4 address',
  ipv6: 'an IPv6 address',
  cidrv4: 'an IPv4 range',
  cidrv6: 'an IPv6 range',
  base64: 'base64 text',
  base64url: 'base64url text',
  json_string: 'JSON text',
};

function formatPredicate(issue: z.core.$ZodRawIssue<z.core.$ZodIssueInvalidStringFormat>): string {
  const got = ` (got ${describeValue(issue.input)})`;
  const detail = issue as { prefix?: string; suffix?: string; includes?: string };
  switch (issue.format) {
    case 'regex':
      return `must match the pattern ${issue.pattern ?? ''}${got}`;
    case 'starts_with':
      return `must start with ${JSON.stringify(detail.prefix)}${got}`;
    case 'ends_with':
      return `must end with ${JSON.stringify(detail.suffix)}${got}`;
    case 'includes':
      return `must include ${JSON.stringify(detail.includes)}${got}`;
    default:
      return `must be ${FORMAT[issue.format] ?? `a valid ${issue.format}`}${got}`;
  }
}

/** The form one option of a union takes, from the issue it raised on the input (`a string`, `one of a, b`). */
function optionForm(issues: readonly z.core.$ZodIssue[]): string | undefined {
  const first = issues[0];
  if (first?.code === 'invalid_type') return expectedName(first.expected);
  if (first?.code === 'invalid_value') return acceptedValues(first.values);
  return undefined;
}

function unionPredicate(issue: z.core.$ZodRawIssue<z.core.$ZodIssueInvalidUnion>): string {
  const { discriminator, options } = issue as { discriminator?: string; options?: unknown[] };
  if (discriminator !== undefined && options && options.length > 0) {
    // The path ends at the discriminator; the input is the object that holds it.
    const value = (issue.input as Record<string, unknown> | undefined)?.[discriminator];
    const accepted = acceptedValues(options);
    return value === undefined
      ? `is required and must be ${accepted}`
      : `must be ${accepted} (got ${describeValue(value)})`;
  }
  const forms = issue.errors.map(optionForm);
  const got = issue.input === undefined ? '' : ` (got ${describeValue(issue.input, { kind: true })})`;
  if (forms.length > 0 && forms.every((f) => f !== undefined)) {
    const distinct = [...new Set(forms)];
    const either = distinct.length === 1 ? distinct[0] : `${distinct.slice(0, -1).join(', ')} or ${distinct.at(-1)}`;
    return issue.input === undefined ? `is required and must be ${either}` : `must be ${either}${got}`;
  }
  return `is not valid${got}`;
}

function unknownKeysPredicate(issue: z.core.$ZodRawIssue<z.core.$ZodIssueUnrecognizedKeys>, member: string): string {
  const keys = issue.keys.slice(0, 5).map(keyName);
  const more = issue.keys.length > keys.length ? ` and ${issue.keys.length - keys.length} more` : '';
  const named = `${issue.keys.length === 1 ? member : `${member}s`} ${keys.join(', ')}${more}`;
  const known = issue.inst instanceof z.ZodObject ? Object.keys(issue.inst.shape) : [];
  return known.length > 0 ? `has no ${named} (it takes ${known.join(', ')})` : `has no ${named}`;
}

/** Why a record's key or a set's item was refused: its own issue, finalized already, after a colon. */
function reasonOf(what: string, issues: readonly z.core.$ZodIssue[]): string {
  const message = issues[0]?.message;
  if (!message) return '';
  return PREDICATE.test(message) ? `: the ${what} ${message}` : `: ${message}`;
}

function predicateOf(issue: z.core.$ZodRawIssue, member: string): string {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.expected === 'nonoptional') return 'is required';
      if (issue.input === undefined) return `is required and must be ${expectedName(issue.expected)}`;
      return `must be ${expectedName(issue.expected)} (got ${describeValue(issue.input, { kind: true })})`;
    case 'invalid_value': {
      const accepted = acceptedValues(issue.values);
      return issue.input === undefined
        ? `is required and must be ${accepted}`
        : `must be ${accepted} (got ${describeValue(issue.input)})`;
    }
    case 'too_big':
    case 'too_small':
      return sizePredicate(issue);
    case 'invalid_format':
      return formatPredicate(issue);
    case 'not_multiple_of':
      return `must be a multiple of ${issue.divisor} (got ${describeValue(issue.input)})`;
    case 'unrecognized_keys':
      return unknownKeysPredicate(issue, member);
    case 'invalid_union':
      return unionPredicate(issue);
    case 'invalid_key':
      return `is not an accepted key${reasonOf('key', issue.issues)}`;
    case 'invalid_element':
      return `has an item that is not valid${reasonOf('item', issue.issues)}`;
    default:
      return issue.input === undefined ? 'is not valid' : `is not valid (got ${describeValue(issue.input)})`;
  }
}
