/**
 * The typed client of the route tables (`@lumina/contract/client`): one function for every route,
 * whose input is typed by the route's request schemas (`z.input`) and whose answer by its
 * successful response schemas (`z.output`), so a caller cannot send what the route does not take
 * nor read what it does not answer:
 *
 *   const api = createApiClient({ baseUrl });
 *   const { post } = await api.call(postsRoutes.createPost, { body: { caption, media } });
 *
 * The URL comes from the route's own `path` (its `:params` filled in and encoded) and query,
 * never from a string of the caller's; a non-2xx answer throws an ApiCallError carrying the
 * Error shape. It is transport-agnostic: the browser, Node tests and the benchmark each give it
 * their `fetch`, their headers (cookies, a Bearer token) and what to do with an answer (keep the
 * cookies, refresh a session on a 401 and send again). It needs nothing but zod, so it bundles
 * for the browser: the browser imports this module, never the index (which carries the OpenAPI
 * generator).
 */
import type { z } from 'zod';
import { authRoutes } from './auth';
import { mediaRoutes } from './media';
import { postsRoutes } from './posts';
import type { ApiRoute } from './route';
import { searchRoutes } from './search';
import { ErrorBody } from './shapes';
import { timelineRoutes } from './timeline';

export { authRoutes, mediaRoutes, postsRoutes, searchRoutes, timelineRoutes };
export type { ApiRoute } from './route';

/** Every service's route table, by service, with each route's own types. */
export const routeTables = {
  auth: authRoutes,
  posts: postsRoutes,
  media: mediaRoutes,
  search: searchRoutes,
  timeline: timelineRoutes,
} as const;

// ---- what a route takes -------------------------------------------------------------------

type RequestPartName = 'params' | 'query' | 'headers' | 'body' | 'multipart';

/** The schema a route declares for one part of its request, or undefined. */
type RequestSchema<R, K extends RequestPartName> = R extends { request: infer Q }
  ? Q extends { [P in K]: infer S }
    ? S
    : undefined
  : undefined;

/** A part of the input: required when its schema requires something, absent when there is none. */
type InputField<S, K extends RequestPartName> = S extends z.ZodType
  ? object extends z.input<S>
    ? { [P in K]?: z.input<S> }
    : { [P in K]: z.input<S> }
  : { [P in K]?: undefined };

type Simplify<T> = { [K in keyof T]: T[K] } & {};

/**
 * What a call of the route takes: its path params, query, headers and JSON body, as its schemas
 * accept them; a multipart route takes a FormData (its fields are the route's `multipart`).
 */
export type RouteInput<R extends ApiRoute> = Simplify<
  InputField<RequestSchema<R, 'params'>, 'params'> &
    InputField<RequestSchema<R, 'query'>, 'query'> &
    InputField<RequestSchema<R, 'headers'>, 'headers'> &
    InputField<RequestSchema<R, 'body'>, 'body'> &
    (RequestSchema<R, 'multipart'> extends z.ZodType ? { form: FormData } : { form?: undefined })
>;

/** Per call, beside the route's input. */
export interface CallOptions {
  signal?: AbortSignal;
  /** More headers for this call only. */
  headers?: Record<string, string>;
}

/** The input may be left out when the route requires none of it. */
export type CallArgs<R extends ApiRoute> =
  object extends RouteInput<R> ? [input?: RouteInput<R>, options?: CallOptions] : [input: RouteInput<R>, options?: CallOptions];

// ---- what a route answers -----------------------------------------------------------------

type Statuses<R extends ApiRoute> = keyof R['responses'] & number;

/** The route's declared successful statuses (2xx). */
export type SuccessStatus<R extends ApiRoute> = { [S in Statuses<R>]: `${S}` extends `2${string}` ? S : never }[Statuses<R>];

/** The JSON body an answer carries, or undefined for an answer without one (204, image bytes, an event stream). */
type BodyOf<Spec> = Spec extends { body: infer B extends z.ZodType } ? z.output<B> : undefined;

/** What a successful call of the route answers (the union over its 2xx statuses). */
export type RouteAnswer<R extends ApiRoute> = { [S in SuccessStatus<R>]: BodyOf<R['responses'][S]> }[SuccessStatus<R>];

/**
 * A call's outcome without throwing on its status: a declared success with its typed body, or a
 * failure with the error (and whatever body came, the Error shape when the service sent it).
 */
export type RouteResult<R extends ApiRoute> =
  | { [S in SuccessStatus<R>]: { ok: true; status: S; body: BodyOf<R['responses'][S]>; response: Response } }[SuccessStatus<R>]
  | { ok: false; status: number; body: unknown; error: Error; response: Response };

// ---- errors -------------------------------------------------------------------------------

export type ErrorEntry = ErrorBody['errors'][number];

/** A non-2xx answer: its status and the Error shape's entries (one naming the status when the body was not that shape). */
export class ApiCallError extends Error {
  constructor(
    readonly status: number,
    readonly errors: ErrorEntry[],
    /** The call (`POST /api/v1/posts`) and the body as it came, for messages and logs. */
    readonly detail: { call?: string; body?: unknown } = {},
  ) {
    super(errors[0]?.message ?? `${detail.call ?? 'the call'} answered ${status}`);
    this.name = 'ApiCallError';
  }
}

/** The entries of an Error-shaped body, or undefined for any other body (a proxy's HTML page, say). */
export function errorEntries(body: unknown): ErrorEntry[] | undefined {
  const parsed = ErrorBody.safeParse(body);
  return parsed.success ? parsed.data.errors : undefined;
}

// ---- URLs ---------------------------------------------------------------------------------

const PARAM = /:([A-Za-z0-9_]+)/g;

/** `route.path` with its `:params` filled in (each encoded as one path segment) and the query, if any. */
export function pathFor<R extends ApiRoute>(route: R, input: Pick<RouteInput<R>, 'params' | 'query'> | object = {}): string {
  const { params, query } = input as { params?: Record<string, unknown>; query?: Record<string, unknown> };
  const path = route.path.replace(PARAM, (_, name: string) => {
    const value = params?.[name];
    if (value === undefined || value === null || value === '') throw new TypeError(`${describe(route)}: no value for :${name}`);
    const segment = String(value);
    // URL parsers resolve these (even as %2E), so they cannot name anything.
    if (segment === '.' || segment === '..') throw new TypeError(`${describe(route)}: :${name} cannot be "${segment}"`);
    return encodeURIComponent(segment);
  });
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined || value === null) continue;
    for (const one of Array.isArray(value) ? value : [value]) search.append(key, String(one));
  }
  const qs = search.toString();
  return qs ? `${path}?${qs}` : path;
}

function describe(route: ApiRoute): string {
  return `${route.method.toUpperCase()} ${route.path}`;
}

// ---- the client ---------------------------------------------------------------------------

export type Fetch = (url: string, init: RequestInit) => Promise<Response>;

/** One request as sent, for the hooks: `resend` sends it again (headers asked for afresh). */
export interface Exchange {
  route: ApiRoute;
  url: string;
  resend(): Promise<Response>;
}

export interface ApiClientOptions {
  /** Prepended to every path: `http://127.0.0.1:8080`, or '' (the default) for the page's own origin. */
  baseUrl?: string;
  /** The transport; the global fetch by default (looked up at each call). */
  fetch?: Fetch;
  /** Other fetch settings for every call: `{ credentials: 'same-origin' }`. */
  init?: Omit<RequestInit, 'method' | 'headers' | 'body' | 'signal'>;
  /** Headers for every request of a route (a cookie jar, a Bearer token, an Origin), asked for at each send. */
  headers?: (route: ApiRoute) => Record<string, string> | undefined | Promise<Record<string, string> | undefined>;
  /** Sees every answer before it is read, and may answer another (keep cookies; refresh on a 401, then resend). */
  onResponse?: (response: Response, exchange: Exchange) => Response | Promise<Response>;
  /** The error a non-2xx answer becomes; an ApiCallError by default. */
  toError?: (status: number, body: unknown, route: ApiRoute, url: string) => Error;
  /**
   * Parse every successful answer with its route's schema, and refuse a status the route does
   * not declare: a contract check from outside (the end-to-end tests through NGINX).
   */
  checkAnswers?: boolean;
}

export interface ApiClient {
  /** Calls the route; answers its typed body, or throws the error of a non-2xx answer. */
  call<R extends ApiRoute>(route: R, ...args: CallArgs<R>): Promise<RouteAnswer<R>>;
  /** Calls the route; answers the outcome whatever the status (a network failure still throws). */
  send<R extends ApiRoute>(route: R, ...args: CallArgs<R>): Promise<RouteResult<R>>;
  /** The full URL a call would go to. */
  url<R extends ApiRoute>(route: R, input?: Pick<RouteInput<R>, 'params' | 'query'>): string;
}

interface LooseResult {
  ok: boolean;
  status: number;
  body: unknown;
  error?: Error;
  response: Response;
}

interface LooseInput {
  params?: Record<string, unknown>;
  query?: Record<string, unknown>;
  headers?: Record<string, string | undefined>;
  body?: unknown;
  form?: FormData;
}

function readJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function createApiClient(options: ApiClientOptions = {}): ApiClient {
  const baseUrl = (options.baseUrl ?? '').replace(/\/+$/, '');
  const transport: Fetch = options.fetch ?? ((url, init) => globalThis.fetch(url, init));
  const toError =
    options.toError ??
    ((status: number, body: unknown, route: ApiRoute) =>
      new ApiCallError(status, errorEntries(body) ?? [{ message: `${describe(route)} answered ${status}` }], {
        call: describe(route),
        body,
      }));

  async function send(route: ApiRoute, input: LooseInput = {}, callOptions: CallOptions = {}): Promise<LooseResult> {
    const url = `${baseUrl}${pathFor(route, input)}`;
    const json = input.body === undefined ? undefined : JSON.stringify(input.body);
    // A FormData sets its own content type (with the multipart boundary).
    const payload = input.form ?? json;
    const exchange = async (): Promise<Response> => {
      const headers: Record<string, string> = { accept: 'application/json' };
      if (json !== undefined) headers['content-type'] = 'application/json';
      Object.assign(headers, await options.headers?.(route), callOptions.headers);
      for (const [name, value] of Object.entries(input.headers ?? {})) if (value !== undefined) headers[name] = value;
      return transport(url, { ...options.init, method: route.method.toUpperCase(), headers, body: payload, signal: callOptions.signal });
    };

    let response = await exchange();
    if (options.onResponse) response = await options.onResponse(response, { route, url, resend: exchange });

    const spec = route.responses[response.status];
    if (!response.ok) {
      const text = await response.text().catch(() => '');
      const body = text ? readJson(text) : undefined;
      return { ok: false, status: response.status, body, error: toError(response.status, body, route, url), response };
    }
    // An answer that is not JSON (image bytes, an event stream) is left unread for the caller.
    if (spec && !spec.body && spec.contentType) return { ok: true, status: response.status, body: undefined, response };
    const text = response.status === 204 ? '' : await response.text();
    const body = text ? readJson(text) : undefined;
    if (options.checkAnswers) checkAnswer(route, response.status, body);
    return { ok: true, status: response.status, body, response };
  }

  return {
    async call(route, ...args) {
      const result = await send(route, ...(args as [LooseInput?, CallOptions?]));
      if (!result.ok) throw result.error;
      return result.body as never;
    },
    send: (route, ...args) => send(route, ...(args as [LooseInput?, CallOptions?])) as never,
    url: (route, input) => `${baseUrl}${pathFor(route, input)}`,
  };
}

/** Throws unless the route declares the status and the body is what its schema allows. */
function checkAnswer(route: ApiRoute, status: number, body: unknown): void {
  const spec = route.responses[status];
  if (!spec) throw new Error(`${describe(route)} answered ${status}; the contract declares ${Object.keys(route.responses).join(', ')}`);
  if (!spec.body) {
    if (body !== undefined) throw new Error(`${describe(route)} answered ${status} with a body; the contract declares none`);
    return;
  }
  const parsed = spec.body.safeParse(body);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`${describe(route)} answered ${status} outside its contract: ${issues}`);
  }
}
