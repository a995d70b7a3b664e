/**
 * The contract check of answers. When LUMINA_CHECK_RESPONSES=1 (the test kit sets it), every JSON
 * answer is parsed by its route's declared schema before it leaves: an answer the contract does
 * not allow (a missing or extra field, a status the route does not declare, a route with no
 * contract) becomes a 500 naming the route and the zod issue, and is recorded so that the test
 * that caused it fails (common/src/testing/contract-check.ts). So every route test is a contract test.
 * Off in production: there the schemas shape the answers, and a check per answer would only cost.
 */
import type { ApiRoute, ServiceContract } from '@lumina/contract';
import { ErrorBody } from '@lumina/contract';
import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';

export const CHECK_RESPONSES_ENV = 'LUMINA_CHECK_RESPONSES';

export function responseChecksEnabled(): boolean {
  return process.env[CHECK_RESPONSES_ENV] === '1';
}

const violations: string[] = [];

/** The violations recorded in this process since the last call (the test kit fails a test on any). */
export function takeContractViolations(): string[] {
  return violations.splice(0, violations.length);
}

/** `/api/v1/timeline/` and `/api/v1/timeline` are one route; so are `HEAD` and `GET`. */
export function routeKey(method: string, path: string): string {
  const trimmed = path.length > 1 ? path.replace(/\/+$/, '') : path;
  return `${(method === 'HEAD' ? 'GET' : method).toUpperCase()} ${trimmed}`;
}

/**
 * The route template of the request (`/api/v1/posts/:id`), once a route matched; for a request
 * through a deprecated alias (`/api/posts/:id`), the v1 route it stands for (app.ts).
 */
function templateOf(req: Request, res: Response): string | undefined {
  const path: unknown = req.route?.path;
  const canonical: unknown = res.locals.canonicalBaseUrl;
  return typeof path === 'string' ? `${typeof canonical === 'string' ? canonical : req.baseUrl}${path}` : undefined;
}

function problemWith(routes: Map<string, ApiRoute>, req: Request, res: Response, body: unknown): string | undefined {
  const template = templateOf(req, res);
  const where = `${req.method} ${template ?? req.path} → ${res.statusCode}`;
  let schema: z.ZodType | undefined;
  if (res.statusCode >= 400) {
    schema = ErrorBody;
  } else {
    if (template === undefined) return undefined;
    const route = routes.get(routeKey(req.method, template));
    if (!route) return `${where}: the route is not in the contract`;
    const spec = route.responses[res.statusCode];
    if (!spec) return `${where}: the contract declares only ${Object.keys(route.responses).join(', ')}`;
    if (!spec.body) return `${where}: the contract declares no JSON body for this status`;
    schema = spec.body;
  }
  const parsed = schema.safeParse(body);
  return parsed.success ? undefined : `${where}: the answer does not match its schema:\n${z.prettifyError(parsed.error)}`;
}

/** Wraps res.json to check each JSON answer against the contract (mount before the routes). */
export function checkResponses(contract: ServiceContract, log: Logger): RequestHandler {
  const routes = new Map(Object.values(contract.routes).map((r) => [routeKey(r.method, r.path), r]));
  return (req, res, next) => {
    const send = res.json.bind(res);
    res.locals.checkResponses = true;
    res.json = (body: unknown) => {
      const problem = problemWith(routes, req, res, body);
      if (!problem) return send(body);
      violations.push(problem);
      log.error({ contract: contract.service }, `contract violation: ${problem}`);
      res.status(500);
      return send({ errors: [{ message: `Contract violation: ${problem}` }] });
    };
    next();
  };
}

/**
 * Sends JSON that is already serialized (a kept page), as text or as UTF-8 bytes: as it is, or,
 * while answers are checked against the contract, parsed and sent through the check like any
 * other answer.
 */
export function sendJsonText(res: Response, text: string | Buffer): void {
  if (res.locals.checkResponses === true) res.json(JSON.parse(typeof text === 'string' ? text : text.toString('utf8')));
  else res.type('application/json').send(text);
}
