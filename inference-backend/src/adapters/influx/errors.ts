/**
 * Errors from InfluxDB's v1 HTTP API. 4xx carry InfluxDB's own message (bad line protocol,
 * field type conflict, unknown database, bad InfluxQL) and are never retried; network errors
 * and 5xx are transient and retried by the caller.
 */
export class InfluxError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly retryable: boolean
  ) {
    super(message);
    this.name = 'InfluxError';
  }
}

export function isRetryable(error: unknown): boolean {
  return error instanceof InfluxError && error.retryable;
}
