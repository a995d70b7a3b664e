/**
 * The timeline service alone (formerly bench/fanout): the real service (@lumina/timeline/testing) runs in
 * this process with its own database and event namespace, with nothing else of Lumina around it.
 * It loads N followers of one author (directly into its follows collection, or as N
 * user.followed events it must handle), publishes posts by that author as post.created events,
 * and measures fan-out: entries written per second and the time from publishing a post until the
 * last follower's entry is stored, observed on the service's live subject (fan-out announces each
 * stored batch there), so the database is not polled. Then it reads a sample of followers' first
 * pages over HTTP. Set against the same figures measured through the whole system, it tells how
 * much of a cost is the timeline and its database and how much is everything else.
 */
import { Events, Publisher, signAccessToken } from '@lumina/common';
import { seedActiveFollows } from '@lumina/timeline/testing';
import { summarize, type LatencySummary } from '../util/stats';
import { ProgressBar } from '@lumina/datasets';
import { startTimelineAlone } from './timeline-alone';

export interface FanoutComponentOptions {
  natsUrl: string;
  /**
   * NATS's `admin` password, when it has users: the component runs timeline in a namespace of its
   * own, which the timeline user's permissions (written for the system's namespace) do not cover.
   */
  natsAdminPassword?: string;
  mongoUrl: string;
  redisUrl: string;
  followers: number;
  posts: number;
  load: 'direct' | 'events';
  batch?: number;
  reads: number;
  /** Upper bound for loading followers through events. */
  timeLimitMs: number;
}

export interface FanoutComponentResult {
  followers: number;
  posts: number;
  batchSize: number;
  load: { mode: 'direct' | 'events'; ms: number; perSecond: number };
  entriesPerSecond: number;
  postToLastFollowerMs: LatencySummary;
  storedEntriesForLastPost: number;
  firstPageReadMs: LatencySummary;
}

export async function runFanoutComponent(options: FanoutComponentOptions): Promise<FanoutComponentResult> {
  const { followers: FOLLOWERS, posts: POSTS } = options;
  const READS = Math.min(options.reads, FOLLOWERS);
  const batch = options.batch ?? 1000;
  const { svc, bus, key, ns, stop } = await startTimelineAlone({
    name: 'fanout',
    natsUrl: options.natsUrl,
    natsAdminPassword: options.natsAdminPassword,
    mongoUrl: options.mongoUrl,
    redisUrl: options.redisUrl,
    env: { FANOUT_BATCH_SIZE: String(batch), TIMELINE_FANOUT_THRESHOLD: String(Math.max(FOLLOWERS, 10_000)) },
  });
  try {
    const { stores } = svc.domain;
    const author = 'bench-author';
    const followers = Array.from({ length: FOLLOWERS }, (_, i) => `bench-f${i}`);
    await new Publisher(bus, Events.userCreated).publish({
      id: author,
      username: 'bench_author',
      displayName: 'Bench',
      bio: '',
      avatar: null,
      version: 1,
    });

    // Every entry write is announced on the live subject: counting owners there tells when the
    // last follower's entry is stored, without polling the database.
    let landed = 0;
    let onLanded: (() => void) | undefined;
    const sub = bus.nc.subscribe(`${ns.subjectPrefix}.live.timeline`, {
      callback: (_err, msg) => {
        const m = JSON.parse(Buffer.from(msg.data).toString('utf8')) as { kind: string; owners?: string[] };
        if (m.kind === 'landed') landed += m.owners?.length ?? 0;
        onLanded?.();
      },
    });

    const loadStarted = Date.now();
    if (options.load === 'events') {
      const bar = new ProgressBar(`timeline alone: ${FOLLOWERS.toLocaleString('en')} follow events`, FOLLOWERS);
      const follow = new Publisher(bus, Events.userFollowed);
      await Promise.all(
        followers.map((f) => follow.publish({ followerId: f, followeeId: author, version: 1, occurredAt: new Date().toISOString() })),
      );
      const deadline = Date.now() + options.timeLimitMs;
      for (;;) {
        const applied = (await stores.follows.edgesTo(author)).filter((e) => e.state === 'active').length;
        bar.update(applied);
        if (applied >= FOLLOWERS) break;
        if (Date.now() > deadline)
          throw new Error(`timeline alone: ${applied} of ${FOLLOWERS} follow events handled in ${options.timeLimitMs} ms`);
        await new Promise((r) => setTimeout(r, 200));
      }
      bar.finish();
    } else {
      await seedActiveFollows(
        svc.conn.db!,
        followers.map((followerId) => ({ followerId, followeeId: author })),
      );
      // Followers loaded behind the service's back have no feeds yet (fan-out skips a viewer
      // without one, as an inactive one): build them all, as the rebuild command does.
      await svc.domain.builder.rebuildAll();
    }
    const loadMs = Date.now() - loadStarted;

    const publisher = new Publisher(bus, Events.postCreated);
    const latencies: number[] = [];
    let totalEntries = 0;
    let totalMs = 0;
    let lastPostId = '';
    const bar = new ProgressBar(`timeline alone: fan-out to ${FOLLOWERS.toLocaleString('en')}`, POSTS);
    for (let i = 0; i < POSTS; i += 1) {
      const postId = `bench-post-${i}`;
      lastPostId = postId;
      landed = 0;
      const done = new Promise<void>((resolve) => {
        onLanded = () => {
          if (landed >= FOLLOWERS + 1) resolve();
        };
      });
      const started = performance.now();
      await publisher.publish({
        id: postId,
        authorId: author,
        caption: `bench post ${i}`,
        hashtags: [],
        mentions: [],
        media: [
          {
            id: `m${i}`,
            alt: '',
            width: 1080,
            height: 1080,
            blurhash: '',
            variants: {
              thumb: { url: `/api/v1/media/m${i}/thumb`, width: 320, height: 320 },
              feed: { url: `/api/v1/media/m${i}/feed`, width: 1080, height: 1080 },
            },
          },
        ],
        likeCount: 0,
        commentCount: 0,
        createdAt: new Date().toISOString(),
        version: 1,
      });
      await done;
      const latencyMs = performance.now() - started;
      latencies.push(latencyMs);
      totalEntries += landed;
      totalMs += latencyMs;
      bar.tick();
    }
    bar.finish();
    sub.unsubscribe();
    const holding = await Promise.all([author, ...followers].map((viewer) => stores.feeds.holding(viewer, [lastPostId])));
    const stored = holding.filter((held) => held.size > 0).length;

    // First pages of a sample of followers, through HTTP, one at a time.
    const readTimes: number[] = [];
    for (let i = 0; i < READS; i += 1) {
      const viewer = followers[Math.floor((i * FOLLOWERS) / READS)] as string;
      const token = signAccessToken(key, { id: viewer, username: 'bench_viewer' });
      const started = performance.now();
      const res = await fetch(`http://127.0.0.1:${svc.running.port}/api/v1/timeline?limit=20`, {
        headers: { Authorization: `Bearer ${token}` },
      });
      const body = (await res.json()) as { items: unknown[] };
      readTimes.push(performance.now() - started);
      if (res.status !== 200 || body.items.length !== Math.min(POSTS, 20))
        throw new Error(`unexpected first page for ${viewer}: ${res.status}`);
    }

    return {
      followers: FOLLOWERS,
      posts: POSTS,
      batchSize: batch,
      load: { mode: options.load, ms: loadMs, perSecond: (FOLLOWERS / loadMs) * 1000 },
      entriesPerSecond: totalMs > 0 ? totalEntries / (totalMs / 1000) : Number.NaN,
      postToLastFollowerMs: summarize(latencies),
      storedEntriesForLastPost: stored,
      firstPageReadMs: summarize(readTimes),
    };
  } finally {
    await stop();
  }
}
