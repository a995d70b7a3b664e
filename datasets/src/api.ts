/**
 * One person using Lumina through the gateway: a cookie jar (as a browser keeps it) and the
 * calls the loaders make, each through @lumina/contract's typed client with a route of its route
 * tables (path, input and answer types from the contract). The access token in the `session`
 * cookie is also offered as a Bearer token, which is how the load generator (autocannon) sends
 * requests on this person's behalf.
 */
import {
  authRoutes,
  createApiClient,
  mediaRoutes,
  postsRoutes,
  timelineRoutes,
  type ApiClient as TypedClient,
  type ApiRoute,
  type CallArgs,
  type Media,
  type OwnUser,
  type Post,
  type RouteAnswer,
  type RouteResult,
} from '@lumina/contract';

export interface ApiResponse<T> {
  status: number;
  body: T;
  ms: number;
}

/** A typed call's outcome (see RouteResult) and how long it took. */
export type TimedResult<R extends ApiRoute> = RouteResult<R> & { ms: number };

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface AccountSpec {
  email: string;
  username: string;
  password: string;
  displayName: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const sample = (body: unknown) => JSON.stringify(body ?? null).slice(0, 300);

export class ApiClient {
  private readonly cookies = new Map<string, string>();
  private readonly api: TypedClient;
  /** Who this client is signed in as (the chaos run sets it from its own sign-ups). */
  user?: Pick<OwnUser, 'id' | 'username' | 'displayName'>;

  /**
   * `connectionClose`: a connection per request instead of kept-alive ones (the rolling restart's
   * load, see infra/local/README.md: an NGINX reload closes idle kept-alive client connections).
   * `refreshOnExpiry` (default true): on a 401 with a refresh cookie, refresh once and send again.
   * `checkAnswers`: every successful answer is checked against its route's schema (the end-to-end tests).
   */
  constructor(
    readonly baseUrl: string,
    private readonly options: { connectionClose?: boolean; refreshOnExpiry?: boolean; checkAnswers?: boolean } = {},
  ) {
    this.api = createApiClient({
      baseUrl,
      checkAnswers: options.checkAnswers,
      headers: () => this.headers(),
      onResponse: async (res, { route, resend }) => {
        this.keepCookies(res);
        // An access token lives 15 minutes: a long load refreshes it once and tries again.
        if (res.status !== 401 || options.refreshOnExpiry === false || !this.cookies.has('refresh') || route === authRoutes.refresh) {
          return res;
        }
        if (!(await this.api.send(authRoutes.refresh)).ok) return res;
        const again = await resend();
        this.keepCookies(again);
        return again;
      },
      toError: (status, body, route, url) =>
        new ApiError(status, `${route.method.toUpperCase()} ${url.slice(baseUrl.length)} answered ${status}: ${sample(body)}`),
    });
  }

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

  private headers(): Record<string, string> {
    const headers: Record<string, string> = this.options.connectionClose ? { connection: 'close' } : {};
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    return headers;
  }

  private keepCookies(res: Response): void {
    for (const cookie of res.headers.getSetCookie()) {
      const [pair = ''] = cookie.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1);
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(cookie)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  /** Calls a route of the contract; answers the outcome whatever its status, and how long it took. */
  async send<R extends ApiRoute>(route: R, ...args: CallArgs<R>): Promise<TimedResult<R>> {
    const started = performance.now();
    const result = await this.api.send(route, ...args);
    return { ...result, ms: performance.now() - started };
  }

  /** Calls a route of the contract; answers its typed body, or throws ApiError with what came back. */
  ok<R extends ApiRoute>(route: R, ...args: CallArgs<R>): Promise<RouteAnswer<R>> {
    return this.api.call(route, ...args);
  }

  /**
   * A call by method and path, untyped: for callers that build requests from data (the chaos
   * run's workload). Everything else calls a route (send, ok).
   */
  async call<T = Record<string, unknown>>(method: string, path: string, body?: unknown, retryOnExpiry = true): Promise<ApiResponse<T>> {
    const headers = this.headers();
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
    this.keepCookies(res);
    if (res.status === 401 && retryOnExpiry && this.options.refreshOnExpiry !== false && this.cookies.has('refresh')) {
      if ((await this.api.send(authRoutes.refresh)).ok) return this.call<T>(method, path, body, false);
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

  /** Signs up; an account that exists already (a second run) signs in instead. Answers whether it was new. */
  async signUpOrIn(account: AccountSpec): Promise<boolean> {
    const res = await this.send(authRoutes.signUp, { body: account });
    if (res.ok) {
      this.user = res.body.user;
      return true;
    }
    if (res.status === 409) {
      await this.signIn(account);
      return false;
    }
    throw new ApiError(res.status, `sign-up of ${account.username} answered ${res.status}: ${sample(res.body)}`);
  }

  async signIn(account: Pick<AccountSpec, 'email' | 'password'>): Promise<void> {
    const answer = await this.ok(authRoutes.signIn, { body: { email: account.email, password: account.password } });
    this.user = answer.user;
  }

  /** A fresh access token (before a long measurement, so none expires half-way). */
  async refresh(): Promise<void> {
    await this.ok(authRoutes.refresh);
  }

  /** Milliseconds until the access token expires (its `exp`). */
  tokenLifeLeftMs(): number {
    const [, payload = ''] = this.accessToken.split('.');
    const { exp } = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: number };
    return exp ? exp * 1000 - Date.now() : 0;
  }

  async follow(userId: string): Promise<void> {
    await this.ok(authRoutes.follow, { params: { id: userId } });
  }

  /** Uploads image bytes; answers the media (202 new, 200 the same bytes again). */
  async upload(bytes: Buffer, filename: string, alt: string): Promise<Media> {
    const form = new FormData();
    form.append('alt', alt);
    form.append('file', new Blob([new Uint8Array(bytes)], { type: 'image/jpeg' }), filename);
    return (await this.ok(mediaRoutes.upload, { form })).media;
  }

  /** Polls the media until it is ready; throws if it failed or the time is up. */
  async waitUntilReady(mediaId: string, timeoutMs = 60_000, intervalMs = 100): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { media } = await this.ok(mediaRoutes.getMedia, { params: { id: mediaId } });
      if (media.status === 'ready') return;
      if (media.status === 'failed') throw new Error(`media ${mediaId} failed: ${media.error ?? '?'}`);
      if (Date.now() > deadline) throw new Error(`media ${mediaId} not ready after ${timeoutMs} ms`);
      await sleep(intervalMs);
    }
  }

  /**
   * Creates a post. Media turns ready in the media service a moment before posts' copy of it
   * does (the media.ready event), so a 400 "not ready" is retried for a few seconds.
   */
  async createPost(caption: string, media: Array<{ id: string; alt: string }>, timeoutMs = 15_000): Promise<Post> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const res = await this.send(postsRoutes.createPost, { body: { caption, media } });
      if (res.ok) return res.body.post;
      const notReady = res.status === 400 && JSON.stringify(res.body).includes('not ready');
      if (!notReady || Date.now() > deadline) throw res.error;
      await sleep(100);
    }
  }

  async postsBy(authorId: string, limit = 20): Promise<RouteAnswer<typeof postsRoutes.postsByAuthor>> {
    return this.ok(postsRoutes.postsByAuthor, { query: { authorId, limit: String(limit) } });
  }

  async homeTimeline(limit = 20): Promise<RouteAnswer<typeof timelineRoutes.home>> {
    return this.ok(timelineRoutes.home, { query: { limit: String(limit) } });
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
