import { getBackendSrv, isFetchError } from '@grafana/runtime';
import { lastValueFrom } from 'rxjs';

import type { ApiErrorBody } from '@nocai/contract';

/**
 * The `path` prefix of the routes in plugin.json. Grafana's data source proxy serves
 * `<instanceSettings.url>/<proxyPath>`, picks the first route whose method matches and whose `path`
 * is a prefix of proxyPath (refusing the request when the user lacks the route's `reqRole`), strips
 * that prefix and appends the rest to the route's `url` (jsonData.url, the backend base URL, plus
 * what the route's path names beyond `api`), adding the route's Authorization header with the
 * decrypted token. So:
 *
 *   <instanceSettings.url>/api/healthz     -> <jsonData.url>/healthz
 *   <instanceSettings.url>/api/api/events  -> <jsonData.url>/api/events
 *
 * Every request must start with this prefix: a request that matches no route is proxied to the data
 * source's top-level URL (unset here) without the token.
 */
export const PROXY_ROUTE_PATH = 'api';

/**
 * Grafana's proxy turns an upstream 401 into a 400 with this plain-text body, so that the browser does
 * not mistake it for its own session expiring and log the user out.
 */
const GRAFANA_PROXY_AUTH_FAILED = 'Authentication to data source failed';

/** Statuses Grafana's proxy answers itself when it cannot get a response from the backend. */
const PROXY_GATEWAY_STATUSES = [502, 503, 504];

export type BackendErrorKind = 'unauthorized' | 'unreachable' | 'backend';

export class BackendError extends Error {
  constructor(
    readonly kind: BackendErrorKind,
    message: string,
    readonly status?: number,
    /** `error.code` of the backend's error body, when it sent one. */
    readonly code?: string
  ) {
    super(message);
    this.name = 'BackendError';
  }
}

export type QueryParams = Record<string, string | number>;

export interface RequestOptions {
  params?: QueryParams;
  /** Lets Grafana cancel the previous request with the same id, e.g. when a panel re-runs its query. */
  requestId?: string;
}

/** Reaches the inference backend through the data source proxy route; never talks to it directly. */
export class BackendClient {
  constructor(private readonly proxyUrl: string) {}

  /** `backendPath` is the path as the backend serves it, e.g. `/healthz` or `/api/events`. */
  get<T>(backendPath: string, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('GET', backendPath, undefined, options);
  }

  post<T>(backendPath: string, body: unknown, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('POST', backendPath, body, options);
  }

  patch<T>(backendPath: string, body: unknown, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('PATCH', backendPath, body, options);
  }

  private async request<T>(
    method: 'GET' | 'POST' | 'PATCH',
    backendPath: string,
    body: unknown,
    options: RequestOptions
  ): Promise<T> {
    try {
      const response = await lastValueFrom(
        getBackendSrv().fetch<T>({
          url: `${this.proxyUrl}/${PROXY_ROUTE_PATH}${backendPath}`,
          method,
          data: body,
          params: options.params,
          requestId: options.requestId,
          // Callers turn failures into query errors, "Save & test" messages or the panel's own alert.
          showErrorAlert: false,
        })
      );
      return response.data;
    } catch (err) {
      throw toBackendError(err);
    }
  }
}

export function toBackendError(err: unknown): BackendError {
  if (err instanceof BackendError) {
    return err;
  }
  if (!isFetchError(err)) {
    const reason = err instanceof Error ? err.message : String(err);
    return new BackendError('unreachable', `the request did not complete (${reason})`);
  }
  const { status, data } = err;
  const statusLine = [status, err.statusText].filter(Boolean).join(' ');
  if (status === 401 || (status === 400 && isProxyAuthFailure(data))) {
    return new BackendError('unauthorized', 'the backend refused the API token', 401);
  }
  if (isApiErrorBody(data)) {
    return new BackendError(
      'backend',
      `${data.error.message} (${data.error.code}, ${statusLine})`,
      status,
      data.error.code
    );
  }
  if (PROXY_GATEWAY_STATUSES.includes(status)) {
    return new BackendError('unreachable', `Grafana's proxy got no answer from the backend (${statusLine})`, status);
  }
  const detail = describeBody(data);
  return new BackendError('backend', detail ? `${detail} (${statusLine})` : `HTTP ${statusLine}`, status);
}

function isProxyAuthFailure(data: unknown): boolean {
  if (typeof data === 'string') {
    return data.includes(GRAFANA_PROXY_AUTH_FAILED);
  }
  return describeBody(data) === GRAFANA_PROXY_AUTH_FAILED;
}

export function isApiErrorBody(data: unknown): data is ApiErrorBody {
  if (typeof data !== 'object' || data === null || !('error' in data)) {
    return false;
  }
  const { error } = data;
  return (
    typeof error === 'object' &&
    error !== null &&
    'code' in error &&
    'message' in error &&
    typeof error.code === 'string' &&
    typeof error.message === 'string'
  );
}

/** Grafana's own error bodies are `{ message }`; proxies may answer plain text. */
function describeBody(data: unknown): string | undefined {
  if (typeof data === 'string') {
    return data.trim() || undefined;
  }
  if (typeof data === 'object' && data !== null && 'message' in data && typeof data.message === 'string') {
    return data.message;
  }
  return undefined;
}
