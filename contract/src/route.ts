/**
 * How a route is declared: method, path (Express syntax, `:id`), what it takes and what it may
 * answer. From one declaration come the runtime check of the input (services parse with the
 * schemas), the response check the tests run, and the route's part of the OpenAPI document.
 */
import type { z } from 'zod';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** One answer a route may give: a JSON body (with its schema), no body, or bytes of a type. */
export interface ResponseSpec {
  description: string;
  /** The JSON body's schema; absent for an answer without a JSON body. */
  body?: z.ZodType;
  /** For an answer that is not JSON (image bytes, an event stream). */
  contentType?: string;
}

export interface ApiRoute {
  method: HttpMethod;
  /** The full path the service mounts, as Express spells it: `/api/v1/posts/:id` (built from API_PREFIX, version.ts). */
  path: string;
  summary: string;
  description?: string;
  /** `required`: 401 without a session; `optional`: answers differ for a signed-in viewer. */
  auth?: 'required' | 'optional';
  request?: {
    params?: z.ZodObject;
    query?: z.ZodObject;
    headers?: z.ZodObject;
    /** A JSON body's schema. */
    body?: z.ZodType;
    /** A multipart body's fields, for the document (the service streams it itself). */
    multipart?: z.ZodObject;
  };
  /** The successful answers by status. Errors (4xx, 5xx) are always the Error shape. */
  responses: Record<number, ResponseSpec>;
  /** The error statuses worth documenting for this route. */
  errors?: number[];
}

/** A service's whole HTTP API. */
export interface ServiceContract {
  service: string;
  title: string;
  description: string;
  /** Where the entry point sends this service's requests: `/api/v1/posts` (the deprecated alias `/api/v1/posts` is derived from it). */
  prefix: string;
  routes: Record<string, ApiRoute>;
}

/** A JSON answer; its schema's type is kept, so the typed client (client.ts) knows what the route answers. */
export function json<T extends z.ZodType>(description: string, body: T): ResponseSpec & { body: T } {
  return { description, body };
}

export function noContent(description: string): ResponseSpec & { body?: undefined } {
  return { description };
}

/** Keeps the literal keys of a route table while checking each entry. */
export function defineRoutes<R extends Record<string, ApiRoute>>(routes: R): R {
  return routes;
}
