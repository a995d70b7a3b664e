import type { ErrorRequestHandler, RequestHandler } from 'express';
import { HttpError, NotFoundError } from './errors';

/** body-parser and friends mark their errors with `type` and `status`; map them to our shape. */
interface BodyParserError {
  type?: string;
  status?: number;
  expose?: boolean;
}

const bodyParserMessages: Record<string, [number, string]> = {
  'entity.too.large': [413, 'Request body too large'],
  'entity.parse.failed': [400, 'Malformed JSON body'],
  'encoding.unsupported': [415, 'Unsupported content encoding'],
  'charset.unsupported': [415, 'Unsupported charset'],
  'request.aborted': [400, 'Request aborted'],
  'parameters.too.many': [413, 'Too many parameters'],
};

export const notFoundHandler: RequestHandler = (_req, _res, next) => next(new NotFoundError('Route not found'));

/**
 * The one place an error becomes an HTTP answer. A 500 never leaks the stack, a query or
 * the message of an unexpected error; it is logged with the request id instead.
 */
export const errorHandler: ErrorRequestHandler = (err: unknown, req, res, _next) => {
  if (res.headersSent) {
    res.end();
    return;
  }
  if (err instanceof HttpError) {
    res.set(err.headers).status(err.statusCode).json({ errors: err.serializeErrors() });
    return;
  }
  const parserError = err as BodyParserError;
  if (parserError && typeof parserError.type === 'string' && parserError.type in bodyParserMessages) {
    const [status, message] = bodyParserMessages[parserError.type]!;
    res.status(status).json({ errors: [{ message }] });
    return;
  }
  if (parserError && parserError.expose && typeof parserError.status === 'number' && parserError.status < 500) {
    res.status(parserError.status).json({ errors: [{ message: 'Bad request' }] });
    return;
  }
  req.log?.error({ err }, 'unhandled error');
  res.status(500).json({ errors: [{ message: 'Something went wrong' }] });
};
