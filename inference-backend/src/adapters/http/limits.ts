import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { rateLimit, type IncrementResponse, type Store } from 'express-rate-limit';
import helmet from 'helmet';
import type { Clock } from '../../domain/series';
import { callerOf } from './auth';
import { RequestTimeoutError, TooManyRequestsError, type AppError } from './errors';

/** What one caller may ask of the API, and how long the backend works on one request. */
export interface HttpLimits {
  /** NOCAI_RATE_LIMIT: requests per minute per caller under /api (the alert webhook excluded); 0: no limit. */
  rateLimitPerMinute: number;
  /** NOCAI_REQUEST_TIMEOUT_MS: a request not answered by then gets 503 (0: no deadline). */
  requestTimeoutMs: number;
}

const WINDOW_MS = 60_000;

/**
 * Counts each caller's requests in fixed one-minute windows, by `clock` (injected so that tests
 * move time instead of waiting for it). One process's memory: replicas each count their own.
 */
export class WindowCounterStore implements Store {
  /** The counts live in this process: express-rate-limit may warn about a store shared by limiters. */
  readonly localKeys = true;
  private readonly windows = new Map<string, { hits: number; resetMs: number }>();
  private sweptAtMs = 0;

  constructor(
    private readonly clock: Clock,
    private readonly windowMs = WINDOW_MS
  ) {}

  increment(key: string): IncrementResponse {
    const nowMs = this.clock.nowMs();
    this.sweep(nowMs);
    let window = this.windows.get(key);
    if (!window || window.resetMs <= nowMs) {
      window = { hits: 0, resetMs: nowMs + this.windowMs };
      this.windows.set(key, window);
    }
    window.hits += 1;
    return { totalHits: window.hits, resetTime: new Date(window.resetMs) };
  }

  decrement(key: string): void {
    const window = this.windows.get(key);
    if (window && window.hits > 0) window.hits -= 1;
  }

  resetKey(key: string): void {
    this.windows.delete(key);
  }

  /** Seconds until `key` may call again (at least 1: `Retry-After: 0` would invite a retry storm). */
  retryAfterSeconds(key: string): number {
    const window = this.windows.get(key);
    const leftMs = window ? window.resetMs - this.clock.nowMs() : this.windowMs;
    return Math.max(1, Math.ceil(leftMs / 1000));
  }

  /** Forgets ended windows once per window, so callers seen once do not stay in memory. */
  private sweep(nowMs: number): void {
    if (nowMs - this.sweptAtMs < this.windowMs) return;
    this.sweptAtMs = nowMs;
    for (const [key, window] of this.windows) if (window.resetMs <= nowMs) this.windows.delete(key);
  }
}

/**
 * The budget a request counts against: a Grafana user's own (each user of a NOC behind one data
 * source token gets the full limit), otherwise the token's (every holder of one token shares it).
 * Runs after `authenticate`: the caller is known.
 */
export function rateLimitKey(res: Response): string {
  const caller = callerOf(res);
  return caller.via === 'grafana-id' || caller.via === 'grafana-user'
    ? `grafana:${caller.token.name}:${caller.name}`
    : `token:${caller.token.name}`;
}

/**
 * `limitPerMinute` requests per minute per caller (`rateLimitKey`); beyond it 429 with `Retry-After`
 * and the standard `RateLimit` headers. Place it after `authenticate`.
 */
export function perCallerRateLimit(limitPerMinute: number, clock: Clock): RequestHandler {
  const store = new WindowCounterStore(clock);
  const limiter = rateLimit({
    windowMs: WINDOW_MS,
    limit: limitPerMinute,
    store,
    keyGenerator: (_req, res) => rateLimitKey(res),
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    retryAfter: (_req, res) => store.retryAfterSeconds(rateLimitKey(res)),
    // Keyed by token, never by address: the proxy headers Grafana adds are no concern here.
    validate: { xForwardedForHeader: false, forwardedHeader: false },
    handler: (_req, res, next) => {
      const key = rateLimitKey(res);
      const seconds = store.retryAfterSeconds(key);
      const who = key.startsWith('grafana:') ? `user ${callerOf(res).name}` : `token ${callerOf(res).token.name}`;
      next(
        new TooManyRequestsError(
          `${who} sent more than ${limitPerMinute} requests this minute (NOCAI_RATE_LIMIT): try again in ${seconds} s`,
          seconds
        )
      );
    },
  });
  return (req, res, next) =>
    limiter(req, res, (error?: unknown) => {
      if (error === undefined) {
        const key = rateLimitKey(res);
        let refunded = false;
        res.locals[REFUND] = () => {
          if (!refunded) store.decrement(key);
          refunded = true;
        };
      }
      next(error);
    });
}

const REFUND = 'nocaiRefundRateLimit';

/**
 * Takes back this replica's count of a request another replica answered (a ticket change forwarded
 * to its owner, which counts it against the same caller's budget there): each request counts once.
 */
export function refundRateLimit(res: Response): void {
  const refund = res.locals[REFUND] as (() => void) | undefined;
  refund?.();
}

/**
 * Answers 503 when a request's handler has not answered within `timeoutMs` (InfluxDB slow, a long
 * query). The handler goes on: a change it makes may still be stored, which the message says;
 * its late answer is dropped by the error handler (`res.headersSent`).
 */
export function requestDeadline(
  timeoutMs: number,
  send: (res: Response, error: AppError) => void,
  exempt: (req: Request) => boolean = () => false
): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    if (timeoutMs <= 0 || exempt(req)) return next();
    // Read now: routers rewrite `req.path` as the request goes down into them.
    const what = `${req.method} ${req.path.slice(0, 128)}`;
    const timer = setTimeout(() => {
      if (res.headersSent) return;
      send(
        res,
        new RequestTimeoutError(
          `the backend did not answer ${what} within ${timeoutMs} ms (NOCAI_REQUEST_TIMEOUT_MS): ` +
            'a change may still be applied, read it back before sending it again'
        )
      );
    }, timeoutMs);
    // Ends with the response, or with the connection when the client leaves first.
    res.once('close', () => clearTimeout(timer));
    next();
  };
}

/**
 * helmet's headers, for a JSON API: a CSP that lets a JSON answer load nothing and be framed by
 * nobody (the HTML report route replaces it with its own), HSTS only when served over HTTPS.
 */
export function securityHeaders(options: { https: boolean }): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
    },
    strictTransportSecurity: options.https ? { maxAge: 31_536_000, includeSubDomains: true } : false,
  });
}
