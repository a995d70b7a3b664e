import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { validationResult, type ValidationChain } from 'express-validator';
import type { z } from 'zod';
import { BadRequestError, RequestValidationError } from './errors';

/**
 * Runs express-validator chains and answers 400 with one entry per bad field.
 * Use after the chains: `router.post('/', [body('email').isEmail()], validateRequest, handler)`.
 */
export const validateRequest: RequestHandler = (req, _res, next) => {
  const result = validationResult(req);
  if (!result.isEmpty()) {
    const seen = new Set<string>();
    const errors = result
      .array()
      .map((e) => ({ message: String(e.msg), field: e.type === 'field' ? e.path : undefined }))
      .filter((e) => {
        // One message per field is enough for a client to act on.
        const key = e.field ?? e.message;
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      })
      .map((e) => (e.field ? { message: e.message, field: e.field } : { message: e.message }));
    next(new RequestValidationError(errors));
    return;
  }
  next();
};

/** The chains and validateRequest as one middleware list. */
export function validate(...chains: ValidationChain[]): RequestHandler[] {
  return [...chains, validateRequest];
}

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
