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
  constructor(message = 'a valid bearer token is required (Authorization: Bearer <NOCAI_API_TOKEN>)') {
    super(message, 401, 'unauthorized');
  }
}

export class NotFoundError extends AppError {
  constructor(message: string) {
    super(message, 404, 'not_found');
  }
}

export class UpstreamError extends AppError {
  constructor(message: string) {
    super(message, 503, 'upstream_unavailable');
  }
}
