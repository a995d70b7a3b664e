/**
 * GET /api/v1/timeline/stream: a connected follower gets each post that lands in their home as an
 * `event: post`, heartbeats as comments, and a reconnect with Last-Event-ID replays what it
 * missed from the stored timeline — fanned-out and merged (celebrity) posts alike.
 */
import { Events } from '@lumina/common';
import { keys } from '../src/store/redis/keys';
import { bearer, deliver, edge, eventually, feedOf, post, SseClient, startTimeline, user, type Harness } from './helpers';

let h: Harness;
const MAX_AGE_MS = 6000;
const open: SseClient[] = [];

beforeAll(async () => {
  h = await startTimeline({ STREAM_HEARTBEAT_MS: '300', STREAM_MAX_AGE_MS: String(MAX_AGE_MS), TIMELINE_FANOUT_THRESHOLD: '2' });
  for (const id of ['author', 'star', 'reader']) await h.publish(Events.userCreated, user(id));
  await h.publish(Events.userFollowed, edge('reader', 'author', 1));
  // 'star' has three followers, over the threshold of two: merged, not fanned out.
  for (const f of ['reader', 'x1', 'x2']) await h.publish(Events.userFollowed, edge(f, 'star', 1));
  await h.ctx.drained();
});

afterAll(async () => {
  for (const c of open) c.close();
  await h?.close();
});

/**
 * Waits for two more heartbeats on the stream (what these tests used to sleep for): the stream
 * has had two turns to write anything more, and what it wrote before them has arrived.
 */
async function twoMoreHeartbeats(stream: SseClient): Promise<void> {
  const seen = stream.comments.length;
  await stream.waitFor((s) => s.comments.length >= seen + 2, 5000);
}

async function connect(viewer: string, headers: Record<string, string> = {}): Promise<SseClient> {
  const client = await SseClient.open(`${h.url}/api/v1/timeline/stream`, { ...bearer(viewer), ...headers });
  open.push(client);
  return client;
}

test('a connected follower receives a new post as it lands, through proxies, with heartbeats', async () => {
  const stream = await connect('reader');
  expect(stream.response?.statusCode).toBe(200);
  expect(stream.response?.headers['content-type']).toMatch(/^text\/event-stream/);
  expect(stream.response?.headers['x-accel-buffering']).toBe('no');
  expect(stream.response?.headers['cache-control']).toContain('no-transform');
  expect(stream.response?.headers['content-encoding']).toBeUndefined();

  await h.publish(Events.postCreated, post('live-1', 'author', { caption: 'live!' }));
  await stream.waitFor((s) => s.posts().some((p) => p.id === 'live-1'));
  const [event] = stream.events;
  expect(event?.event).toBe('post');
  expect(event?.id).toMatch(/^[0-9a-z]{17}$/);
  expect(stream.posts()[0]).toMatchObject({ id: 'live-1', caption: 'live!', author: { id: 'author', username: 'u_author' } });

  // A merged (celebrity) post lands in the home too, so it is streamed as well.
  await h.publish(Events.postCreated, post('star-1', 'star'));
  await stream.waitFor((s) => s.posts().some((p) => p.id === 'star-1'));

  await stream.waitFor((s) => s.comments.length >= 2, 3000);
  expect(stream.posts().map((p) => p.id)).toEqual(['live-1', 'star-1']);
  // Ids only grow.
  const ids = stream.events.map((e) => e.id as string);
  expect([...ids].sort()).toEqual(ids);
  stream.close();
});

/** The reader streams until the author's post `postId` arrives, then disconnects; answers the last event id. */
async function seeOnePostAndLeave(postId: string): Promise<string> {
  const first = await connect('reader');
  await deliver(h, Events.postCreated, post(postId, 'author'));
  await first.waitFor((s) => s.posts().some((p) => p.id === postId));
  const lastId = first.events.at(-1)?.id as string;
  first.close();
  return lastId;
}

test('a reconnect with Last-Event-ID replays exactly the posts it missed', async () => {
  const lastId = await seeOnePostAndLeave('gap-0');

  // Missed while disconnected: fanned-out and merged posts, and one deleted before reconnecting.
  await deliver(h, Events.postCreated, post('gap-1', 'author'));
  await deliver(h, Events.postCreated, post('gap-2', 'star'));
  await deliver(h, Events.postCreated, post('gap-3', 'author'));
  await deliver(h, Events.postCreated, post('gap-gone', 'author'));
  await deliver(h, Events.postDeleted, { id: 'gap-gone', authorId: 'author', version: 2 });

  const second = await connect('reader', { 'Last-Event-ID': lastId });
  await second.waitFor((s) => s.posts().length >= 3);
  await twoMoreHeartbeats(second); // nothing more arrives
  expect(second.posts().map((p) => p.id)).toEqual(['gap-1', 'gap-2', 'gap-3']);

  // And it carries on live after the replay.
  await h.publish(Events.postCreated, post('gap-4', 'author'));
  await second.waitFor((s) => s.posts().some((p) => p.id === 'gap-4'));
  expect(second.posts().map((p) => p.id)).toEqual(['gap-1', 'gap-2', 'gap-3', 'gap-4']);
  second.close();
});

test('after the resume window a reconnect replays nothing (fan-out logs only for streamers), the home has the posts, and it streams on', async () => {
  const lastId = await seeOnePostAndLeave('away-0');
  // The window passes (TIMELINE_STREAM_RESUME_MINUTES after the last stream; here at once): the log expires.
  await eventually(async () => expect(h.svc.streams.connections).toBe(0));
  await h.svc.redis.del(keys.landed('reader'));

  await deliver(h, Events.postCreated, post('away-1', 'author'));
  expect(await h.svc.redis.exists(keys.landed('reader'))).toBe(0);
  expect(await feedOf(h, 'reader')).toEqual(expect.arrayContaining(['away-0', 'away-1']));

  const second = await connect('reader', { 'Last-Event-ID': lastId });
  await twoMoreHeartbeats(second);
  expect(second.posts()).toEqual([]);
  await h.publish(Events.postCreated, post('away-2', 'author'));
  await second.waitFor((s) => s.posts().some((p) => p.id === 'away-2'));
  expect(second.posts().map((p) => p.id)).toEqual(['away-2']);
  second.close();
});

test('a stream carries only the viewer’s own home', async () => {
  const other = await connect('x1'); // follows star only
  await deliver(h, Events.postCreated, post('only-author', 'author'));
  await deliver(h, Events.postCreated, post('only-star', 'star'));
  await other.waitFor((s) => s.posts().some((p) => p.id === 'only-star'));
  await twoMoreHeartbeats(other);
  expect(other.posts().map((p) => p.id)).toEqual(['only-star']);
  other.close();
});

test('refuses a stream without a session, and a malformed Last-Event-ID', async () => {
  await h.http.get('/api/v1/timeline/stream').expect(401);
  const res = await h.http.get('/api/v1/timeline/stream').set(bearer('reader')).set('Last-Event-ID', '../../etc').expect(400);
  expect(res.body.errors[0]).toMatchObject({ field: 'Last-Event-ID' });
});

test('a stream ends after its maximum age, and resuming from its last id loses nothing', async () => {
  const stream = await connect('reader');
  const openedAt = Date.now();
  const ended = new Promise<number>((resolve) => stream.response?.on('end', () => resolve(Date.now())));
  await deliver(h, Events.postCreated, post('age-1', 'author'));
  await stream.waitFor((s) => s.posts().some((p) => p.id === 'age-1'));
  const endedAt = await ended;
  expect(endedAt - openedAt).toBeGreaterThanOrEqual(MAX_AGE_MS - 100);
  await deliver(h, Events.postCreated, post('age-2', 'author'));
  const resumed = await connect('reader', { 'Last-Event-ID': stream.events.at(-1)?.id as string });
  await resumed.waitFor((s) => s.posts().length > 0);
  expect(resumed.posts().map((p) => p.id)).toEqual(['age-2']);
  resumed.close();
}, 20_000);

test('a Last-Event-ID from the future does not silence the stream', async () => {
  const stream = await connect('reader', { 'Last-Event-ID': 'zzzzzzzzz00000000' });
  await deliver(h, Events.postCreated, post('future-1', 'author'));
  await stream.waitFor((s) => s.posts().some((p) => p.id === 'future-1'));
  stream.close();
});

test('one viewer holds at most 5 streams (the default): the 6th is 429 with Retry-After; others and a freed slot still get in', async () => {
  const streams = await Promise.all(Array.from({ length: 5 }, () => connect('greedy')));
  for (const s of streams) expect(s.response?.statusCode).toBe(200);
  expect(h.svc.streams.connections).toBeGreaterThanOrEqual(5);

  const refused = await h.http.get('/api/v1/timeline/stream').set(bearer('greedy')).expect(429);
  expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
  expect(refused.body).toEqual({ errors: [{ message: 'Too many open streams for this account' }] });

  const someoneElse = await connect('reader');
  expect(someoneElse.response?.statusCode).toBe(200);
  someoneElse.close();

  // A closed tab frees its slot once the server sees the connection end.
  streams[0]!.close();
  await eventually(async () => {
    const again = await connect('greedy');
    const status = again.response?.statusCode;
    if (status !== 200) again.close();
    expect(status).toBe(200);
  });
  for (const s of streams) s.close();
});

test('shutting down ends open streams instead of waiting for them', async () => {
  const stream = await connect('reader');
  const ended = new Promise<void>((resolve) => stream.response?.on('end', () => resolve()));
  const started = Date.now();
  await h.close();
  await ended;
  expect(Date.now() - started).toBeLessThan(10_000);
  h = undefined as unknown as Harness;
});
