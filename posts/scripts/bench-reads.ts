/**
 * Measures posts' two hot reads on the posts service's own port: a post page and an author's
 * posts page (20 per page), anonymous and signed in (likedByViewer), with a few thousand posts
 * loaded straight into its MongoDB. The servers are the test kit's (FerretDB over PostgreSQL when
 * one answers on 127.0.0.1:5432). Load runs in an autocannon child process, so it does not share
 * the service's event loop.
 *
 *   npx tsx posts/scripts/bench-reads.ts            # POSTS=3000 AUTHORS=30 SECONDS=10 CONNECTIONS=10
 *
 * It uses only startPostsService, its models and HTTP, so the same script measures an older
 * commit of posts (before the Redis cache) for comparison.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { AddressInfo } from 'node:net';
import { Types } from 'mongoose';
import { generateSigningKeyPair } from '@lumina/common';
import { ensureServers, TestContext, testLogger, tokenFor } from '@lumina/common/testing';
import { loadConfig } from '../src/config';
import { startPostsService } from '../src/server';

const POSTS = Number(process.env.POSTS ?? 3000);
const AUTHORS = Number(process.env.AUTHORS ?? 30);
const SECONDS = Number(process.env.SECONDS ?? 10);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 10);

const run = promisify(execFile);

interface Result {
  requests: { average: number };
  latency: { average: number; p50: number; p99: number };
  non2xx: number;
  errors: number;
}

async function load(url: string, headers: Record<string, string> = {}): Promise<Result> {
  const args = ['-c', String(CONNECTIONS), '-d', String(SECONDS), '-j'];
  for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}=${value}`);
  const { stdout } = await run(join(__dirname, '..', '..', 'node_modules', '.bin', 'autocannon'), [...args, url], {
    maxBuffer: 10 * 1024 * 1024,
  });
  return JSON.parse(stdout) as Result;
}

async function main(): Promise<void> {
  // No dataDir: servers started here keep their data in a temporary place, removed at the end.
  const servers = await ensureServers(process.env);
  process.env.NATS_URL = servers.natsUrl;
  process.env.LUMINA_NATS_USERS = JSON.stringify(servers.natsPasswords);
  process.env.MONGO_URL = servers.mongoUrl;
  process.env.REDIS_URL = servers.redisUrl;
  process.env.LUMINA_TEST_SIGNING_KEY ??= JSON.stringify(generateSigningKeyPair('bench-key'));
  console.log(`servers: ${servers.started.join('; ') || 'already running'} (MongoDB protocol at ${servers.mongoUrl})`);
  const ctx = new TestContext();
  const config = loadConfig(
    ctx.serviceEnv('posts', {
      MONGO_URL: ctx.mongoDatabase('posts_bench'),
      REDIS_URL: ctx.redisUrl,
      REDIS_KEY_PREFIX: ctx.redisPrefix('posts-bench'),
    }),
  );
  await ctx.eventBus('posts-bench'); // this run's streams, removed at the end
  const svc = await startPostsService(config, { log: testLogger, port: 0 });
  try {
    const { Post, UserCopy, MediaCopy, Like } = svc.models;
    const authors = Array.from({ length: AUTHORS }, (_, i) => `usr-bench-${i}`);
    const viewer = 'usr-bench-viewer';
    await UserCopy.collection.insertMany(
      [...authors, viewer].map((id) => ({
        _id: id,
        username: id.replace(/-/g, '_'),
        displayName: id,
        avatar: null,
        version: 1,
      })) as never[],
    );
    const variants = (id: string) => ({
      thumb: { url: `/api/v1/media/${id}/thumb`, width: 320, height: 320 },
      feed: { url: `/api/v1/media/${id}/feed`, width: 1080, height: 1350 },
    });
    const posts = [];
    const media = [];
    const start = Date.now() - POSTS * 60_000;
    for (let i = 0; i < POSTS; i += 1) {
      const id = new Types.ObjectId().toHexString();
      const mediaId = `med-bench-${i}`;
      const at = new Date(start + i * 60_000);
      const snapshot = {
        id: mediaId,
        alt: '',
        width: 1080,
        height: 1350,
        blurhash: 'LEHV6nWB2yk8pyo0adR*.7kCMdnj',
        variants: variants(mediaId),
      };
      media.push({
        _id: mediaId,
        ownerId: authors[i % AUTHORS],
        status: 'ready',
        width: 1080,
        height: 1350,
        blurhash: snapshot.blurhash,
        variants: snapshot.variants,
        version: 1,
      });
      posts.push({
        _id: id,
        authorId: authors[i % AUTHORS],
        caption: `post ${i} #bench`,
        hashtags: ['bench'],
        mentions: [],
        media: [snapshot],
        likeCount: 0,
        commentCount: 0,
        version: 1,
        engagementVersion: 0,
        createdAt: at,
        updatedAt: at,
        deletedAt: null,
      });
    }
    await MediaCopy.collection.insertMany(media as never[]);
    for (let i = 0; i < posts.length; i += 500) await Post.collection.insertMany(posts.slice(i, i + 500) as never[]);
    // The viewer likes every third post of the measured author (likeId's _id, and the fields the older code read).
    const author = authors[0]!;
    const own = posts.filter((p) => p.authorId === author);
    await Like.collection.insertMany(
      own
        .filter((_, i) => i % 3 === 0)
        .map((p) => ({ _id: `${p._id}:${viewer}`, postId: p._id, userId: viewer, liked: true, ev: 1, updatedAt: new Date() })) as never[],
    );
    const port = (svc.running.server.address() as AddressInfo).port;
    const base = `http://127.0.0.1:${port}/api/v1/posts`;
    const signedIn = { Authorization: `Bearer ${tokenFor({ id: viewer, username: 'usr_bench_viewer' })}` };
    const onePost = own[own.length - 5]!._id;
    console.log(`${POSTS} posts by ${AUTHORS} authors (${own.length} by the measured one); ${CONNECTIONS} connections, ${SECONDS} s each`);
    const cases: Array<[string, string, Record<string, string>]> = [
      ['author page, anonymous', `${base}?authorId=${author}&limit=20`, {}],
      ['author page, signed in', `${base}?authorId=${author}&limit=20`, signedIn],
      ['post page, anonymous', `${base}/${onePost}`, {}],
      ['post page, signed in', `${base}/${onePost}`, signedIn],
    ];
    for (const [name, url, headers] of cases) {
      const first = await fetch(url, { headers });
      if (first.status !== 200) throw new Error(`${name}: ${first.status} ${await first.text()}`);
      // One request at a time first: the latency of the read itself, less sensitive to a busy machine.
      const times: number[] = [];
      for (let i = 0; i < 200; i += 1) {
        const t0 = performance.now();
        await (await fetch(url, { headers })).arrayBuffer();
        times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      const r = await load(url, headers);
      console.log(
        `${name.padEnd(24)} one at a time: p50 ${times[100]!.toFixed(1)} ms, p90 ${times[180]!.toFixed(1)} ms | ${CONNECTIONS} at once: ${r.requests.average.toFixed(0).padStart(5)} req/s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, non-2xx ${r.non2xx}, errors ${r.errors}`,
      );
    }
  } finally {
    await svc.running.shutdown('bench done');
    await ctx.cleanup();
    await servers.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
