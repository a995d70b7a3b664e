/**
 * Every error a handler may throw on purpose. The error handler turns each into the one JSON
 * shape of DESIGN.md: {"errors":[{"message","field"?}]}.
 */
export interface SerializedError {
  message: string;
  field?: string;
}

export abstract class HttpError extends Error {
  abstract readonly statusCode: number;
  /** Extra headers the answer carries (Retry-After for 429, say). */
  readonly headers: Record<string, string> = {};

  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }

  serializeErrors(): SerializedError[] {
    return [{ message: this.message }];
  }
}

export class BadRequestError extends HttpError {
  readonly statusCode = 400;
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
  override serializeErrors(): SerializedError[] {
    return [this.field ? { message: this.message, field: this.field } : { message: this.message }];
  }
}

/** 400 with one entry per invalid field, as zod reports them. */
export class RequestValidationError extends HttpError {
  readonly statusCode = 400;
  constructor(readonly fieldErrors: SerializedError[]) {
    super('Invalid request parameters');
  }
  override serializeErrors(): SerializedError[] {
    return this.fieldErrors;
  }
}

export class NotAuthorizedError extends HttpError {
  readonly statusCode = 401;
  constructor(message = 'Not signed in') {
    super(message);
  }
}

export class ForbiddenError extends HttpError {
  readonly statusCode = 403;
  constructor(message = 'Not allowed') {
    super(message);
  }
}

export class NotFoundError extends HttpError {
  readonly statusCode = 404;
  constructor(message = 'Not found') {
    super(message);
  }
}

export class ConflictError extends HttpError {
  readonly statusCode = 409;
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
  override serializeErrors(): SerializedError[] {
    return [this.field ? { message: this.message, field: this.field } : { message: this.message }];
  }
}

export class PayloadTooLargeError extends HttpError {
  readonly statusCode = 413;
  constructor(message = 'Request body too large') {
    super(message);
  }
}

export class UnsupportedMediaTypeError extends HttpError {
  readonly statusCode = 415;
  constructor(message = 'Unsupported media type') {
    super(message);
  }
}

export class UnprocessableEntityError extends HttpError {
  readonly statusCode = 422;
  constructor(message: string) {
    super(message);
  }
}

export class TooManyRequestsError extends HttpError {
  readonly statusCode = 429;
  constructor(retryAfterSeconds: number, message = 'Too many requests, try again later') {
    super(message);
    this.headers['Retry-After'] = String(Math.max(1, Math.ceil(retryAfterSeconds)));
  }
}

export class ServiceUnavailableError extends HttpError {
  readonly statusCode = 503;
  constructor(message = 'Service unavailable') {
    super(message);
  }
}
