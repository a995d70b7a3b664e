/**
 * The home page alone, from the command line: the real timeline service in this process (its own
 * database, Redis prefix and event namespace), `--viewers` people who each follow `--authors`
 * authors with `--posts` posts between them, all arrived as events; then autocannon, in a
 * process of its own so it does not share this event loop, reads the viewers' first pages at
 * saturation, alternating with a bare Express app answering the same bytes (the ceiling). The
 * ratio of the two is the figure `npm run bench` reports as "home page (timeline's port) vs bare
 * Express page"; this measures it in a minute instead of twenty, for working on the read path.
 *
 *   npm run -w bench home -- [--viewers 200] [--authors 20] [--posts 60] [--seconds 8] [--rounds 2]
 *       [--connections 16] [--page-ttl-ms 5000] [--rate 1500] [--cpu-profile home.cpuprofile]
 *
 * `--rate`: each round also sends both pages at that fixed rate, open loop, from the full run's
 * load process (latency counted from when each request was due), and reports their p50, p99 and
 * max: the full run's "p99 at half of saturation" row, on its own. `--cpu-profile`: a CPU profile
 * of the service's process during each round's home load at saturation (the last round's is kept),
 * to open in Chrome DevTools.
 *
 * Against the servers named by MONGO_URL / NATS_URL / REDIS_URL, or those the test kit finds or
 * starts. Progress on stderr, one JSON object on stdout.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Events, Publisher, signAccessToken } from '@lumina/common';
import { ensureServers } from '@lumina/common/testing';
import { startPageServer } from './baselines/express-page';
import { startTimelineAlone } from './workloads/timeline-alone';
import { runHttp, type RunResult } from './workloads/load-runner';

/** A page at a fixed rate, open loop: its p50, p99 and max (ms), and how many failed or were shed. */
async function atRate(baseUrl: string, path: string, tokens: string[], rate: number, seconds: number) {
  let i = 0;
  const result: RunResult = await runHttp(
    {
      name: path,
      baseUrl,
      ok: [200],
      next: () => ({ method: 'GET', path, headers: { authorization: `Bearer ${tokens[i++ % tokens.length]}` } }),
    },
    { kind: 'fixed', rate },
    seconds,
  );
  const { p50, p99, max } = result.latency;
  return { p50, p99, max, failed: result.failed, shed: result.shed };
}

const { values: args } = parseArgs({
  options: {
    viewers: { type: 'string', default: '200' },
    authors: { type: 'string', default: '20' },
    posts: { type: 'string', default: '60' },
    seconds: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '2' },
    connections: { type: 'string', default: '16' },
    'page-ttl-ms': { type: 'string' },
    rate: { type: 'string' },
    'cpu-profile': { type: 'string' },
  },
});

/** A CPU profile of this process (the service's) while `work` runs, written to `file` (.cpuprofile, for DevTools). */
async function profiled<T>(file: string | undefined, work: () => Promise<T>): Promise<T> {
  if (file === undefined) return work();
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<unknown>((resolve, reject) => session.post(method, params, (err, result) => (err ? reject(err) : resolve(result))));
  await post('Profiler.enable');
  await post('Profiler.start');
  try {
    return await work();
  } finally {
    const { profile } = (await post('Profiler.stop')) as { profile: unknown };
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
    process.stderr.write(`home bench: CPU profile of the service's process during the home rounds in ${file}\n`);
  }
}

/** autocannon in a child process: every request a viewer's first page, the viewers in turn. */
const LOAD_SCRIPT = `
const autocannon = require('autocannon');
const { url, tokens, seconds, connections } = JSON.parse(process.argv[1]);
let i = 0;
autocannon({ url, connections, duration: seconds, requests: [{ setupRequest: (req) => ({ ...req, headers: { authorization: 'Bearer ' + tokens[i++ % tokens.length] } }) }] },
  (err, r) => { if (err) throw err; process.stdout.write(JSON.stringify({ rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors })); });
`;

function load(
  url: string,
  tokens: string[],
  seconds: number,
  connections: number,
): Promise<{ rps: number; p50: number; p99: number; non2xx: number; errors: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', LOAD_SCRIPT, JSON.stringify({ url, tokens, seconds, connections })], {
      cwd: join(__dirname, '..'),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`autocannon exited ${code}`))));
  });
}

async function main(): Promise<void> {
  const VIEWERS = Number(args.viewers);
  const AUTHORS = Number(args.authors);
  const POSTS = Number(args.posts);
  const servers = await ensureServers();
  if (servers.started.length > 0) process.stderr.write(`started: ${servers.started.join('; ')}\n`);
  const { svc, bus, key, stop } = await startTimelineAlone({
    name: 'home',
    natsUrl: servers.natsUrl,
    natsAdminPassword: servers.natsPasswords.admin,
    mongoUrl: servers.mongoUrl,
    redisUrl: servers.redisUrl,
    env: args['page-ttl-ms'] !== undefined ? { TIMELINE_PAGE_TTL_MS: args['page-ttl-ms'] } : {},
  });
  const page = await startPageServer('{}');
  try {
    const authors = Array.from({ length: AUTHORS }, (_, i) => `home-author-${i}`);
    const viewers = Array.from({ length: VIEWERS }, (_, i) => `home-viewer-${i}`);
    const userCreated = new Publisher(bus, Events.userCreated);
    for (const id of [...authors, ...viewers])
      await userCreated.publish({ id, username: id.replace(/-/g, '_'), displayName: `Person ${id}`, bio: '', avatar: null, version: 1 });
    const followed = new Publisher(bus, Events.userFollowed);
    await Promise.all(
      viewers.flatMap((v) =>
        authors.map((a) => followed.publish({ followerId: v, followeeId: a, version: 1, occurredAt: new Date().toISOString() })),
      ),
    );
    const postCreated = new Publisher(bus, Events.postCreated);
    for (let i = 0; i < POSTS; i += 1) {
      await postCreated.publish({
        id: `home-post-${i}`,
        authorId: authors[i % AUTHORS] as string,
        caption: `A photo from the home benchmark, number ${i}, with a caption of a usual length #bench #home${i % 7}`,
        hashtags: ['bench', `home${i % 7}`],
        mentions: [],
        media: [
          {
            id: `m${i}`,
            alt: 'a generated photo',
            width: 1080,
            height: 1080,
            blurhash: 'LEHV6nWB2yk8pyo0adR*.7kCMdnj',
            variants: {
              thumb: { url: `/api/v1/media/m${i}/thumb`, width: 320, height: 320 },
              feed: { url: `/api/v1/media/m${i}/feed`, width: 1080, height: 1080 },
            },
          },
        ],
        likeCount: i,
        commentCount: i % 5,
        createdAt: new Date(Date.now() - (POSTS - i) * 1000).toISOString(),
        version: 1,
      });
    }
    const tokens = viewers.map((id) => signAccessToken(key, { id, username: id.replace(/-/g, '_') }));
    const url = `http://127.0.0.1:${svc.running.port}/api/v1/timeline?limit=20`;
    // Every viewer's feed holds every post once the events are handled.
    const want = Math.min(POSTS, 20);
    for (const [i, token] of tokens.entries()) {
      for (;;) {
        const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
        const body = (await res.json()) as { items: unknown[] };
        if (res.status === 200 && body.items.length === want) {
          if (i === 0) {
            await page.stop();
            Object.assign(page, await startPageServer(JSON.stringify(body)));
          }
          break;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      if (i % 50 === 0) process.stderr.write(`home bench: viewer ${i + 1} of ${VIEWERS} has a full page\n`);
    }
    const rounds: Array<Record<string, unknown>> = [];
    for (let r = 0; r < Number(args.rounds); r += 1) {
      const bare = await load(`${page.url}/page`, ['x'], Number(args.seconds), Number(args.connections));
      const home = await profiled(args['cpu-profile'], () => load(url, tokens, Number(args.seconds), Number(args.connections)));
      const round: Record<string, unknown> = {
        bare: bare.rps,
        home: home.rps,
        homeP50: home.p50,
        homeP99: home.p99,
        failed: home.non2xx + home.errors,
      };
      process.stderr.write(`home bench: round ${r + 1}: bare ${bare.rps}/s, home ${home.rps}/s = ${(home.rps / bare.rps).toFixed(3)}\n`);
      if (args.rate !== undefined) {
        const rate = Number(args.rate);
        round.atRate = {
          rate,
          bare: await atRate(page.url, '/page', ['x'], rate, Number(args.seconds)),
          home: await atRate(`http://127.0.0.1:${svc.running.port}`, '/api/v1/timeline?limit=20', tokens, rate, Number(args.seconds)),
        };
        process.stderr.write(`home bench: round ${r + 1} at ${rate}/s: ${JSON.stringify(round.atRate)}\n`);
      }
      rounds.push(round);
    }
    process.stdout.write(
      `${JSON.stringify({ benchmark: 'home-alone', at: new Date().toISOString(), pageBytes: page.bytes, rounds }, null, 2)}\n`,
    );
  } finally {
    await page.stop();
    await stop();
    await servers.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
