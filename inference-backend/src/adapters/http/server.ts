import { createServer as createHttp, type RequestListener, type Server, type ServerOptions } from 'node:http';
import { createServer as createHttps } from 'node:https';

/** How the API is served: over TLS when a certificate is configured, and what one connection may send. */
export interface TransportOptions {
  /** PEM certificate (chain) and private key, read at start (NOCAI_TLS_CERT, NOCAI_TLS_KEY): HTTPS. */
  tls?: { cert: string; key: string };
  /** NOCAI_MAX_HEADER_BYTES: larger request headers are answered 431 by Node before any route. */
  maxHeaderBytes: number;
  /** A client must send its whole header within this (slow-header attacks), else 408. */
  headersTimeoutMs?: number;
  /**
   * A client must send its whole request, body included, within this, else 408: long enough for
   * the largest upload (a 128 MB model import) on a slow link.
   */
  bodyTimeoutMs?: number;
  /** How often Node looks for connections past those timeouts (tests shorten it). */
  checkIntervalMs?: number;
}

const HEADERS_TIMEOUT_MS = 20_000;
const BODY_TIMEOUT_MS = 300_000;

/** The HTTP(S) server of the API, not yet listening. */
export function createHttpServer(app: RequestListener, transport: TransportOptions): Server {
  const headersTimeout = transport.headersTimeoutMs ?? HEADERS_TIMEOUT_MS;
  const options: ServerOptions = {
    maxHeaderSize: transport.maxHeaderBytes,
    headersTimeout,
    // Node refuses a request timeout shorter than the headers timeout.
    requestTimeout: Math.max(transport.bodyTimeoutMs ?? BODY_TIMEOUT_MS, headersTimeout),
    ...(transport.checkIntervalMs === undefined ? {} : { connectionsCheckingInterval: transport.checkIntervalMs }),
  };
  return transport.tls
    ? createHttps({ ...options, cert: transport.tls.cert, key: transport.tls.key }, app)
    : createHttp(options, app);
}
