/**
 * The typed client against a real HTTP server: an Express app that mounts every route of every
 * route table, as the services do, and answers what Express made of the request (which route
 * matched, its params, query, body and headers). So each call is proven to reach its own route
 * with its input intact, whatever the route paths are; and `samples` must give a typed input for
 * every route there is, so a route the client cannot call fails the type check.
 */
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import express from 'express';
import {
  ApiCallError,
  authRoutes,
  createApiClient,
  mediaRoutes,
  pathFor,
  postsRoutes,
  routeTables,
  searchRoutes,
  timelineRoutes,
  type ApiRoute,
  type RouteAnswer,
  type RouteInput,
} from '../src/client';

type Tables = typeof routeTables;

/** A typed input for every route of every table: a route missing here, or one it does not take, fails the type check. */
type Samples = { [S in keyof Tables]: { [K in keyof Tables[S]]: Tables[S][K] extends ApiRoute ? RouteInput<Tables[S][K]> : never } };

/** Routes whose answer type is lost (`unknown`) or that declare no successful status (`never`). */
type Untyped<T> = {
  [K in keyof T]: T[K] extends ApiRoute ? ([RouteAnswer<T[K]>] extends [never] ? K : unknown extends RouteAnswer<T[K]> ? K : never) : K;
}[keyof T];
const everyAnswerTyped: [Untyped<Tables['auth'] & Tables['posts'] & Tables['media'] & Tables['search'] & Tables['timeline']>] extends [
  never,
]
  ? true
  : false = true;

function form(): FormData {
  const data = new FormData();
  data.append('alt', 'a photo');
  data.append('file', new Blob([new Uint8Array([0xff, 0xd8, 0xff])], { type: 'image/jpeg' }), 'photo.jpg');
  return data;
}

// Ids and tags with what a path segment must escape: Express hands back what was meant.
const odd = 'id with space/slash?#%';
const samples: Samples = {
  auth: {
    signUp: { body: { email: 'ann@example.com', username: 'Ann_1', password: 'a long enough password', displayName: 'Ann' } },
    signIn: { body: { email: 'ann@example.com', password: 'a long enough password' } },
    refresh: {},
    signOut: {},
    currentUser: {},
    follow: { params: { id: odd } },
    unfollow: { params: { id: 'usr-1' } },
    followers: { params: { id: 'usr-1' }, query: { cursor: 'c/1+2 3', limit: '5' } },
    following: { params: { id: 'usr-1' } },
    updateProfile: { body: { displayName: 'Ann A.', avatarMediaId: null } },
    profile: { params: { username: 'ann.a_1' } },
  },
  posts: {
    createPost: { body: { caption: 'Dawn #light', media: [{ id: 'med-1', alt: 'dawn' }] } },
    postsByAuthor: { query: { authorId: 'usr-1', limit: '20' } },
    getPost: { params: { id: odd } },
    editPost: { params: { id: 'pst-1' }, body: { caption: 'Dusk' } },
    deletePost: { params: { id: 'pst-1' } },
    like: { params: { id: 'pst-1' } },
    unlike: { params: { id: 'pst-1' } },
    listComments: { params: { id: 'pst-1' }, query: { cursor: 'abc' } },
    addComment: { params: { id: 'pst-1' }, body: { body: 'Nice & bright' } },
    deleteComment: { params: { id: 'pst-1', commentId: 'cmt/2' } },
  },
  media: {
    limits: {},
    upload: { form: form(), headers: { 'idempotency-key': 'upload-1' } },
    getMedia: { params: { id: 'med-1' } },
    variant: { params: { id: 'med-1', variant: 'thumb' } },
    deleteMedia: { params: { id: 'med-1' } },
  },
  search: {
    everything: { query: { q: '#golden hour & more' } },
    users: { query: { q: '@ann', limit: '3' } },
    posts: { query: { q: 'dawn', cursor: 'x' } },
    hashtags: { query: { q: 'été' } },
    suggest: { query: { q: 'li' } },
    hashtagPosts: { params: { tag: 'été/日本' }, query: {} },
  },
  timeline: {
    home: { query: { limit: '20' } },
    explore: {},
    stream: { headers: { 'last-event-id': '42' } },
    notifications: { query: { cursor: 'n1' } },
    markNotificationsRead: {},
  },
};

interface Echo {
  route: string;
  method: string;
  params: Record<string, string>;
  query: Record<string, string>;
  body: unknown;
  headers: Record<string, string | undefined>;
}

let server: Server;
let base: string;
/** The `x-unauthorized-once` values already refused: each is answered 401 the first time only. */
const refused = new Set<string>();

beforeAll(async () => {
  const app = express();
  app.use(express.json());
  app.use((req, res, next) => {
    const status = Number(req.header('x-answer-status') ?? 0);
    if (status === 0) return next();
    if (status === 204) res.status(204).end();
    else if (req.header('x-answer-html')) res.status(status).type('html').send('<html>Bad gateway</html>');
    else res.status(status).json({ errors: [{ message: 'caption is too long', field: 'caption' }] });
  });
  for (const [service, table] of Object.entries(routeTables)) {
    for (const [name, route] of Object.entries(table as Record<string, ApiRoute>)) {
      app[route.method](route.path, (req, res) => {
        const key = `${service}.${name}`;
        const once = req.header('x-unauthorized-once');
        if (once && !refused.has(once)) {
          refused.add(once);
          res.status(401).json({ errors: [{ message: 'Not signed in' }] });
          return;
        }
        const echo: Echo = {
          route: key,
          method: req.method,
          params: { ...req.params } as Record<string, string>,
          query: { ...(req.query as Record<string, string>) },
          body: req.body ?? null,
          headers: {
            accept: req.header('accept'),
            'content-type': req.header('content-type'),
            'idempotency-key': req.header('idempotency-key'),
            'last-event-id': req.header('last-event-id'),
            'x-hook': req.header('x-hook'),
          },
        };
        res.json(echo);
      });
    }
  }
  server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const allRoutes = Object.entries(routeTables).flatMap(([service, table]) =>
  Object.entries(table as Record<string, ApiRoute>).map(([name, route]) => {
    const input = (samples as unknown as Record<string, Record<string, RouteInput<ApiRoute> & Record<string, unknown>>>)[service]![name]!;
    return [`${service}.${name}`, route, input] as const;
  }),
);

test('every route of every table has a typed sample and a typed answer', () => {
  expect(everyAnswerTyped).toBe(true);
  const declared = Object.values(routeTables).reduce((n, table) => n + Object.keys(table).length, 0);
  expect(allRoutes).toHaveLength(declared);
});

test.each(allRoutes)('%s reaches its own route with its params, query, body and headers', async (key, route, input) => {
  const client = createApiClient({ baseUrl: base, headers: () => ({ 'x-hook': 'asked' }) });
  const result = await client.send(route, input as never);
  expect(result.ok).toBe(true);
  // An answer the route declares as not JSON (image bytes, an event stream) is left for the caller to read.
  const unread = Object.values(route.responses).some((spec) => spec.contentType);
  const echo = (unread ? await result.response.json() : result.body) as Echo;

  expect(echo.route).toBe(key);
  expect(echo.method).toBe(route.method.toUpperCase());
  expect(echo.params).toEqual(input.params ?? {});
  expect(echo.query).toEqual(input.query ?? {});
  expect(echo.headers.accept).toBe('application/json');
  expect(echo.headers['x-hook']).toBe('asked');
  for (const [name, value] of Object.entries((input.headers ?? {}) as Record<string, string>)) expect(echo.headers[name]).toBe(value);
  if (input.body !== undefined) {
    expect(echo.headers['content-type']).toBe('application/json');
    expect(echo.body).toEqual(input.body);
  } else if (input.form) {
    expect(echo.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
  } else {
    expect(echo.headers['content-type']).toBeUndefined();
  }
});

describe('URLs', () => {
  test('come from the route path, each param encoded as one segment, the query encoded and undefined entries left out', () => {
    const path = pathFor(postsRoutes.deleteComment, { params: { id: 'a b', commentId: 'c/d' } });
    expect(path).toBe(postsRoutes.deleteComment.path.replace(':id', 'a%20b').replace(':commentId', 'c%2Fd'));
    expect(pathFor(searchRoutes.posts, { query: { q: '#a & b', cursor: undefined } })).toBe(`${searchRoutes.posts.path}?q=%23a+%26+b`);
    expect(pathFor(timelineRoutes.home)).toBe(timelineRoutes.home.path);
    const client = createApiClient({ baseUrl: `${base}/` });
    expect(client.url(authRoutes.profile, { params: { username: 'ann' } })).toBe(
      `${base}${authRoutes.profile.path.replace(':username', 'ann')}`,
    );
  });

  test('refuse a missing param and one a URL parser would resolve away', () => {
    expect(() => pathFor(postsRoutes.getPost, { params: { id: '' } })).toThrow(/no value for :id/);
    expect(() => pathFor(authRoutes.profile, { params: { username: '..' } })).toThrow(/cannot be "\.\."/);
  });
});

describe('answers', () => {
  test('call answers the typed body, and a bodiless answer as undefined', async () => {
    const client = createApiClient({ baseUrl: base });
    const echoed = (await client.call(mediaRoutes.getMedia, { params: { id: 'med-9' } })) as unknown as Echo;
    expect(echoed.params).toEqual({ id: 'med-9' });
    const deleted: undefined = await client.call(
      postsRoutes.deletePost,
      { params: { id: 'p' } },
      { headers: { 'x-answer-status': '204' } },
    );
    expect(deleted).toBeUndefined();
  });

  test('a non-2xx answer throws an ApiCallError carrying the Error shape', async () => {
    const client = createApiClient({ baseUrl: base });
    const failing = client.call(
      postsRoutes.editPost,
      { params: { id: 'p' }, body: { caption: 'x' } },
      { headers: { 'x-answer-status': '400' } },
    );
    await expect(failing).rejects.toThrow(ApiCallError);
    await failing.catch((err: ApiCallError) => {
      expect(err.status).toBe(400);
      expect(err.errors).toEqual([{ message: 'caption is too long', field: 'caption' }]);
      expect(err.message).toBe('caption is too long');
    });
    const sent = await client.send(
      postsRoutes.editPost,
      { params: { id: 'p' }, body: { caption: 'x' } },
      { headers: { 'x-answer-status': '409' } },
    );
    expect(sent).toMatchObject({ ok: false, status: 409, body: { errors: [{ message: 'caption is too long' }] } });
  });

  test('a body that is not the Error shape becomes one entry naming the call and the status', async () => {
    const client = createApiClient({ baseUrl: base });
    const err = await client
      .call(timelineRoutes.home, {}, { headers: { 'x-answer-status': '502', 'x-answer-html': '1' } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiCallError);
    expect((err as ApiCallError).errors).toEqual([{ message: `GET ${timelineRoutes.home.path} answered 502` }]);
    expect((err as ApiCallError).detail.body).toBe('<html>Bad gateway</html>');
  });

  test('onResponse may resend (a refresh on a 401), and the headers are asked for afresh', async () => {
    let cookie = 'old';
    const client = createApiClient({
      baseUrl: base,
      headers: () => ({ 'x-hook': cookie }),
      onResponse: async (res, { route, resend }) => {
        if (res.status !== 401) return res;
        expect(route).toBe(timelineRoutes.notifications);
        cookie = 'renewed';
        return resend();
      },
    });
    const echo = (await client.call(timelineRoutes.notifications, {}, { headers: { 'x-unauthorized-once': 'resend' } })) as unknown as Echo;
    expect(echo.route).toBe('timeline.notifications');
    expect(echo.headers['x-hook']).toBe('renewed');
    expect(refused.has('resend')).toBe(true);
  });

  test('checkAnswers refuses an answer its route does not allow', async () => {
    const client = createApiClient({ baseUrl: base, checkAnswers: true });
    await expect(client.call(postsRoutes.getPost, { params: { id: 'p' } })).rejects.toThrow(
      `GET ${postsRoutes.getPost.path} answered 200 outside its contract`,
    );
  });

  test('the transport is the caller’s: its fetch and its settings', async () => {
    const sent: Array<{ url: string; init: RequestInit }> = [];
    const client = createApiClient({
      baseUrl: base,
      init: { credentials: 'include' },
      fetch: (url, init) => {
        sent.push({ url, init });
        return fetch(url, init);
      },
    });
    await client.call(authRoutes.signOut);
    expect(sent).toEqual([
      { url: `${base}${authRoutes.signOut.path}`, init: expect.objectContaining({ method: 'POST', credentials: 'include' }) },
    ]);
  });
});
