/**
 * The one door to the API: every call goes through @lumina/contract's typed client with a route
 * of the contract's route tables (its path, its input and answer types), same-origin with the
 * `session` cookie; every failure becomes an ApiError built from the {"errors":[{message, field?}]}
 * shape, and a stale session is refreshed quietly (the refresh route, then the call once more) on
 * a 401.
 */
import {
  ApiCallError,
  authRoutes,
  createApiClient,
  errorEntries,
  pathFor,
  type ApiClientOptions,
  type ApiRoute,
  type CallArgs,
  type RouteAnswer,
} from '@lumina/contract/client';
import { withTabLock } from '../lib/tab-lock';
import type { FieldError } from './types';

/** A failed call: its status and the Error shape's entries (with words for the status when the body had none). */
export class ApiError extends ApiCallError {
  constructor(status: number, errors: FieldError[]) {
    super(status, errors.length > 0 ? errors : [{ message: messageForStatus(status) }]);
    this.name = 'ApiError';
  }

  /** The first message about one input field, if the server named that field. */
  fieldMessage(field: string): string | undefined {
    return this.errors.find((e) => e.field === field)?.message;
  }

  /** Messages not tied to a field (or tied to one the form does not show). */
  generalMessages(shownFields: readonly string[] = []): string[] {
    return this.errors.filter((e) => !e.field || !shownFields.includes(e.field)).map((e) => e.message);
  }
}

/** Words for a status whose body carried no usable message (a proxy's HTML page, say). */
export function messageForStatus(status: number): string {
  switch (status) {
    case 0:
      return 'Could not reach Lumina. Check your connection and try again.';
    case 400:
      return 'Something in the request was not right.';
    case 401:
      return 'Please sign in again.';
    case 403:
      return 'You are not allowed to do that.';
    case 404:
      return 'Not found.';
    case 409:
      return 'That conflicts with something that already exists.';
    case 413:
      return 'That file is too large.';
    case 415:
      return 'That file type is not supported.';
    case 422:
      return 'That image could not be read.';
    case 429:
      return 'Too many attempts. Wait a moment and try again.';
    default:
      return status >= 500 ? 'Something went wrong on our side. Try again in a moment.' : `Request failed (${status}).`;
  }
}

/** Reads the errors shape out of a body; anything else becomes one message for the status. */
export function errorFromBody(status: number, body: unknown): ApiError {
  return new ApiError(status, errorEntries(body) ?? []);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

// ---- quiet refresh -------------------------------------------------------------------------

/** Calls that must never trigger a refresh: they are how a session starts, renews or ends. */
const SESSION_ROUTES: readonly ApiRoute[] = [authRoutes.signIn, authRoutes.signUp, authRoutes.refresh, authRoutes.signOut];

export function mayRefreshFor(route: ApiRoute): boolean {
  return !SESSION_ROUTES.includes(route);
}

let refreshing: Promise<boolean> | null = null;
const sessionLostListeners = new Set<() => void>();

/** Told when a 401 could not be cured by a refresh: the person has to sign in again. */
export function onSessionLost(listener: () => void): () => void {
  sessionLostListeners.add(listener);
  return () => sessionLostListeners.delete(listener);
}

function sessionLost(): void {
  for (const listener of sessionLostListeners) listener();
}

/**
 * Renews the access token from the refresh cookie. The refresh token rotates on use and
 * presenting a used one revokes its whole family, so refreshes are single-flight: concurrent 401s
 * in this tab share one, and tabs take turns through a cross-tab lock. A tab that waited for the
 * lock first asks whether another tab already renewed the shared cookies, and only refreshes if not.
 */
export function refreshSession(): Promise<boolean> {
  refreshing ??= withTabLock('lumina-session-refresh', refreshUnlessRenewed).finally(() => {
    refreshing = null;
  });
  return refreshing;
}

async function refreshUnlessRenewed(): Promise<boolean> {
  if (await signedInNow()) return true;
  return bare
    .send(authRoutes.refresh)
    .then((res) => res.ok)
    .catch(() => false);
}

/** Whether the cookies hold a valid access token right now (another tab may have renewed them). */
async function signedInNow(): Promise<boolean> {
  try {
    return !!(await bare.call(authRoutes.currentUser)).currentUser;
  } catch {
    return false;
  }
}

// ---- JSON calls ----------------------------------------------------------------------------

const sameOrigin: ApiClientOptions = {
  // Looked up at each call: the component tests put their fake in its place.
  fetch: (url, init) => fetch(url, init),
  init: { credentials: 'same-origin' },
  toError: errorFromBody,
};

/** Without the quiet refresh: the calls that check or renew the session themselves. */
const bare = createApiClient(sameOrigin);

const client = createApiClient({
  ...sameOrigin,
  onResponse: async (res, { route, resend }) => {
    if (res.status !== 401 || !mayRefreshFor(route)) return res;
    const answer = (await refreshSession()) ? await resend() : res;
    if (answer.status === 401) sessionLost();
    return answer;
  },
});

const isAbort = (err: unknown) => err instanceof DOMException && err.name === 'AbortError';

/**
 * Calls a route of the contract: `api(postsRoutes.getPost, { params: { id } }, { signal })`.
 * Answers the route's typed body; throws ApiError (status 0 when Lumina could not be reached).
 */
export async function api<R extends ApiRoute>(route: R, ...args: CallArgs<R>): Promise<RouteAnswer<R>> {
  try {
    return await client.call(route, ...args);
  } catch (err) {
    if (err instanceof ApiError || isAbort(err)) throw err;
    throw new ApiError(0, [{ message: messageForStatus(0) }]);
  }
}

// ---- uploads with progress -----------------------------------------------------------------

export interface UploadOptions {
  fields?: Record<string, string>;
  onProgress?: (fraction: number) => void;
  signal?: AbortSignal;
}

/**
 * A multipart POST of a route (media's upload) through XMLHttpRequest, the one browser API that
 * reports upload progress. Answers the route's typed body; throws ApiError like `api` does (with
 * the same quiet refresh).
 */
export async function upload<R extends ApiRoute>(
  route: R,
  fileField: string,
  file: Blob,
  options: UploadOptions = {},
): Promise<RouteAnswer<R>> {
  const path = pathFor(route);
  let result = await uploadOnce(path, fileField, file, options);
  if (result.status === 401 && mayRefreshFor(route)) {
    if (await refreshSession()) {
      options.onProgress?.(0);
      result = await uploadOnce(path, fileField, file, options);
    }
    if (result.status === 401) sessionLost();
  }
  const data = result.text ? parseJson(result.text) : undefined;
  if (result.status < 200 || result.status >= 300) throw errorFromBody(result.status, data);
  return data as RouteAnswer<R>;
}

function uploadOnce(
  path: string,
  fileField: string,
  file: Blob,
  { fields = {}, onProgress, signal }: UploadOptions,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    // Text fields first: a streaming parser on the server sees them before the file.
    for (const [key, value] of Object.entries(fields)) form.append(key, value);
    form.append(fileField, file);

    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    xhr.withCredentials = true;
    xhr.setRequestHeader('accept', 'application/json');
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable && event.total > 0) onProgress?.(event.loaded / event.total);
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) onProgress?.(1);
      resolve({ status: xhr.status, text: xhr.responseText });
    };
    xhr.onerror = () => reject(new ApiError(0, [{ message: messageForStatus(0) }]));
    xhr.onabort = () => reject(new DOMException('Upload cancelled', 'AbortError'));
    if (signal) {
      if (signal.aborted) {
        reject(new DOMException('Upload cancelled', 'AbortError'));
        return;
      }
      signal.addEventListener('abort', () => xhr.abort(), { once: true });
    }
    xhr.send(form);
  });
}
