/**
 * One person using Lumina through the gateway: a cookie jar (as a browser keeps it) and the
 * calls the loaders make. The access token in the `session` cookie is also offered as a Bearer
 * token, which is how the load generator (autocannon) sends requests on this person's behalf.
 */

export interface ApiResponse<T> {
  status: number;
  body: T;
  ms: number;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface PublicUser {
  id: string;
  username: string;
  displayName: string;
}

export interface MediaJson {
  id: string;
  status: 'processing' | 'ready' | 'failed';
  error?: string;
}

export interface PostJson {
  id: string;
  author: { id: string; username: string };
  caption: string;
  hashtags: string[];
  createdAt: string;
}

export interface PageJson<T> {
  items: T[];
  nextCursor: string | null;
}

export interface AccountSpec {
  email: string;
  username: string;
  password: string;
  displayName: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class ApiClient {
  private readonly cookies = new Map<string, string>();
  user?: PublicUser;

  /**
   * `connectionClose`: a connection per request instead of kept-alive ones (the rolling restart's
   * load, see infra/local/README.md: an NGINX reload closes idle kept-alive client connections).
   */
  constructor(
    readonly baseUrl: string,
    private readonly options: { connectionClose?: boolean } = {},
  ) {}

  get id(): string {
    if (!this.user) throw new Error('not signed in');
    return this.user.id;
  }

  /** The access token the `session` cookie holds (cookie-session: base64 of `{jwt}`). */
  get accessToken(): string {
    const raw = this.cookies.get('session');
    if (!raw) throw new Error('no session cookie');
    const { jwt } = JSON.parse(Buffer.from(decodeURIComponent(raw), 'base64').toString('utf8')) as { jwt?: string };
    if (!jwt) throw new Error('the session cookie holds no token');
    return jwt;
  }

  async call<T = Record<string, unknown>>(method: string, path: string, body?: unknown, retryOnExpiry = true): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = this.options.connectionClose ? { connection: 'close' } : {};
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    let payload: string | FormData | undefined;
    if (body instanceof FormData) payload = body;
    else if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    const started = performance.now();
    const res = await fetch(`${this.baseUrl}${path}`, { method, headers, body: payload });
    const text = await res.text();
    const ms = performance.now() - started;
    for (const cookie of res.headers.getSetCookie()) {
      const [pair = ''] = cookie.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1);
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(cookie)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    // An access token lives 15 minutes: a long load refreshes it once and tries again.
    if (res.status === 401 && retryOnExpiry && this.cookies.has('refresh') && !path.startsWith('/api/users/refresh')) {
      const refreshed = await this.call('POST', '/api/users/refresh', undefined, false);
      if (refreshed.status === 200) return this.call<T>(method, path, body, false);
    }
    let parsed: unknown = {};
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = { text };
      }
    }
    return { status: res.status, body: parsed as T, ms };
  }

  /** Answers the body for an expected status, else throws with what came back. */
  async expect<T>(status: number | number[], method: string, path: string, body?: unknown): Promise<ApiResponse<T>> {
    const res = await this.call<T>(method, path, body);
    const wanted = Array.isArray(status) ? status : [status];
    if (!wanted.includes(res.status)) {
      throw new ApiError(res.status, `${method} ${path} answered ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`);
    }
    return res;
  }

  /** Signs up; an account that exists already (a second run) signs in instead. Answers whether it was new. */
  async signUpOrIn(account: AccountSpec): Promise<boolean> {
    const res = await this.call<{ user: PublicUser }>('POST', '/api/users/signup', account);
    if (res.status === 201) {
      this.user = res.body.user;
      return true;
    }
    if (res.status === 409) {
      await this.signIn(account);
      return false;
    }
    throw new ApiError(res.status, `sign-up of ${account.username} answered ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`);
  }

  async signIn(account: Pick<AccountSpec, 'email' | 'password'>): Promise<void> {
    const res = await this.expect<{ user: PublicUser }>(200, 'POST', '/api/users/signin', {
      email: account.email,
      password: account.password,
    });
    this.user = res.body.user;
  }

  /** A fresh access token (before a long measurement, so none expires half-way). */
  async refresh(): Promise<void> {
    await this.expect(200, 'POST', '/api/users/refresh');
  }

  /** Milliseconds until the access token expires (its `exp`). */
  tokenLifeLeftMs(): number {
    const [, payload = ''] = this.accessToken.split('.');
    const { exp } = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: number };
    return exp ? exp * 1000 - Date.now() : 0;
  }

  async follow(userId: string): Promise<void> {
    await this.expect(204, 'PUT', `/api/users/${encodeURIComponent(userId)}/follow`);
  }

  /** Uploads image bytes; answers the media (202 new, 200 the same bytes again). */
  async upload(bytes: Buffer, filename: string, alt: string): Promise<MediaJson> {
    const form = new FormData();
    form.append('alt', alt);
    form.append('file', new Blob([new Uint8Array(bytes)], { type: 'image/jpeg' }), filename);
    const res = await this.expect<{ media: MediaJson }>([200, 202], 'POST', '/api/media', form);
    return res.body.media;
  }

  /** Polls the media until it is ready; throws if it failed or the time is up. */
  async waitUntilReady(mediaId: string, timeoutMs = 60_000, intervalMs = 100): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const res = await this.expect<{ media: MediaJson }>(200, 'GET', `/api/media/${mediaId}`);
      if (res.body.media.status === 'ready') return;
      if (res.body.media.status === 'failed') throw new Error(`media ${mediaId} failed: ${res.body.media.error ?? '?'}`);
      if (Date.now() > deadline) throw new Error(`media ${mediaId} not ready after ${timeoutMs} ms`);
      await sleep(intervalMs);
    }
  }

  /**
   * Creates a post. Media turns ready in the media service a moment before posts' copy of it
   * does (the media.ready event), so a 400 "not ready" is retried for a few seconds.
   */
  async createPost(caption: string, media: Array<{ id: string; alt: string }>, timeoutMs = 15_000): Promise<PostJson> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const res = await this.call<{ post: PostJson }>('POST', '/api/posts', { caption, media });
      if (res.status === 201) return res.body.post;
      const notReady = res.status === 400 && JSON.stringify(res.body).includes('not ready');
      if (!notReady || Date.now() > deadline) {
        throw new ApiError(res.status, `POST /api/posts answered ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`);
      }
      await sleep(100);
    }
  }

  async postsBy(authorId: string, limit = 20): Promise<PageJson<PostJson>> {
    return (await this.expect<PageJson<PostJson>>(200, 'GET', `/api/posts?authorId=${encodeURIComponent(authorId)}&limit=${limit}`)).body;
  }

  async homeTimeline(limit = 20): Promise<PageJson<PostJson>> {
    return (await this.expect<PageJson<PostJson>>(200, 'GET', `/api/timeline?limit=${limit}`)).body;
  }
}

/** Refreshes the tokens that would expire within `minLifeMs` (a measurement must not outlive them). */
export async function ensureFreshTokens(clients: ApiClient[], minLifeMs: number): Promise<number> {
  let refreshed = 0;
  const queue = [...new Set(clients)];
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let c = queue.pop(); c; c = queue.pop()) {
        if (c.tokenLifeLeftMs() < minLifeMs) {
          await c.refresh();
          refreshed += 1;
        }
      }
    }),
  );
  return refreshed;
}
