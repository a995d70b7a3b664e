/**
 * Fan-out benchmark for the timeline service: loads N followers of one author into the service's
 * database (directly, or through user.followed events), publishes posts by that author as real
 * post.created events, and measures fan-out entries written per second and the latency from
 * publishing a post to its entry landing in the last follower's timeline; then reads a sample of
 * followers' first pages. The timeline service runs in this process, against the servers named by
 * MONGO_URL / NATS_URL or, without them, a FerretDB and NATS it starts (as the tests do).
 *
 *   npx tsx --tsconfig bench/fanout/tsconfig.json bench/fanout/run.ts [--followers 5000] [--posts 5]
 *       [--load direct|events] [--batch 1000] [--reads 200] [--json out.json]
 *
 * Output: a few human lines on stderr and one JSON object on stdout.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  closeEventBus,
  connectEventBus,
  Events,
  generateSigningKeyPair,
  provisionStreams,
  Publisher,
  signAccessToken,
  type EventBus,
} from '@lumina/common';
import { ensureServers, freePort, testLogger, uniqueTag } from '@lumina/common/testing';
import { mongo } from 'mongoose';
import { loadConfig } from '../../timeline/src/config';
import { startTimelineService } from '../../timeline/src/server';

const { values: args } = parseArgs({
  options: {
    followers: { type: 'string', default: '5000' },
    posts: { type: 'string', default: '5' },
    load: { type: 'string', default: 'direct' },
    batch: { type: 'string', default: '1000' },
    reads: { type: 'string', default: '200' },
    json: { type: 'string' },
  },
});
const FOLLOWERS = Number(args.followers);
const POSTS = Number(args.posts);
const READS = Math.min(Number(args.reads), FOLLOWERS);
const log = (line: string) => process.stderr.write(`${line}\n`);

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

async function main(): Promise<void> {
  const servers = await ensureServers();
  if (servers.started.length > 0) log(`started: ${servers.started.join('; ')}`);
  const tag = `bench${uniqueTag()}`;
  const ns = { subjectPrefix: tag, streamPrefix: `${tag.toUpperCase()}_` };
  const database = `timeline_${tag}`;
  const mongoUrl = new URL(servers.mongoUrl);
  mongoUrl.pathname = `/${database}`;
  const key = generateSigningKeyPair('bench');

  const config = loadConfig({
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    PORT: String(await freePort()),
    MONGO_URL: mongoUrl.toString(),
    NATS_URL: servers.natsUrl,
    EVENT_SUBJECT_PREFIX: ns.subjectPrefix,
    EVENT_STREAM_PREFIX: ns.streamPrefix,
    JWT_PUBLIC_KEYS: JSON.stringify({ [key.kid]: key.publicKeyPem }),
    FANOUT_BATCH_SIZE: args.batch,
    TIMELINE_FANOUT_THRESHOLD: String(Math.max(FOLLOWERS, 10_000)),
  });
  let bus: EventBus | undefined;
  const svc = await startTimelineService(config, { log: testLogger });
  try {
    bus = await connectEventBus({ servers: servers.natsUrl, name: 'fanout-bench', ns, log: testLogger });
    await provisionStreams(bus, ['USERS', 'POSTS', 'DLQ'], { replicas: 1 });
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
    if (args.load === 'events') {
      const follow = new Publisher(bus, Events.userFollowed);
      await Promise.all(
        followers.map((f) => follow.publish({ followerId: f, followeeId: author, version: 1, occurredAt: new Date().toISOString() })),
      );
      while ((await stores.follows.countActiveFollowers(author, FOLLOWERS + 1)) < FOLLOWERS) await new Promise((r) => setTimeout(r, 200));
    } else {
      await stores.follows.seedActive(author, followers);
    }
    const loadMs = Date.now() - loadStarted;
    log(`loaded ${FOLLOWERS} followers (${args.load}) in ${loadMs} ms`);

    const publisher = new Publisher(bus, Events.postCreated);
    const runs: Array<{ postId: string; latencyMs: number; entries: number; entriesPerSecond: number }> = [];
    for (let i = 0; i < POSTS; i += 1) {
      const postId = `bench-post-${i}`;
      landed = 0;
      const done = new Promise<void>((resolve) => {
        onLanded = () => {
          if (landed >= FOLLOWERS + 1) resolve();
        };
      });
      const writtenBefore = svc.domain.home.stats.entriesWritten;
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
              thumb: { url: `/api/media/m${i}/thumb`, width: 320, height: 320 },
              feed: { url: `/api/media/m${i}/feed`, width: 1080, height: 1080 },
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
      const entries = svc.domain.home.stats.entriesWritten - writtenBefore;
      runs.push({ postId, latencyMs: Math.round(latencyMs), entries, entriesPerSecond: Math.round(entries / (latencyMs / 1000)) });
      log(
        `post ${i}: ${entries} entries, last follower after ${Math.round(latencyMs)} ms (${Math.round(entries / (latencyMs / 1000))} entries/s)`,
      );
    }
    sub.unsubscribe();
    const stored = await stores.entries.countPost(runs[runs.length - 1]?.postId ?? '');

    // First pages of a sample of followers, through HTTP, one at a time.
    const readTimes: number[] = [];
    for (let i = 0; i < READS; i += 1) {
      const viewer = followers[Math.floor((i * FOLLOWERS) / READS)] as string;
      const token = signAccessToken(key, { id: viewer, username: 'bench_viewer' });
      const started = performance.now();
      const res = await fetch(`http://127.0.0.1:${svc.running.port}/api/timeline?limit=20`, {
        headers: { Authorization: `Bearer ${token}` },
      });
      const body = (await res.json()) as { items: unknown[] };
      readTimes.push(performance.now() - started);
      if (res.status !== 200 || body.items.length !== Math.min(POSTS, 20))
        throw new Error(`unexpected first page for ${viewer}: ${res.status}`);
    }
    readTimes.sort((a, b) => a - b);

    const latencies = runs.map((r) => r.latencyMs).sort((a, b) => a - b);
    const totalEntries = runs.reduce((s, r) => s + r.entries, 0);
    const totalSeconds = runs.reduce((s, r) => s + r.latencyMs, 0) / 1000;
    const result = {
      benchmark: 'timeline-fanout',
      at: new Date().toISOString(),
      mongo: servers.started.find((s) => /mongo|ferret/i.test(s)) ?? 'MONGO_URL',
      followers: FOLLOWERS,
      posts: POSTS,
      batchSize: Number(args.batch),
      load: { mode: args.load, ms: loadMs },
      fanout: {
        entriesPerSecond: Math.round(totalEntries / totalSeconds),
        postToLastFollowerMs: { p50: percentile(latencies, 50), max: latencies[latencies.length - 1] ?? 0 },
        runs,
        storedEntriesForLastPost: stored,
      },
      firstPageReadMs: {
        samples: readTimes.length,
        p50: Math.round(percentile(readTimes, 50)),
        p95: Math.round(percentile(readTimes, 95)),
        max: Math.round(readTimes[readTimes.length - 1] ?? 0),
      },
    };
    log(
      `fan-out: ${result.fanout.entriesPerSecond} entries/s; post → last follower p50 ${result.fanout.postToLastFollowerMs.p50} ms; first page p50 ${result.firstPageReadMs.p50} ms, p95 ${result.firstPageReadMs.p95} ms`,
    );
    const json = JSON.stringify(result, null, 2);
    if (args.json) writeFileSync(args.json, `${json}\n`);
    process.stdout.write(`${json}\n`);
  } finally {
    await svc.running.shutdown('bench done');
    if (bus) {
      for (const stream of ['USERS', 'POSTS', 'DLQ']) await bus.jsm.streams.delete(`${ns.streamPrefix}${stream}`).catch(() => undefined);
      await closeEventBus(bus);
    }
    const client = await mongo.MongoClient.connect(servers.mongoUrl);
    await client
      .db(database)
      .dropDatabase()
      .catch(() => undefined);
    await client.close();
    await servers.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
