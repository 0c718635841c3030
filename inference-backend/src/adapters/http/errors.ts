/** Errors a route can raise; the central handler maps them to a status and `{error:{code,message}}`. */
export class AppError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class BadRequestError extends AppError {
  constructor(message: string) {
    super(message, 400, 'bad_request');
  }
}

export class UnauthorizedError extends AppError {
  constructor(message = 'a valid bearer token is required (Authorization: Bearer <token>)') {
    super(message, 401, 'unauthorized');
  }
}

/** Authenticated, but the caller's role does not allow this. */
export class ForbiddenError extends AppError {
  constructor(message: string) {
    super(message, 403, 'forbidden');
  }
}

export class NotFoundError extends AppError {
  constructor(message: string) {
    super(message, 404, 'not_found');
  }
}

/** A route that exists, called with a method it does not serve: `allow` is what it serves (the `Allow` header). */
export class MethodNotAllowedError extends AppError {
  constructor(
    method: string,
    path: string,
    readonly allow: readonly string[]
  ) {
    super(`${method} is not allowed on ${path}: it answers ${allow.join(', ')}`, 405, 'method_not_allowed');
  }
}

/** InfluxDB down or unreachable: the caller may try again after `retryAfterSeconds`. */
export class UnavailableError extends AppError {
  constructor(
    message: string,
    readonly retryAfterSeconds = 5
  ) {
    super(message, 503, 'upstream_unavailable');
  }
}

/** Over the caller's budget of requests (NOCAI_RATE_LIMIT): try again after `retryAfterSeconds`. */
export class TooManyRequestsError extends AppError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number
  ) {
    super(message, 429, 'rate_limited');
  }
}

/** The backend did not answer in time (NOCAI_REQUEST_TIMEOUT_MS); the work may still complete. */
export class RequestTimeoutError extends AppError {
  constructor(
    message: string,
    readonly retryAfterSeconds = 5
  ) {
    super(message, 503, 'request_timeout');
  }
}

export class GatewayTimeoutError extends AppError {
  constructor(message: string) {
    super(message, 504, 'upstream_timeout');
  }
}

/** InfluxDB refused a record the API had accepted as valid (a field type conflict): the operator's problem. */
export class StorageRefusedError extends AppError {
  constructor(message: string) {
    super(message, 500, 'storage_refused');
  }
}
