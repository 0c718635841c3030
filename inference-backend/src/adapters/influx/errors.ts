/**
 * Errors from InfluxDB's v1 HTTP API. 4xx carry InfluxDB's own message (bad line protocol,
 * field type conflict, unknown database, bad InfluxQL) and are never retried; network errors,
 * timeouts and 5xx are transient and retried by the caller.
 *
 * `kind` tells the HTTP API what to answer: `unreachable` and `server` are an outage (503 with
 * Retry-After), `timeout` a 504, `refused` a request InfluxDB will never accept as sent.
 * Messages never carry line protocol or query text: they may be shown to another caller.
 */
export type InfluxErrorKind = 'unreachable' | 'timeout' | 'server' | 'refused' | 'auth';

export class InfluxError extends Error {
  readonly kind: InfluxErrorKind;

  constructor(
    message: string,
    readonly status: number | undefined,
    readonly retryable: boolean,
    kind?: InfluxErrorKind
  ) {
    super(message);
    this.name = 'InfluxError';
    this.kind = kind ?? defaultKind(status);
  }
}

function defaultKind(status: number | undefined): InfluxErrorKind {
  if (status === undefined) return 'unreachable';
  if (status === 401 || status === 403) return 'auth';
  if (status >= 500 || status === 429) return 'server';
  return 'refused';
}

export function isRetryable(error: unknown): boolean {
  return error instanceof InfluxError && error.retryable;
}

/**
 * InfluxDB's own message without the data it quotes: 1.x answers a parse error with
 * `unable to parse '<the whole line>': reason`, and that line may be another caller's record.
 */
export function withoutQuotedData(message: string): string {
  return message
    .split('\n')
    .map((part) => {
      // `unable to parse '<line>': reason`, alone or after `partial write: `.
      const start = part.indexOf("unable to parse '");
      if (start < 0) return part;
      const end = part.lastIndexOf("': ");
      const reason = end > start ? `: ${part.slice(end + 3)}` : '';
      return `${part.slice(0, start)}unable to parse a line${reason}`;
    })
    .join('; ');
}

/** A URL fit for a log or an error message: user and password removed. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.username && !parsed.password) return url;
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    // Not a URL at all: anything between a scheme and an @ may be credentials.
    return url.replace(/\/\/[^/@]*@/, '//');
  }
}

/** A bounded name for why InfluxDB refused a point, for a metric label and "log once per cause". */
export function refusalCause(reason: string): string {
  if (/field type conflict/i.test(reason)) return 'field_type_conflict';
  if (/unable to parse|invalid|bad timestamp/i.test(reason)) return 'unparsable';
  if (/max-(series|values)|too (long|large)|exceeds/i.test(reason)) return 'limit';
  if (/retention policy/i.test(reason)) return 'outside_retention';
  if (/cannot be written|unrepresentable|line protocol/i.test(reason)) return 'unrepresentable';
  return 'other';
}
