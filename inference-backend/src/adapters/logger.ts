import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Fields that hold credentials wherever they appear (to three levels deep): request headers,
 * passwords and tokens of the configuration, Grafana's ID token, the TLS private key.
 */
const SECRET_FIELDS = [
  'authorization',
  'cookie',
  'x-grafana-id',
  'password',
  'secret',
  'apiToken',
  'webhookToken',
  'idToken',
  'INFLUX_TOKEN',
  'INFLUX_PASSWORD',
  'NOCAI_API_TOKEN',
  'NOCAI_WEBHOOK_TOKEN',
];
/** Fields that are a credential only in one place (elsewhere a `token` is a caller's name and role). */
const SECRET_PATHS = ['influx.token', 'tls.key', 'headers.token'];

const REDACTED = '[redacted]';

/** pino's paths for each field at the top and one or two levels down (`a.b`, or `a["x-b"]` for a dashed name). */
function redactPaths(): string[] {
  const under = (prefix: string, field: string) =>
    /^[A-Za-z_$][\w$]*$/.test(field) ? (prefix ? `${prefix}.${field}` : field) : `${prefix}["${field}"]`;
  const fields = SECRET_FIELDS.flatMap((f) => [under('', f), under('*', f), under('*.*', f)]);
  const paths = SECRET_PATHS.flatMap((p) => [p, `*.${p}`, `*.*.${p}`]);
  return [...fields, ...paths];
}

export interface LoggerOptions {
  /**
   * Secret values known at start (the configured tokens and passwords): replaced wherever they
   * appear in a line, a message or an error's text included. Values shorter than 8 characters are
   * left alone (they would blank out ordinary words).
   */
  secrets?: ReadonlyArray<string | undefined>;
  /** Where lines go (stdout by default; tests read them). */
  destination?: pino.DestinationStream;
}

/**
 * The one logger: structured JSON lines on stdout (pino), level from config. Credentials never
 * reach a line: fields named like one are redacted, and the configured secret values are scrubbed.
 */
export function createLogger(level: string, name = 'nocai', options: LoggerOptions = {}): Logger {
  const secrets = [...new Set((options.secrets ?? []).filter((s): s is string => s !== undefined && s.length >= 8))];
  // Longest first, so that a secret containing another is replaced whole.
  secrets.sort((a, b) => b.length - a.length);
  const forms = secrets.flatMap((s) => [...new Set([JSON.stringify(s).slice(1, -1), s])]);
  const settings: pino.LoggerOptions = {
    name,
    level,
    base: { service: name },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: redactPaths(), censor: REDACTED },
    hooks:
      forms.length === 0
        ? {}
        : { streamWrite: (line) => forms.reduce((text, secret) => text.split(secret).join(REDACTED), line) },
  };
  return options.destination ? pino(settings, options.destination) : pino(settings);
}
