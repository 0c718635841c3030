import { InfluxError, redactUrl, withoutQuotedData } from './errors';
import { durationLiteral, quoteIdentifier } from './influxql';
import { LINE_PROTOCOL_PRECISION } from './lineProtocol';
import { parseSeriesTimes, type TimeSeries } from './seriesTimes';
import { msgpackError, parseSeriesTimesMsgpack } from './seriesTimesMsgpack';

export interface InfluxConnection {
  url: string;
  /** InfluxDB 2.x/3.x API token (sent as `Authorization: Token …`). */
  token?: string;
  /** InfluxDB 1.x credentials (sent as basic auth). */
  username?: string;
  password?: string;
  timeoutMs?: number;
  /**
   * PEM certificates (INFLUX_CA) that InfluxDB's HTTPS certificate must chain to, in place of the
   * public roots: a private CA, or a self-signed certificate itself.
   */
  ca?: string;
  /**
   * Ask InfluxDB to gzip its answers. Off by default: next to InfluxDB (loopback, a LAN) gzip and
   * gunzip cost more than the bytes they save (a 1 MB heartbeat answer: 240 ms instead of 95 ms,
   * issue 13); worth it over a slow link to a remote InfluxDB.
   */
  gzipResponses?: boolean;
}

/** What the client needs of a fetch: Node's own, or undici's with an agent that trusts INFLUX_CA. */
type Fetch = (
  url: URL,
  init: { method: string; headers: Record<string, string>; body?: string; signal: AbortSignal }
) => Promise<{
  ok: boolean;
  status: number;
  statusText: string;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
  arrayBuffer(): Promise<ArrayBuffer>;
}>;

/** What InfluxDB 1.x answers /query in when asked to (Accept), and says so (Content-Type). */
const MSGPACK = 'application/x-msgpack';

export interface RetryPolicy {
  maxRetries: number;
  /** Whether a request that timed out is sent again (the API answers 504 at once instead). */
  retryTimeouts?: boolean;
  initialDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxRetries: 5, initialDelayMs: 200, maxDelayMs: 5000 };

/** One InfluxQL statement's result rows, as objects keyed by column, one entry per series. */
export interface QuerySeries {
  name: string;
  tags: Record<string, string>;
  rows: Array<Record<string, unknown>>;
}

/** One series of a statement's result, rows as arrays in `columns` order. */
export interface ColumnSeries {
  name: string;
  tags: Record<string, string>;
  columns: string[];
  values: unknown[][];
}

interface RawResult {
  statement_id?: number;
  error?: string;
  series?: Array<{ name: string; tags?: Record<string, string>; columns: string[]; values: unknown[][] }>;
}

/**
 * The one InfluxDB client of the backend. It speaks the v1 HTTP API (`/write`, `/query`, `/ping`),
 * which InfluxDB 1.x serves natively and 2.x/3.x serve as compatibility endpoints, so the same
 * code runs against all three.
 */
export class InfluxClient {
  private readonly base: URL;
  private readonly timeoutMs: number;
  private readonly authHeader: string | undefined;
  private readonly fetch: Fetch;
  private readonly acceptEncoding: string;

  constructor(
    connection: InfluxConnection,
    private readonly retry: RetryPolicy = DEFAULT_RETRY,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms))
  ) {
    this.base = new URL(connection.url);
    if (this.base.protocol !== 'http:' && this.base.protocol !== 'https:') {
      throw new InfluxError(
        `InfluxDB URL must be http(s), got ${redactUrl(connection.url)}`,
        undefined,
        false,
        'refused'
      );
    }
    // fetch refuses URLs with credentials, and they must never reach a log line: user:password@
    // in INFLUX_URL becomes basic auth (explicit settings win).
    const urlUser = decodeURIComponent(this.base.username);
    const urlPassword = decodeURIComponent(this.base.password);
    this.base.username = '';
    this.base.password = '';
    this.timeoutMs = connection.timeoutMs ?? 10_000;
    this.acceptEncoding = connection.gzipResponses ? 'gzip' : 'identity';
    this.fetch = connection.ca ? fetchTrusting(connection.ca) : (url, init) => fetch(url, init);
    const username = connection.username ?? (urlUser || undefined);
    const password = connection.password ?? (urlPassword || undefined);
    if (connection.token) this.authHeader = `Token ${connection.token}`;
    else if (username !== undefined) {
      const basic = Buffer.from(`${username}:${password ?? ''}`).toString('base64');
      this.authHeader = `Basic ${basic}`;
    }
  }

  get url(): string {
    return this.base.toString();
  }

  /** Resolves when InfluxDB answers /ping; rejects with a sentence saying why not. */
  async ping(): Promise<void> {
    await this.request('GET', '/ping', undefined, undefined);
  }

  /** Writes line protocol (precision µs), retrying network errors and 5xx with backoff. */
  async writeLines(database: string, lines: readonly string[], retentionPolicy?: string): Promise<void> {
    if (lines.length === 0) return;
    const params = new URLSearchParams({ db: database, precision: LINE_PROTOCOL_PRECISION });
    if (retentionPolicy) params.set('rp', retentionPolicy);
    const body = lines.join('\n');
    await this.withRetry(() => this.request('POST', '/write', params, body, 'text/plain; charset=utf-8'));
  }

  /**
   * Runs InfluxQL (statements built with the escaping helpers) and returns the first statement's
   * series. Times come back as microseconds since the epoch.
   */
  async query(database: string | undefined, influxql: string): Promise<QuerySeries[]> {
    const results = await this.queryAll(database, influxql);
    return results[0] ?? [];
  }

  async queryAll(database: string | undefined, influxql: string): Promise<QuerySeries[][]> {
    return (await this.queryAllColumns(database, influxql)).map((series) =>
      series.map((s) => ({ name: s.name, tags: s.tags, rows: rowsOf(s.columns, s.values) }))
    );
  }

  /**
   * Every statement's series as InfluxDB sends them, a row an array in `columns` order: for reads
   * of hundreds of thousands of points (heartbeats), where an object per row is most of the cost.
   */
  async queryAllColumns(database: string | undefined, influxql: string): Promise<ColumnSeries[][]> {
    const text = await this.queryText(database, influxql);
    let parsed: { results?: RawResult[]; error?: string };
    try {
      parsed = JSON.parse(text) as { results?: RawResult[]; error?: string };
    } catch {
      // A proxy's error page or a truncated body: the server, not the query, is at fault.
      throw new InfluxError(`InfluxDB at ${this.base.origin} answered /query with a body that is not JSON`, 502, true);
    }
    if (parsed.error)
      throw new InfluxError(`InfluxDB refused the query: ${withoutQuotedData(parsed.error)}`, 400, false);
    return (parsed.results ?? []).map((result) => {
      if (result.error)
        throw new InfluxError(`InfluxDB refused the query: ${withoutQuotedData(result.error)}`, 400, false);
      return (result.series ?? []).map((s) => ({
        name: s.name,
        tags: s.tags ?? {},
        columns: s.columns,
        // SHOW SHARDS names a database without shards with no values at all.
        values: s.values ?? [],
      }));
    });
  }

  /**
   * Every statement's series with only the times of their rows (µs since the epoch): for reads of
   * hundreds of thousands of points whose values are not needed (heartbeats, issue 13).
   */
  async queryTimes(database: string | undefined, influxql: string): Promise<TimeSeries[][]> {
    // MessagePack where InfluxDB speaks it (1.x): it writes these rows with about half the CPU of
    // JSON, and they were most of what it did for the pipeline (issue 13). A server that answers
    // JSON instead (2.x, 3.x) is read as JSON: the Content-Type says which.
    const answer = await this.withRetry(() =>
      this.request('POST', '/query', this.queryParams(database), this.queryForm(influxql), FORM, MSGPACK)
    );
    let parsed: ReturnType<typeof parseSeriesTimes>;
    try {
      parsed = typeof answer === 'string' ? parseSeriesTimes(answer) : parseSeriesTimesMsgpack(new Uint8Array(answer));
    } catch {
      const format = typeof answer === 'string' ? 'JSON' : 'MessagePack';
      throw new InfluxError(
        `InfluxDB at ${this.base.origin} answered /query with a body that is not ${format}`,
        502,
        true
      );
    }
    if (parsed.error)
      throw new InfluxError(`InfluxDB refused the query: ${withoutQuotedData(parsed.error)}`, 400, false);
    return parsed.results.map((result) => {
      if (result.error)
        throw new InfluxError(`InfluxDB refused the query: ${withoutQuotedData(result.error)}`, 400, false);
      return result.series;
    });
  }

  private queryText(database: string | undefined, influxql: string): Promise<string> {
    return this.withRetry(() =>
      this.request('POST', '/query', this.queryParams(database), this.queryForm(influxql), FORM)
    );
  }

  private queryParams(database: string | undefined): URLSearchParams {
    const params = new URLSearchParams({ epoch: 'u' });
    if (database) params.set('db', database);
    return params;
  }

  private queryForm(influxql: string): string {
    return new URLSearchParams({ q: influxql }).toString();
  }

  async createDatabase(database: string): Promise<void> {
    await this.query(undefined, `CREATE DATABASE ${quoteIdentifier(database)}`);
  }

  async createRetentionPolicy(
    database: string,
    name: string,
    duration: string,
    options: { makeDefault?: boolean; replication?: number } = {}
  ): Promise<void> {
    const replication = Math.max(1, Math.trunc(options.replication ?? 1));
    const q =
      `CREATE RETENTION POLICY ${quoteIdentifier(name)} ON ${quoteIdentifier(database)} ` +
      `DURATION ${durationLiteral(duration)} REPLICATION ${replication}${options.makeDefault ? ' DEFAULT' : ''}`;
    await this.query(undefined, q);
  }

  private async withRetry<T>(call: () => Promise<T>): Promise<T> {
    let delay = this.retry.initialDelayMs;
    for (let attempt = 0; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        if (!(error instanceof InfluxError) || !error.retryable || attempt >= this.retry.maxRetries) throw error;
        if (error.kind === 'timeout' && this.retry.retryTimeouts === false) throw error;
        // Full jitter keeps several replicas from retrying in lockstep against a recovering server.
        await this.sleep(Math.random() * delay);
        delay = Math.min(delay * 2, this.retry.maxDelayMs);
      }
    }
  }

  /** The answer's text; with `accept`, its bytes when the server answered in that type, else its text. */
  private async request(
    method: 'GET' | 'POST',
    path: string,
    params: URLSearchParams | undefined,
    body: string | undefined,
    contentType?: string
  ): Promise<string>;
  private async request(
    method: 'GET' | 'POST',
    path: string,
    params: URLSearchParams | undefined,
    body: string | undefined,
    contentType: string | undefined,
    accept: string
  ): Promise<string | ArrayBuffer>;
  private async request(
    method: 'GET' | 'POST',
    path: string,
    params: URLSearchParams | undefined,
    body: string | undefined,
    contentType?: string,
    accept?: string
  ): Promise<string | ArrayBuffer> {
    const url = new URL(this.base.toString());
    url.pathname = `${url.pathname.replace(/\/$/, '')}${path}`;
    if (params) url.search = params.toString();
    const headers: Record<string, string> = { 'Accept-Encoding': this.acceptEncoding };
    if (contentType) headers['Content-Type'] = contentType;
    if (accept) headers.Accept = accept;
    if (this.authHeader) headers.Authorization = this.authHeader;
    let response: Awaited<ReturnType<Fetch>>;
    let text: string;
    try {
      response = await this.fetch(url, { method, headers, body, signal: AbortSignal.timeout(this.timeoutMs) });
      // Reading the body is part of the request: a timeout or reset here is the same failure.
      if (accept && response.headers.get('content-type')?.split(';')[0].trim().toLowerCase() === accept) {
        const bytes = await response.arrayBuffer();
        if (response.ok) return bytes;
        text = msgpackError(new Uint8Array(bytes)) ?? '';
      } else text = await response.text();
    } catch (error) {
      const timedOut = isTimeout(error);
      throw new InfluxError(
        timedOut
          ? `InfluxDB at ${this.base.origin} did not answer ${path} within ${this.timeoutMs} ms`
          : `Cannot reach InfluxDB at ${this.base.origin}: ${describeFetchError(error)}`,
        undefined,
        true,
        timedOut ? 'timeout' : 'unreachable'
      );
    }
    if (response.ok) return text;
    const message = withoutQuotedData(influxMessage(text) ?? response.statusText);
    if (response.status === 401 || response.status === 403) {
      throw new InfluxError(
        `InfluxDB at ${this.base.origin} refused the credentials: ${message}`,
        response.status,
        false
      );
    }
    const retryable = response.status >= 500 || response.status === 429;
    throw new InfluxError(`InfluxDB answered ${response.status} to ${path}: ${message}`, response.status, retryable);
  }
}

/**
 * Rows as objects keyed by column. Built by assignment rather than Object.fromEntries (a pairs
 * array per row, the bulk of parsing a heartbeat answer, issue 13), except when a column is
 * named `__proto__`, which assignment would take as the prototype.
 */
function rowsOf(columns: readonly string[], values: readonly unknown[][]): Array<Record<string, unknown>> {
  if (columns.includes('__proto__')) return values.map((v) => Object.fromEntries(columns.map((c, i) => [c, v[i]])));
  return values.map((v) => {
    const row: Record<string, unknown> = {};
    for (let i = 0; i < columns.length; i++) row[columns[i]] = v[i];
    return row;
  });
}

/**
 * Node's fetch takes no CA, so undici's (the same code, as a package) with an agent whose TLS
 * connections trust `ca`; loaded only then, so that plain HTTP pays nothing for it.
 */
function fetchTrusting(ca: string): Fetch {
  const undici = require('undici') as typeof import('undici');
  const dispatcher = new undici.Agent({ connect: { ca } });
  return (url, init) => undici.fetch(url, { ...init, dispatcher });
}

const FORM = 'application/x-www-form-urlencoded';

/** TLS verification failures, in the codes Node's TLS gives them. */
const CERTIFICATE_ERROR = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/;

function isTimeout(error: unknown): boolean {
  // Duck-typed: fetch's errors may come from another realm (jest's VM).
  const e = error as { name?: string; cause?: { name?: string } } | undefined;
  return e?.name === 'TimeoutError' || e?.cause?.name === 'TimeoutError';
}

function influxMessage(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { error?: unknown; message?: unknown };
    if (typeof parsed.error === 'string') return parsed.error;
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // Not JSON (a proxy's HTML page, say): fall back to the raw text.
  }
  const trimmed = body.trim();
  return trimmed ? trimmed.slice(0, 500) : undefined;
}

function describeFetchError(error: unknown): string {
  // Duck-typed rather than `instanceof Error`: fetch's errors may come from another realm (jest's VM).
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } } | undefined;
  if (e?.name === 'TimeoutError') return `timed out`;
  const reason = e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(error);
  return CERTIFICATE_ERROR.test(reason)
    ? `${reason} (its HTTPS certificate is not trusted: set INFLUX_CA to the CA certificate that signed it)`
    : reason;
}
