/**
 * Input checking at the edge: a zod schema (from @lumina/contract) parses a body, a query or path
 * parameters into trusted values, or the request is a 400 naming each bad field.
 */
import type { NextFunction, Request, Response } from 'express';
import type { z } from 'zod';
import { BadRequestError, RequestValidationError } from './errors';

/** Parses a value with a zod schema, answering 400 with field paths on failure. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new RequestValidationError(
      result.error.issues.map((issue) => {
        const field = issue.path.map(String).join('.');
        return field ? { message: issue.message, field } : { message: issue.message };
      }),
    );
  }
  return result.data;
}

/**
 * Refuses JSON bodies that are not plain objects (arrays, strings) before any route sees them,
 * so handlers may read fields without first checking the body's type.
 */
export function requireJsonObjectBody(req: Request, _res: Response, next: NextFunction): void {
  if (req.body !== undefined && (typeof req.body !== 'object' || req.body === null || Array.isArray(req.body))) {
    next(new BadRequestError('The body must be a JSON object'));
    return;
  }
  next();
}
