import fc from 'fast-check';
import { commentRequestSchema, complaintRequestSchema } from '@nocai/contract';

/**
 * Hostile HTTP requests for every route of the API (issue 13, point 4), shared by the property
 * tests (tests/backend/hostileInput.test.ts) and the fuzz bench (`npm run bench:fuzz`). Each
 * request is built to look like what a client may send by mistake or on purpose: arbitrary path
 * params and query strings (bad percent-encoding, repeated and bracketed keys, prototype keys),
 * JSON bodies of every type with the route's own field names given wrong values, huge numbers,
 * deep nesting, and bodies that are not JSON at all. The API must answer each with a 2xx, 3xx or
 * 4xx, never a 5xx, and must not crash.
 */

/** The fields of a problem definition (contract/src/problems.ts). */
const PROBLEM_FIELDS = [
  'name',
  'description',
  'event',
  'entity',
  'horizon',
  'interval',
  'variables',
  'windows',
  'training',
  'validation',
  'candidates',
  'metric',
  'threshold',
  'minEvents',
  'department',
  'priority',
];

/** Every route of the API (the role matrix in roles.test.ts lists the same), with its path template. */
export const FUZZ_ROUTES: ReadonlyArray<{ method: string; path: string; fields: readonly string[] }> = [
  { method: 'GET', path: '/healthz', fields: [] },
  { method: 'GET', path: '/readyz', fields: [] },
  { method: 'GET', path: '/metrics', fields: [] },
  {
    method: 'POST',
    path: '/api/alerts/grafana',
    fields: ['receiver', 'status', 'alerts', 'labels', 'annotations', 'fingerprint', 'startsAt', 'endsAt'],
  },
  { method: 'GET', path: '/api/whoami', fields: [] },
  { method: 'GET', path: '/api/events', fields: [] },
  { method: 'GET', path: '/api/events/filter', fields: [] },
  { method: 'GET', path: '/api/series/:kind', fields: [] },
  { method: 'GET', path: '/api/series/:kind/filter', fields: [] },
  { method: 'GET', path: '/api/tickets', fields: [] },
  { method: 'GET', path: '/api/values/department', fields: [] },
  { method: 'GET', path: '/api/values/:tag', fields: [] },
  { method: 'GET', path: '/api/tickets/:id', fields: [] },
  { method: 'GET', path: '/api/tickets/:id/history', fields: [] },
  {
    method: 'PATCH',
    path: '/api/tickets/:id',
    fields: ['version', 'status', 'assignee', 'eventClass', 'department', 'priority', 'comment'],
  },
  { method: 'POST', path: '/api/tickets/:id/comments', fields: ['text'] },
  { method: 'POST', path: '/api/tickets/:id/feedback', fields: ['verdict', 'comment'] },
  { method: 'POST', path: '/api/complaints', fields: ['text', 'site', 'host', 'reporter'] },
  { method: 'GET', path: '/api/retraining', fields: [] },
  { method: 'POST', path: '/api/retraining', fields: ['challengers'] },
  { method: 'GET', path: '/api/models', fields: [] },
  { method: 'GET', path: '/api/models/:name', fields: [] },
  { method: 'GET', path: '/api/models/:name/versions/:version', fields: [] },
  {
    method: 'POST',
    path: '/api/models/import',
    fields: ['manifest', 'model', 'reference', 'referenceFormat', 'champion'],
  },
  { method: 'POST', path: '/api/models/:name/promote', fields: ['version', 'reason', 'force'] },
  { method: 'POST', path: '/api/models/:name/challenger', fields: ['version', 'reason'] },
  { method: 'POST', path: '/api/models/:name/rollback', fields: ['toVersion', 'reason'] },
  { method: 'POST', path: '/api/models/:name/versions/:version/archive', fields: ['reason'] },
  { method: 'POST', path: '/api/predict/:name', fields: ['rows'] },
  { method: 'GET', path: '/api/audit', fields: [] },
  { method: 'GET', path: '/api/reports', fields: [] },
  { method: 'GET', path: '/api/reports/latest', fields: [] },
  { method: 'GET', path: '/api/reports/:id', fields: [] },
  { method: 'POST', path: '/api/reports', fields: ['from', 'to'] },
  { method: 'GET', path: '/api/problems', fields: [] },
  { method: 'GET', path: '/api/problems/:name', fields: [] },
  { method: 'GET', path: '/api/problems/:name/versions', fields: [] },
  { method: 'GET', path: '/api/problems/:name/train', fields: [] },
  { method: 'GET', path: '/api/problems/:name/train/:job', fields: [] },
  {
    method: 'POST',
    path: '/api/problems',
    fields: PROBLEM_FIELDS,
  },
  {
    method: 'PUT',
    path: '/api/problems/:name',
    fields: PROBLEM_FIELDS,
  },
  { method: 'DELETE', path: '/api/problems/:name', fields: [] },
  { method: 'POST', path: '/api/problems/:name/train', fields: [] },
  { method: 'GET', path: '/api/tokens', fields: [] },
  { method: 'POST', path: '/api/tokens', fields: ['name', 'role', 'expires', 'grafana'] },
  { method: 'POST', path: '/api/tokens/:id/revoke', fields: [] },
];

/** Query parameters the routes read, plus keys that probe the parser and object prototypes. */
// prettier-ignore
const QUERY_KEYS = [
  'from', 'to', 'limit', 'offset', 'site', 'host', 'status', 'department', 'priority', 'class', 'decision',
  'state', 'model', 'version', 'reason', 'actor', 'action', 'since',
  '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '', 'a[b]', 'limit[]',
];
/** Object keys that break naive merging (`obj[key] = …`, `Object.assign`). */
const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty'];

/** Characters the escaping rules and parsers are about, then control characters and odd Unicode. */
// prettier-ignore
const TRICKY_CHARS = [
  ...'\\"\'`,=; &?#%/:.*$^|()[]{}<>+\n\r\t\0\x7f\x01\x1b',
  '\u0085', '\u00a0', '\u2028', '\u2029', '\u200b', '\ufeff', '\ufffd', '\ufffe', 'é', 'Ω', '東', '😀', '\u{10ffff}',
];

const trickyChar = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...TRICKY_CHARS) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) }
);

/** Well-formed Unicode text (no lone surrogate), biased toward the characters that break escaping. */
export function hostileText(maxLength = 40): fc.Arbitrary<string> {
  return fc.string({ unit: trickyChar, maxLength });
}

/** A number-like or number-breaking text, as a query value or raw JSON. */
// prettier-ignore
const NUMBER_TEXTS = [
  '0', '-0', '1', '-1', '1.5', '1e999', '-1e999', '1e-999', 'NaN', 'Infinity', '9007199254740993',
  '99999999999999999999999999999999', '0x10', '1_000', ' 1', '', 'now', 'now-7d', 'now-99999999d', 'now+1h',
  '2024-02-30T25:61:00Z', '1700000000000', '-1700000000000',
];

const hugeNumber = fc.oneof(
  fc.constantFrom(1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, -Number.MAX_SAFE_INTEGER - 2, 5e-324, -0, 2 ** 63),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer()
);

/** JSON values with prototype keys, wrong types and huge numbers. */
const jsonValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    hugeNumber,
    hostileText(),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.constantFrom(...PROTOTYPE_KEYS), hostileText(12)), tie('value'), { maxKeys: 4 })
  ),
})).value;

/** A JSON object as text, keys in order, so that `__proto__` stays an own key as JSON.parse reads it. */
function objectText(entries: ReadonlyArray<[string, unknown]>): string {
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}`).join(',')}}`;
}

/** A body with the route's own field names (so validation goes deeper than the first key), values of any type. */
function shapedBody(fields: readonly string[]): fc.Arbitrary<string> {
  const key =
    fields.length > 0
      ? fc.oneof(fc.constantFrom(...fields), fc.constantFrom(...PROTOTYPE_KEYS))
      : fc.constantFrom(...PROTOTYPE_KEYS);
  return fc.array(fc.tuple(key, jsonValue), { maxLength: 6 }).map(objectText);
}

/** Bodies no JSON parser should choke on in a way that takes the server down. */
const RAW_BODIES = fc.oneof(
  fc.constantFrom(
    '',
    '{',
    '[',
    '"',
    '{"a":',
    'null',
    'true',
    '1e999',
    '-',
    '\u0000',
    '{"a":1,}',
    "{'a':1}",
    '[]',
    '{}'
  ),
  fc.integer({ min: 1000, max: 50_000 }).map((depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`),
  fc.integer({ min: 1000, max: 20_000 }).map((depth) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`),
  fc.integer({ min: 1, max: 400 }).map((digits) => `{"limit":${'9'.repeat(digits)},"version":${'9'.repeat(digits)}}`),
  fc.integer({ min: 10_000, max: 200_000 }).map((n) => JSON.stringify({ text: 'x'.repeat(n), rows: [], alerts: [] })),
  hostileText(200)
);

/** One path segment: a plausible value, an arbitrary encoded string, or broken percent-encoding. */
function segment(plausible: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...plausible).map(encodeURIComponent) },
    { weight: 3, arbitrary: hostileText(30).map((s) => encodeURIComponent(s) || 'x') },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '%',
        '%zz',
        '%C0%AF',
        '%ED%A0%80',
        '%00',
        '..',
        '%2e%2e',
        '%2F',
        '%FF',
        'x%',
        '%E0%A4%A'
      ),
    },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 3000 }).map((n) => 'a'.repeat(n)) }
  );
}

const queryValue = fc.oneof(
  fc.constantFrom(...NUMBER_TEXTS),
  hostileText(30),
  fc.constantFrom('open', 'P1', 'network', 'hosp-01')
);

function encodeLoosely(text: string, raw: boolean): string {
  // Raw: what a sloppy client puts on the wire (only the characters fetch itself would refuse are encoded).
  return raw
    ? text.replace(/[\s#%\u0000-\u001f\u007f-\uffff]/gu, (c) => encodeURIComponent(c))
    : encodeURIComponent(text);
}

const queryString = fc
  .array(fc.tuple(fc.oneof(fc.constantFrom(...QUERY_KEYS), hostileText(10)), queryValue, fc.boolean()), {
    maxLength: 6,
  })
  .map((pairs) =>
    pairs.length === 0
      ? ''
      : `?${pairs.map(([k, v, raw]) => `${encodeLoosely(k, raw)}=${encodeLoosely(v, raw)}`).join('&')}`
  );

export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** The route template it targets (for the report). */
  route: string;
}

/** Values that reach real objects: ids of existing tickets, model and problem names, series kinds. */
export interface KnownValues {
  ticketIds: readonly string[];
  names: readonly string[];
}

const CONTENT_TYPES = [
  'application/json',
  'application/json',
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'application/json; charset=utf-16',
  'text/plain',
  'application/x-www-form-urlencoded',
];

/** Headers a client may get wrong; values stay within what HTTP can carry (visible ASCII). */
const headerText = fc.string({ unit: fc.constantFrom(...'abc019"*, W/-=;:\\'), maxLength: 20 });

export function fuzzRequest(known: KnownValues): fc.Arbitrary<FuzzRequest> {
  const plausible = [...known.ticketIds, ...known.names, 'v1', 'v2', 'v0', 'latest', 'site', 'host', 'x'];
  return fc.constantFrom(...FUZZ_ROUTES).chain((route) => {
    const params = route.path.split('/').filter((p) => p.startsWith(':')).length;
    const hasBody = route.method !== 'GET' && route.method !== 'DELETE';
    return fc
      .record({
        segments: fc.array(segment(plausible), { minLength: params, maxLength: params }),
        query: queryString,
        body: hasBody
          ? fc.oneof(
              { weight: 4, arbitrary: shapedBody(route.fields) },
              { weight: 2, arbitrary: jsonValue.map((v) => JSON.stringify(v)) },
              { weight: 1, arbitrary: RAW_BODIES }
            )
          : fc.constant(undefined),
        contentType: fc.constantFrom(...CONTENT_TYPES),
        ifMatch: fc.option(headerText, { freq: 4 }),
        grafanaUser: fc.option(headerText, { freq: 8 }),
      })
      .map(({ segments, query, body, contentType, ifMatch, grafanaUser }) => {
        let n = 0;
        const path = route.path.replace(/:[a-z]+/g, () => segments[n++]);
        const headers: Record<string, string> = {};
        if (body !== undefined) headers['Content-Type'] = contentType;
        if (ifMatch !== null) headers['If-Match'] = ifMatch;
        if (grafanaUser !== null) headers['X-Grafana-User'] = grafanaUser;
        return { method: route.method, path: `${path}${query}`, headers, body, route: `${route.method} ${route.path}` };
      });
  });
}

/**
 * Text a user stores through the API that must read back byte-identical: a complaint (its ticket's
 * description is the whole text, trimmed, line breaks and all), a comment (trimmed, as the API documents) and a feedback
 * comment (kept as sent; an empty one is no comment). Lone surrogates are left out: JSON can carry them but UTF-8 cannot, and
 * the write path turns them into U+FFFD (lineProtocol.ts says why).
 */
export interface StoredTexts {
  complaint: string;
  comment: string;
  feedback: string;
}

const endedText = (maxLength: number) =>
  fc
    .tuple(hostileText(maxLength), fc.constantFrom('', ' ', '\n', '\\', '\\\\', '"', '\0', '\r\n'))
    .map(([body, ending]) => `${body}${ending}`);

export const storedTexts: fc.Arbitrary<StoredTexts> = fc.record({
  complaint: endedText(118)
    // The contract's own rule (at least 3 characters once trimmed): a refused text tests nothing here.
    .filter((text) => complaintRequestSchema.safeParse({ text }).success),
  comment: endedText(300).filter((text) => commentRequestSchema.safeParse({ text }).success),
  // An empty comment is the edge a restart once changed ('' before, absent after).
  feedback: fc.oneof(fc.constant(''), endedText(300)),
});

/** An API call as the fuzzer makes it (the caller adds the token). */
export type ApiCall = (request: Pick<FuzzRequest, 'method' | 'path' | 'headers' | 'body'>) => Promise<Response>;

export interface StoredRecord extends StoredTexts {
  ticketId: string;
}

function jsonRequest(
  method: string,
  path: string,
  body: unknown
): Pick<FuzzRequest, 'method' | 'path' | 'headers' | 'body'> {
  return { method, path, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) };
}

/** Stores `texts` as a complaint, a comment on its ticket and a feedback comment; the statuses of the three calls. */
export async function storeTexts(
  call: ApiCall,
  texts: StoredTexts
): Promise<{ statuses: number[]; record?: StoredRecord; refusal?: string }> {
  const made = await call(jsonRequest('POST', '/api/complaints', { text: texts.complaint }));
  if (made.status !== 201) return { statuses: [made.status], refusal: await made.text() };
  const ticketId = ((await made.json()) as { ticket: { id: string } }).ticket.id;
  const path = `/api/tickets/${encodeURIComponent(ticketId)}`;
  const commented = await call(jsonRequest('POST', `${path}/comments`, { text: texts.comment }));
  await commented.arrayBuffer();
  const judged = await call(jsonRequest('POST', `${path}/feedback`, { verdict: 'valid', comment: texts.feedback }));
  await judged.arrayBuffer();
  return { statuses: [made.status, commented.status, judged.status], record: { ticketId, ...texts } };
}

/** What a stored record reads back as, next to what it must read back as. */
export async function readBack(
  call: ApiCall,
  record: StoredRecord
): Promise<Array<{ what: string; expected: string | undefined; actual: string | undefined }>> {
  const response = await call({
    method: 'GET',
    path: `/api/tickets/${encodeURIComponent(record.ticketId)}`,
    headers: {},
  });
  const ticket = response.ok
    ? (
        (await response.json()) as {
          ticket: { description?: string; comments?: Array<{ text: string }>; feedback?: { comment?: string } };
        }
      ).ticket
    : undefined;
  return [
    { what: 'complaint text', expected: record.complaint.trim(), actual: ticket?.description },
    { what: 'comment', expected: record.comment.trim(), actual: ticket?.comments?.[0]?.text },
    // An empty feedback comment is no comment (InfluxDB keeps no empty field, and the ticket agrees).
    {
      what: 'feedback comment',
      expected: record.feedback === '' ? undefined : record.feedback,
      actual: ticket?.feedback?.comment,
    },
  ];
}
