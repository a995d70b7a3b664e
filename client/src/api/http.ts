/**
 * The one door to the API: same-origin JSON calls that carry the `session` cookie, turn every
 * failure into an ApiError built from the {"errors":[{message, field?}]} shape, and refresh a
 * stale session quietly (POST /api/users/refresh, then the call once more) on a 401.
 */
import { withTabLock } from '../lib/tab-lock';
import type { FieldError } from './types';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly errors: FieldError[],
  ) {
    super(errors[0]?.message ?? messageForStatus(status));
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
  if (body && typeof body === 'object' && Array.isArray((body as { errors?: unknown }).errors)) {
    const errors = (body as { errors: unknown[] }).errors
      .filter((e): e is FieldError => !!e && typeof e === 'object' && typeof (e as FieldError).message === 'string')
      .map((e) => (typeof e.field === 'string' ? { message: e.message, field: e.field } : { message: e.message }));
    if (errors.length > 0) return new ApiError(status, errors);
  }
  return new ApiError(status, [{ message: messageForStatus(status) }]);
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
const SESSION_PATHS = ['/api/users/signin', '/api/users/signup', '/api/users/refresh', '/api/users/signout'];

export function mayRefreshFor(path: string): boolean {
  return !SESSION_PATHS.some((p) => path.startsWith(p));
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
  return fetch('/api/users/refresh', { method: 'POST', credentials: 'same-origin', headers: { accept: 'application/json' } })
    .then((res) => res.ok)
    .catch(() => false);
}

/** Whether the cookies hold a valid access token right now (another tab may have renewed them). */
async function signedInNow(): Promise<boolean> {
  try {
    const res = await fetch('/api/users/currentuser', { credentials: 'same-origin', headers: { accept: 'application/json' } });
    if (!res.ok) return false;
    const body = (await res.json()) as { currentUser?: unknown };
    return !!body.currentUser;
  } catch {
    return false;
  }
}

// ---- JSON calls ----------------------------------------------------------------------------

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
  signal?: AbortSignal;
}

export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const { method = 'GET', body, signal } = options;
  const send = (): Promise<Response> =>
    fetch(path, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });

  let res: Response;
  try {
    res = await send();
    if (res.status === 401 && mayRefreshFor(path)) {
      if (await refreshSession()) res = await send();
      if (res.status === 401) sessionLost();
    }
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError(0, [{ message: messageForStatus(0) }]);
  }

  const text = res.status === 204 ? '' : await res.text();
  const data = text ? parseJson(text) : undefined;
  if (!res.ok) throw errorFromBody(res.status, data);
  return data as T;
}

/** `?a=1&b=2` from the defined entries, or '' when there are none. */
export function query(params: Record<string, string | number | null | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  const s = search.toString();
  return s ? `?${s}` : '';
}

// ---- uploads with progress -----------------------------------------------------------------

export interface UploadOptions {
  fields?: Record<string, string>;
  onProgress?: (fraction: number) => void;
  signal?: AbortSignal;
}

/**
 * A multipart POST through XMLHttpRequest, the one browser API that reports upload progress.
 * Answers the parsed JSON body; throws ApiError like `api` does (with the same quiet refresh).
 */
export async function upload<T>(path: string, fileField: string, file: Blob, options: UploadOptions = {}): Promise<T> {
  let result = await uploadOnce(path, fileField, file, options);
  if (result.status === 401 && mayRefreshFor(path)) {
    if (await refreshSession()) {
      options.onProgress?.(0);
      result = await uploadOnce(path, fileField, file, options);
    }
    if (result.status === 401) sessionLost();
  }
  const data = result.text ? parseJson(result.text) : undefined;
  if (result.status < 200 || result.status >= 300) throw errorFromBody(result.status, data);
  return data as T;
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
