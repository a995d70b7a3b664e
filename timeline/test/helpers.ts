/**
 * The whole timeline service against real servers: a MongoDB-protocol database and an event
 * namespace of this test file's own, listeners consuming real JetStream events. Plus event
 * factories and a small Server-Sent Events client.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { Events, Publisher, type EventBus, type EventData, type EventDefinition, type PostState, type UserState } from '@lumina/common';
import { eventually, freePort, TestContext, tokenFor } from '@lumina/common/testing';
import supertest from 'supertest';
import { loadConfig, type Config } from '../src/config';
import { startTimelineService, type RunningTimeline } from '../src/server';
import { seedActiveFollows } from '../src/testing';
import { timelineMetrics } from '../src/timeline-metrics';

export { eventually };

export interface Harness {
  ctx: TestContext;
  bus: EventBus;
  svc: RunningTimeline;
  config: Config;
  http: ReturnType<typeof supertest>;
  url: string;
  publish<E extends EventDefinition>(event: E, data: EventData<E>): Promise<void>;
  close(): Promise<void>;
}

export async function startTimeline(env: Record<string, string> = {}): Promise<Harness> {
  const ctx = new TestContext();
  let bus: EventBus;
  let config: Config;
  let svc: RunningTimeline;
  try {
    bus = await ctx.eventBus('timeline-test', ['USERS', 'POSTS', 'DLQ']);
    config = loadConfig(
      ctx.serviceEnv('timeline', {
        MONGO_URL: ctx.mongoDatabase('timeline'),
        REDIS_URL: ctx.redisUrl,
        REDIS_KEY_PREFIX: ctx.redisPrefix('timeline'),
        PORT: String(await freePort()),
        ...env,
      }),
    );
    svc = await startTimelineService(config, { listeners: { backoffMs: [200, 500] } });
  } catch (err) {
    await ctx.cleanup();
    throw err;
  }
  const publishers = new Map<string, Publisher<EventDefinition>>();
  return {
    ctx,
    bus,
    svc,
    config,
    http: supertest(svc.running.server),
    url: `http://127.0.0.1:${svc.running.port}`,
    async publish(event, data) {
      let publisher = publishers.get(event.type);
      if (!publisher) {
        publisher = new Publisher(bus, event as EventDefinition);
        publishers.set(event.type, publisher);
      }
      await publisher.publish(data);
    },
    async close() {
      await svc.running.shutdown('test done');
      await ctx.cleanup();
    },
  };
}

export const bearer = (id: string) => ({ Authorization: `Bearer ${tokenFor({ id, username: `u_${id}`.slice(0, 30) })}` });

export function user(id: string, version = 1, extra: Partial<UserState> = {}): UserState {
  return { id, username: `u_${id}`.slice(0, 30), displayName: `User ${id}`, bio: '', avatar: null, version, ...extra };
}

let mediaCounter = 0;
export function post(id: string, authorId: string, options: Partial<PostState> & { at?: number } = {}): PostState {
  const { at, ...rest } = options;
  mediaCounter += 1;
  const m = `m${mediaCounter}`;
  return {
    id,
    authorId,
    caption: `caption of ${id}`,
    hashtags: [],
    mentions: [],
    media: [
      {
        id: m,
        alt: '',
        width: 1080,
        height: 1080,
        blurhash: 'LEHV6nWB2yk8pyo0adR*.7kCMdnj',
        variants: {
          thumb: { url: `/api/v1/media/${m}/thumb`, width: 320, height: 320 },
          feed: { url: `/api/v1/media/${m}/feed`, width: 1080, height: 1080 },
        },
      },
    ],
    likeCount: 0,
    commentCount: 0,
    createdAt: new Date(at ?? Date.now()).toISOString(),
    version: 1,
    ...rest,
  };
}

export function edge(followerId: string, followeeId: string, version = 1): EventData<typeof Events.userFollowed> {
  return { followerId, followeeId, version, occurredAt: new Date().toISOString() };
}

/** Every page of the viewer's home timeline, following nextCursor. */
export async function allPages(h: Harness, viewerId: string, limit = 50): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const res: { body: { items: Array<{ id: string }>; nextCursor: string | null } } = await h.http
      .get('/api/v1/timeline')
      .query(cursor ? { limit, cursor } : { limit })
      .set(bearer(viewerId))
      .expect(200);
    ids.push(...res.body.items.map((p) => p.id));
    cursor = res.body.nextCursor;
  } while (cursor);
  return ids;
}

export async function firstPage(
  h: Harness,
  viewerId: string,
  limit = 20,
): Promise<Array<{ id: string; caption: string; likeCount: number; commentCount: number; author: { username: string } }>> {
  const res = await h.http.get('/api/v1/timeline').query({ limit }).set(bearer(viewerId)).expect(200);
  return res.body.items;
}

export interface SseEvent {
  id?: string;
  event?: string;
  data: string;
}

/** A minimal EventSource: reads events (and comment lines) off a real HTTP response. */
export class SseClient {
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  response?: IncomingMessage;
  private buffer = '';
  private readonly waiters = new Set<() => void>();

  private constructor(private readonly req: ReturnType<typeof httpRequest>) {}

  static open(url: string, headers: Record<string, string>): Promise<SseClient> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(url, { headers: { Accept: 'text/event-stream', ...headers } });
      const client = new SseClient(req);
      req.on('response', (res) => {
        client.response = res;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => client.feed(chunk));
        resolve(client);
      });
      req.on('error', reject);
      req.end();
    });
  }

  private feed(chunk: string): void {
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const event: SseEvent = { data: '' };
      let isEvent = false;
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) {
          this.comments.push(line.slice(1).trim());
          continue;
        }
        const colon = line.indexOf(': ');
        const [field, value] = colon < 0 ? [line, ''] : [line.slice(0, colon), line.slice(colon + 2)];
        if (field === 'id') event.id = value;
        else if (field === 'event') event.event = value;
        else if (field === 'data') event.data += value;
        else continue;
        isEvent = true;
      }
      if (isEvent && event.event) this.events.push(event);
    }
    for (const wake of this.waiters) wake();
  }

  posts(): Array<{ id: string; caption: string }> {
    return this.events.filter((e) => e.event === 'post').map((e) => (JSON.parse(e.data) as { post: { id: string; caption: string } }).post);
  }

  async waitFor(predicate: (client: SseClient) => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this)) {
      const remaining = deadline - Date.now();
      if (remaining <= 0)
        throw new Error(`SSE: condition not met within ${timeoutMs} ms (events: ${this.events.map((e) => e.id).join(', ')})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        const wake = () => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        this.waiters.add(wake);
      });
    }
  }

  close(): void {
    this.req.destroy();
  }
}

// ---- the feeds in Redis, as tests look at them -----------------------------------------------

/** The posts in a viewer's feed, newest first. */
export async function feedOf(h: Harness, viewerId: string): Promise<string[]> {
  return (await h.svc.domain.stores.feeds.entries(viewerId)).map((e) => e.postId);
}

/** Every viewer whose feed holds the post (a scan of this test's feeds). */
export async function ownersOf(h: Harness, postId: string): Promise<string[]> {
  const prefix = h.config.REDIS_KEY_PREFIX;
  const owners: string[] = [];
  for await (const found of h.svc.redis.scanIterator({ MATCH: `${prefix}feed:*`, COUNT: 1000 })) {
    const names = found.map((k) => k.slice(prefix.length));
    const scores = await Promise.all(names.map((k) => h.svc.redis.zScore(k, postId)));
    names.forEach((k, i) => {
      if (scores[i] !== null) owners.push(decodeURIComponent(k.slice('feed:{'.length, -1)));
    });
  }
  return owners;
}

/** Loads these followers of an author straight into the follow graph's copy (no events, no feeds built). */
export async function seedFollowers(h: Harness, followeeId: string, followerIds: string[]): Promise<void> {
  await seedActiveFollows(
    h.svc.conn.db!,
    followerIds.map((followerId) => ({ followerId, followeeId })),
  );
}

export const countPost = async (h: Harness, postId: string): Promise<number> => (await ownersOf(h, postId)).length;

/** Makes these viewers active (as if each had read their home): their feeds are built. */
export async function activate(h: Harness): Promise<void> {
  await h.svc.domain.builder.rebuildAll();
}

/** Fan-out entries written so far by this process (the service's own metric). */
export async function entriesWritten(): Promise<number> {
  const metric = await timelineMetrics().fanoutEntries.get();
  return metric.values[0]?.value ?? 0;
}

/** Publishes an event and waits until the service has handled it (and everything before it). */
export async function deliver<E extends EventDefinition>(h: Harness, event: E, data: EventData<E>): Promise<void> {
  await h.publish(event, data);
  await h.ctx.drained();
}
