/**
 * `npm run bench` (add `-- --quick` for a short run): starts a fresh, isolated one-machine Lumina,
 * loads the data, runs every workload, the pipeline measurements and the baselines, writes
 * bench/results/<date>/report.md and report.json, prints the tables, and removes what it made.
 * All traffic goes to 127.0.0.1.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  addSyntheticFollowers,
  type ApiClient,
  type Celebrity,
  createCelebrity,
  degrees,
  type Edge,
  ensureFreshTokens,
  fansFollow,
  firstNodes,
  followsOf,
  generatePhoto,
  generatePhotoPool,
  loadFollows,
  loadPeople,
  loadPosts,
  pick,
  RateLimitedError,
  readReed98,
  seededRandom,
  sleep,
  step,
  waitUntil,
  writeAuthEdges,
  writeTimelineEdges,
} from '@lumina/datasets';
import { startPageServer, type PageServer } from './baselines/express-page';
import { searchPosts as rawSearch, timelinePage, userPostsPage } from './baselines/raw-queries';
import { renderLikeMedia } from './baselines/sharp-image';
import { runStorageProbe } from './baselines/storage-probe';
import { planFor, type Plan } from './plan';
import { endLoad, machineInfo, serverVersions } from './report/machine';
import { writeReport, type BenchReport, type Ratio, type WorkloadRow } from './report/report';
import { scrapeServices } from './report/service-metrics';
import { backlogOf, waitForQuiet } from './system/backlog';
import { startBenchSystem, type BenchSystem } from './system/bench-system';
import { PgActivitySampler, TableActivity } from './system/pg-activity';
import { postgresAvailable, type MongoBackend } from './system/ferretdb';
import { runHttp, runInProcess, type HttpWorkload, type RunMode, type RunResult } from './workloads/load-runner';
import { runFanoutComponent } from './workloads/fanout-component';
import { measurePropagation } from './workloads/pipeline';
import {
  composePost,
  homeRead,
  mixed,
  searchPosts,
  searchVocabulary,
  suggest,
  suggestionPrefixes,
  userPostsRead,
  type WorkloadPools,
} from './workloads/social';
import { UploadPlan, runUploads } from './workloads/uploads';

const RESULTS_DIR = join(__dirname, '..', 'results');

interface Args {
  mode: 'full' | 'quick';
  backend?: MongoBackend;
  out?: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { mode: 'full' };
  // `npm run bench -- --quick` from the root reaches npm (the root script runs npm again), which
  // keeps the flag as its own setting and hands it over as npm_config_quick.
  if (process.env.npm_config_quick === 'true') args.mode = 'quick';
  if (process.env.npm_config_backend) args.backend = process.env.npm_config_backend as MongoBackend;
  for (const arg of argv) {
    if (arg === '--quick') args.mode = 'quick';
    else if (arg.startsWith('--backend=')) args.backend = arg.slice('--backend='.length) as MongoBackend;
    else if (arg.startsWith('--out=')) args.out = arg.slice('--out='.length);
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write('npm run bench [-- --quick] [-- --backend=postgresql|sqlite] [-- --out=<folder>]\nSee bench/README.md.\n');
      process.exit(0);
    } else throw new Error(`unknown argument ${arg} (try --help)`);
  }
  if (args.backend && args.backend !== 'postgresql' && args.backend !== 'sqlite') throw new Error('--backend is postgresql or sqlite');
  return args;
}

function resultsDir(mode: 'full' | 'quick', started: Date): string {
  const day = started.toISOString().slice(0, 10);
  const base = mode === 'quick' ? join(RESULTS_DIR, 'tmp', `${day}-quick`) : join(RESULTS_DIR, day);
  let dir = base;
  for (let n = 2; existsSync(dir); n += 1) dir = `${base}-${n}`;
  return dir;
}

/**
 * The fixed rate of a run: a number, or "half of what this workload sustained at saturation, at
 * most this", so the fixed-rate figures describe a loaded system that keeps up, not a collapse.
 * Baselines are given the rate their service ran at, so both are compared at the same load.
 */
type RateChoice = number | { upTo: number };

interface Measured extends Pick<WorkloadRow, 'fixed' | 'saturation'> {
  rate: number;
}

/** One workload: a saturation run, then a fixed-rate run, with a short pause between. */
async function measure(
  label: string,
  run: (mode: RunMode) => Promise<RunResult>,
  rate: RateChoice,
  concurrency: number,
): Promise<Measured> {
  step(`measuring ${label}`);
  const saturation = await run({ kind: 'saturation', concurrency });
  await sleep(1000);
  const fixedRate = typeof rate === 'number' ? rate : Math.max(1, Math.min(rate.upTo, Math.round(saturation.throughput / 2)));
  const fixed = await run({ kind: 'fixed', rate: fixedRate });
  await sleep(1000);
  return { saturation, fixed, rate: fixedRate };
}

const measureHttp = (workload: HttpWorkload, rate: RateChoice, connections: number, durationS: number): Promise<Measured> =>
  measure(`${workload.name} (${workload.baseUrl})`, (mode) => runHttp(workload, mode, durationS), rate, connections);

const measureInProcess = (
  name: string,
  operation: () => Promise<void>,
  rate: RateChoice,
  workers: number,
  durationS: number,
): Promise<Measured> => measure(`${name} (in process)`, (mode) => runInProcess(operation, mode, durationS), rate, workers);

function ratio(
  name: string,
  metric: 'throughput at saturation' | 'p50 at the fixed rate' | 'p99 at the fixed rate',
  service: WorkloadRow | undefined,
  baseline: WorkloadRow | undefined,
): Ratio | undefined {
  if (!service || !baseline) return undefined;
  const value = (r: RunResult | undefined) =>
    r === undefined
      ? Number.NaN
      : metric === 'throughput at saturation'
        ? r.throughput
        : metric === 'p50 at the fixed rate'
          ? r.latency.p50
          : r.latency.p99;
  const pickRun = (w: WorkloadRow) => (metric === 'throughput at saturation' ? w.saturation : w.fixed);
  const s = value(pickRun(service));
  const b = value(pickRun(baseline));
  if (!Number.isFinite(s) || !Number.isFinite(b) || b === 0) return undefined;
  return { name, metric, service: service.name, baseline: baseline.name, serviceValue: s, baselineValue: b, ratio: s / b };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  let backend: MongoBackend = args.backend ?? 'postgresql';
  if (backend === 'postgresql' && !postgresAvailable()) {
    if (args.backend)
      throw new Error('PostgreSQL is not reachable (POSTGRES_URL, default postgres://root@127.0.0.1:5432) or psql is missing');
    step('PostgreSQL is not reachable: running on FerretDB over SQLite (slow at these sizes; see bench/README.md)');
    backend = 'sqlite';
  }
  const plan: Plan = planFor(args.mode, backend);
  const startedAt = new Date();
  const outDir = args.out ?? resultsDir(plan.mode, startedAt);
  const machine = machineInfo();
  const report: BenchReport = {
    title: `Lumina benchmark, ${startedAt.toISOString().slice(0, 10)}`,
    mode: plan.mode,
    startedAt: startedAt.toISOString(),
    machine,
    settings: { ...plan, followsViaApi: Number.isFinite(plan.followsViaApi) ? plan.followsViaApi : 'all' },
    load: [],
    workloads: [],
    pipeline: [],
    ratios: [],
    storageProbe: [],
    component: [],
    databaseActivity: { intervalMs: 2000, statements: [] },
    catchUp: [],
    notes: [],
  };
  step(`Lumina benchmark (${plan.mode}), results to ${outDir}`);

  const system: BenchSystem = await startBenchSystem({ mongoBackend: backend, onProgress: (line) => process.stderr.write(`${line}\n`) });
  let pageServer: PageServer | undefined;
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    step('interrupted: stopping the system and removing its data (Ctrl-C again to leave it)');
    void (async () => {
      await pageServer?.stop();
      await system.stop();
      process.exit(130);
    })();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const activity = system.postgresDatabase
    ? new PgActivitySampler(
        process.env.POSTGRES_URL ?? 'postgres://root@127.0.0.1:5432',
        system.postgresDatabase,
        system.prefix,
        report.databaseActivity.intervalMs,
      )
    : undefined;
  activity?.start();
  try {
    step(`system up at ${system.url}`);
    machine.versions = { ...machine.versions, ...(await serverVersions(system)) };
    const timelineDb = system.mongoDb('timeline');
    // Exact counts of what a workload asked of timeline's MongoDB (its PostgreSQL schema under FerretDB).
    const tables = system.postgresDatabase
      ? new TableActivity(process.env.POSTGRES_URL ?? 'postgres://root@127.0.0.1:5432', system.postgresDatabase)
      : undefined;
    const watchingTimelineDb = async (work: () => Promise<Measured>): Promise<Measured & Pick<WorkloadRow, 'extra'>> => {
      if (!tables) return work();
      const { result, activity } = await tables.during(`${system.prefix}timeline`, work);
      return {
        ...result,
        extra: { "queries on timeline's MongoDB": activity.scans, "rows written in timeline's MongoDB": activity.writes },
      };
    };
    const quiet = async (after: string) => {
      const result = await waitForQuiet(system.bus, `catching up after ${after}`, plan.quietTimeoutMs);
      report.catchUp.push({ after, ms: result.ms, left: result.left });
      if (result.left > 0)
        report.notes.push(`After ${after}, ${result.left} messages were still waiting (${result.busiest}) when the wait ended.`);
    };

    // ---- storage probe ---------------------------------------------------------------------
    if (postgresAvailable()) {
      report.storageProbe = await runStorageProbe({
        tag: system.tag,
        sizes: plan.probe.sizes,
        times: plan.probe.times,
        backends: ['sqlite', 'postgresql'],
      });
    }

    // ---- the Reed98 graph -------------------------------------------------------------------
    const graph = firstNodes(readReed98(), plan.people);
    const loadOptions = { signUpConcurrency: 4, followConcurrency: 16, timeLimitMs: plan.loadTimeLimitMs };
    const accounts = await loadPeople(system.url, graph, loadOptions);
    const people = accounts.people;
    report.load.push({
      step: `${graph.name}: accounts`,
      count: people.length,
      ms: accounts.signUpMs,
      rate: accounts.signUpsPerSecond,
      how: 'POST /api/users/signup, 4 at a time (argon2id)',
    });

    const allFollows = followsOf(graph);
    const viaApi = Math.min(allFollows.length, plan.followsViaApi);
    const apiGraph = { ...graph, friendships: graph.friendships.slice(0, Math.ceil(viaApi / 2)) };
    const followedStart = Date.now();
    const apiFollows = await loadFollows(people, apiGraph, loadOptions);
    report.load.push({
      step: `${graph.name}: follows through the API`,
      count: apiFollows.follows,
      ms: apiFollows.followMs,
      rate: apiFollows.followsPerSecond,
      how: 'PUT /api/users/:id/follow, 16 at a time',
    });
    const direct: Edge[] = graph.friendships.slice(Math.ceil(viaApi / 2)).flatMap(([a, b]) => [
      { followerId: people[a]!.client.id, followeeId: people[b]!.client.id },
      { followerId: people[b]!.client.id, followeeId: people[a]!.client.id },
    ]);
    if (direct.length > 0) {
      const t = Date.now();
      await writeAuthEdges(system.mysql('auth'), direct, `${graph.name}: other follows → auth (direct)`);
      await writeTimelineEdges(timelineDb, direct, `${graph.name}: other follows → timeline (direct)`);
      report.load.push({
        step: `${graph.name}: the other follows`,
        count: direct.length,
        ms: Date.now() - t,
        rate: (direct.length / (Date.now() - t)) * 1000,
        how: "written into auth's MySQL and timeline's copy (bench only)",
      });
    }
    // How fast the timeline absorbs follows: from the first API follow until its consumer is empty.
    await waitUntil(async () => (await backlogOf(system.bus, 'timeline--user-followed')) === 0, plan.loadTimeLimitMs, 500);
    const absorbMs = Date.now() - followedStart;
    report.load.push({
      step: 'timeline absorbs those API follows',
      count: apiFollows.follows,
      ms: absorbMs,
      rate: (apiFollows.follows / absorbMs) * 1000,
      how: 'user.followed consumer (edge copy, backfill, notification), from the first follow until its backlog is empty',
    });

    // ---- celebrities -----------------------------------------------------------------------
    const random = seededRandom(98);
    const shuffled = [...people].sort(() => random() - 0.5);
    const fans = shuffled.slice(0, plan.fans);
    const fanSet = new Set(fans);
    const celebrityClients: ApiClient[] = [];
    for (const c of plan.celebrities) celebrityClients.push(await createCelebrity(system.url, `celeb_${c.followers}`, `The ${c.name}`));
    const fanFollows = await fansFollow(fans, celebrityClients, plan.loadTimeLimitMs);
    report.load.push({
      step: 'fans follow the celebrities',
      count: fanFollows.follows,
      ms: fanFollows.ms,
      rate: (fanFollows.follows / fanFollows.ms) * 1000,
      how: 'PUT /api/users/:id/follow',
    });
    const celebrities: Celebrity[] = [];
    for (const [i, c] of plan.celebrities.entries()) {
      const celebrity = await addSyntheticFollowers(timelineDb, celebrityClients[i]!, c.name, c.followers, fans.length);
      celebrities.push(celebrity);
      report.load.push({
        step: `${c.name}: synthetic followers`,
        count: celebrity.synthetic,
        ms: celebrity.syntheticMs,
        rate: (celebrity.synthetic / celebrity.syntheticMs) * 1000,
        how: "written into timeline's copy (bench only; no accounts)",
      });
    }

    // Follows written behind timeline's back made no feeds; a viewer without one is inactive
    // and gets no fan-out. The rebuild command builds every feed, as after a lost Redis.
    const rebuildStarted = Date.now();
    await system.rebuildTimelineFeeds();
    report.load.push({
      step: "timeline's feeds rebuilt from MongoDB (npm run -w timeline rebuild-feeds)",
      count: people.length + celebrities.reduce((n, c) => n + c.synthetic, 0),
      ms: Date.now() - rebuildStarted,
      rate: ((people.length + celebrities.reduce((n, c) => n + c.synthetic, 0)) / (Date.now() - rebuildStarted)) * 1000,
      how: 'one pass over the follows, posts and likes copies; one feed per viewer',
    });

    // ---- posts -----------------------------------------------------------------------------
    const authors = people.filter((p) => p.spec.node % plan.authorEvery === 0);
    const degree = degrees(graph);
    const busiest = people.reduce((best, p) => ((degree[p.spec.node] ?? 0) > (degree[best.spec.node] ?? 0) ? p : best), people[0]!);
    if (!authors.includes(busiest)) authors.push(busiest);
    const posts = await loadPosts(
      authors.map((p) => ({ client: p.client, seed: p.spec.node })),
      {
        postsPerAuthor: plan.postsPerAuthor,
        concurrency: 4,
        timeLimitMs: plan.loadTimeLimitMs,
        photoPool: 24,
        photoSize: plan.loadPhotoSize,
        label: 'posts',
      },
    );
    report.load.push({
      step: 'posts with photos',
      count: posts.posts.length,
      ms: posts.ms,
      rate: (posts.posts.length / posts.ms) * 1000,
      how: `${posts.uploads} uploads (${plan.loadPhotoSize}² JPEG) to ready, then POST /api/posts, 4 authors at a time`,
    });
    const [celebPhoto] = await generatePhotoPool(1, plan.loadPhotoSize, 'celebrity photo');
    const celebrityMedia = new Map<string, string>();
    for (const c of celebrities) {
      const media = await c.client.upload(celebPhoto!, 'celebrity.jpg', 'A generated photo');
      await c.client.waitUntilReady(media.id);
      celebrityMedia.set(c.client.id, media.id);
    }
    await quiet('loading');

    // ---- pools -----------------------------------------------------------------------------
    const viewers = people.filter((p) => !fanSet.has(p)).map((p) => p.client);
    const pools: WorkloadPools = {
      baseUrl: system.url,
      viewers,
      authors: [...posts.mediaByAuthor.keys()],
      composers: [...posts.mediaByAuthor.entries()]
        .slice(0, plan.composers)
        .map(([id, mediaId]) => ({ client: people.find((p) => p.client.id === id)!.client, mediaId })),
      searchWords: searchVocabulary(people.map((p) => p.spec.displayName)),
      suggestPrefixes: suggestionPrefixes(
        people.map((p) => p.spec.username),
        people.map((p) => p.spec.displayName),
      ),
    };
    const everyone = [...people.map((p) => p.client), ...celebrityClients];
    const fresh = () => ensureFreshTokens(everyone, (plan.durationS * 4 + 180) * 1000);

    const { durationS } = plan;
    const rows: Record<string, WorkloadRow> = {};
    const add = (key: string, { rate: _rate, ...row }: WorkloadRow & { rate?: number }) => {
      rows[key] = row;
      report.workloads.push(row);
    };
    const fanClients = fans.map((p) => p.client);
    const [tenK, hundredK] = celebrities; // fanned out (at the threshold), merged at read (over it)

    // ---- pipeline, while every author is fanned out ------------------------------------------
    await fresh();
    const busiestFollowers = await timelineDb.collection('follows').countDocuments({ followeeId: busiest.client.id, state: 'active' });
    const friendsOfBusiest = graph.friendships.flatMap(([a, b]) => (a === busiest.spec.node ? [b] : b === busiest.spec.node ? [a] : []));
    report.pipeline.push(
      await measurePropagation(system.bus, timelineDb, system.timelineRedis, {
        name: `${busiest.spec.username} (Reed98's most followed)`,
        author: busiest.client,
        mediaId: posts.mediaByAuthor.get(busiest.client.id)!,
        followers: busiestFollowers,
        fannedOut: true,
        viewers: friendsOfBusiest.slice(0, 3).map((node) => people[node]!.client),
        posts: plan.pipelinePosts.reed,
        timeoutMs: 60_000,
      }),
    );
    const celebrityCase = (c: Celebrity) =>
      measurePropagation(system.bus, timelineDb, system.timelineRedis, {
        name: c.name,
        author: c.client,
        mediaId: celebrityMedia.get(c.client.id)!,
        followers: c.followers,
        fannedOut: c.followers <= 10_000,
        viewers: fanClients.slice(0, 3),
        posts: c.followers <= 10_000 ? plan.pipelinePosts.celebrity : plan.pipelinePosts.merged,
        timeoutMs: 120_000,
      });

    // ---- reads and their baselines (no author merged at read time yet) ------------------------
    // Every event of the pipeline handled first: what the reads ask of the databases is theirs alone.
    await quiet('the pipeline');
    await fresh();
    const pageBody = JSON.stringify((await viewers[0]!.call('GET', '/api/timeline?limit=20')).body);
    report.notes.push(
      `The bare Express baseline answers a real home-timeline page of ${Buffer.byteLength(pageBody).toLocaleString('en')} bytes.`,
    );
    const reads = plan.saturation.read;
    const home = await watchingTimelineDb(() => measureHttp(homeRead(pools), { upTo: plan.rates.read }, reads, durationS));
    add('home', { name: 'home timeline page', target: 'gateway', ...home });
    pageServer = await startPageServer(pageBody);
    const pageBaseline: HttpWorkload = {
      name: 'bare Express page',
      baseUrl: pageServer.url,
      ok: [200],
      next: () => ({ method: 'GET', path: '/page' }),
    };
    add('page', {
      name: 'bare Express, same page (baseline)',
      target: 'baseline',
      ...(await measureHttp(pageBaseline, home.rate, reads, durationS)),
    });
    await pageServer.stop();
    pageServer = undefined;
    const timelinePort = homeRead({ ...pools, baseUrl: system.services.timeline! });
    add('homeDirect', {
      name: 'home timeline page',
      target: 'service',
      ...(await watchingTimelineDb(() => measureHttp(timelinePort, home.rate, reads, durationS))),
    });
    const rawPage = timelinePage(system.timelineRedis);
    const viewerIds = viewers.map((v) => v.id);
    const r1 = seededRandom(21);
    const rawHomeOnce = async () => void (await rawPage(pick(viewerIds, r1)));
    add('rawHome', {
      name: 'raw node-redis: the home page commands (baseline)',
      target: 'baseline',
      ...(await measureInProcess('raw home page', rawHomeOnce, home.rate, reads, durationS)),
    });

    const user = await measureHttp(userPostsRead(pools), { upTo: plan.rates.read }, reads, durationS);
    add('user', { name: "a user's posts page", target: 'gateway', ...user });
    const rawUser = userPostsPage(system.mongoDb('posts'));
    const r2 = seededRandom(22);
    const rawUserOnce = async () => void (await rawUser(pick(pools.authors, r2), pick(viewerIds, r2)));
    add('rawUser', {
      name: "raw driver: the user's-posts queries (baseline)",
      target: 'baseline',
      ...(await measureInProcess('raw user posts', rawUserOnce, user.rate, reads, durationS)),
    });

    await fresh();
    const search = await measureHttp(searchPosts(pools), { upTo: plan.rates.search }, reads, durationS);
    add('search', { name: 'post search', target: 'gateway', ...search });
    const rawSearchQuery = rawSearch(system.mysql('search'));
    const r3 = seededRandom(23);
    const rawSearchOnce = async () => void (await rawSearchQuery(pick(pools.searchWords, r3)));
    add('rawSearch', {
      name: 'raw mysql2: the post-search query (baseline)',
      target: 'baseline',
      ...(await measureInProcess('raw search', rawSearchOnce, search.rate, reads, durationS)),
    });
    add('suggest', {
      name: 'search suggestions',
      target: 'gateway',
      ...(await measureHttp(suggest(pools), { upTo: plan.rates.suggest }, reads, durationS)),
    });

    // ---- writes ----------------------------------------------------------------------------
    await fresh();
    add('compose', {
      name: 'compose a post',
      target: 'gateway',
      ...(await measureHttp(composePost(pools), { upTo: plan.rates.compose }, plan.saturation.compose, durationS)),
    });
    await quiet('composing');
    await fresh();
    add('mixed', {
      name: 'mixed: 60% home, 30% user, 10% compose',
      target: 'gateway',
      ...(await measureHttp(mixed(pools), { upTo: plan.rates.mixed }, plan.saturation.read, durationS)),
    });
    await quiet('the mixed workload');

    // ---- images ----------------------------------------------------------------------------
    await fresh();
    const photos: Buffer[] = [];
    const uploadHeight = Math.round((plan.uploadPhotoSize * 3) / 4);
    for (let i = 0; i < 8; i += 1)
      photos.push(await generatePhoto(5000 + i, { width: plan.uploadPhotoSize, height: uploadHeight, orientation: i % 2 === 0 ? 6 : 1 }));
    const uploadPlan = new UploadPlan(viewers.slice(0, 40), photos);
    step('measuring image upload to ready');
    const uploadFixed = await runUploads(uploadPlan, { kind: 'fixed', rate: plan.rates.upload }, durationS * 2);
    await quiet('uploads at the fixed rate');
    const uploadSat = await runUploads(uploadPlan, { kind: 'saturation', concurrency: plan.saturation.upload }, durationS * 2);
    add('upload', {
      name: `image upload to ready (${plan.uploadPhotoSize}×${uploadHeight} JPEG)`,
      target: 'gateway',
      fixed: uploadFixed,
      saturation: uploadSat,
      extra: { 'time to 202 p50 (fixed)': uploadFixed.acceptedMs.p50, 'time to 202 p50 (saturation)': uploadSat.acceptedMs.p50 },
    });
    await quiet('uploads');
    let nextPhoto = 0;
    add('sharp', {
      name: 'raw sharp: the same image work (baseline)',
      target: 'baseline',
      ...(await measureInProcess(
        'raw sharp',
        () => renderLikeMedia(photos[nextPhoto++ % photos.length]!),
        plan.rates.upload,
        plan.saturation.sharp,
        durationS * 2,
      )),
    });

    // ---- the generated accounts' posts ---------------------------------------------------------
    // Last, because each changes what follows: 10,000 entries per post of the fanned-out account
    // make every later fan-out's work grow; the merged account changes every home read after it.
    if (tenK) {
      await fresh();
      report.pipeline.push(await celebrityCase(tenK));
      await quiet(`${tenK.name}'s posts`);
    }

    // ---- an account over the fan-out threshold -------------------------------------------------
    // Its first post marks it "merged at read time"; from then on every home read asks whether
    // the viewer follows it. Measured last, because it changes every read after it.
    if (hundredK) {
      await fresh();
      report.pipeline.push(await celebrityCase(hundredK));
      await quiet(`${hundredK.name}'s posts`);
      const homeAfter = await measureHttp(
        homeRead(pools, 'home (after)', 12),
        { upTo: plan.rates.read },
        plan.saturation.compose,
        durationS,
      );
      add('homeAfter', { name: 'home timeline page, once an account is merged at read time', target: 'gateway', ...homeAfter });
      const fansHome = homeRead({ baseUrl: system.url, viewers: fanClients }, 'home (merge)', 11);
      add('homeFans', {
        name: `home timeline page of a follower of the ${hundredK.followers.toLocaleString('en')}-follower account`,
        target: 'gateway',
        ...(await watchingTimelineDb(() => measureHttp(fansHome, homeAfter.rate, plan.saturation.compose, durationS))),
      });
      add('rawHomeAfter', {
        name: 'raw node-redis: the home page commands, once an account is merged at read time (baseline)',
        target: 'baseline',
        ...(await measureInProcess('raw home page (after)', rawHomeOnce, homeAfter.rate, plan.saturation.compose, durationS)),
      });
    }

    // ---- the timeline service alone -------------------------------------------------------
    for (const load of ['direct', 'events'] as const) {
      const size = plan.component[load];
      report.component.push(
        await runFanoutComponent({
          natsUrl: system.servers.natsUrl,
          natsAdminPassword: system.servers.natsPasswords.admin,
          mongoUrl: system.servers.mongoUrl,
          redisUrl: system.servers.redisUrl,
          followers: size.followers,
          posts: size.posts,
          reads: size.reads,
          load,
          timeLimitMs: plan.loadTimeLimitMs,
        }),
      );
    }

    // ---- ratios ----------------------------------------------------------------------------
    const ratios: Array<Ratio | undefined> = [
      ratio('Home page vs bare Express page', 'throughput at saturation', rows.home, rows.page),
      ratio('Home page vs bare Express page', 'p50 at the fixed rate', rows.home, rows.page),
      ratio("Home page (timeline's port) vs bare Express page", 'throughput at saturation', rows.homeDirect, rows.page),
      ratio("Home page (timeline's port) vs raw node-redis", 'throughput at saturation', rows.homeDirect, rows.rawHome),
      ratio("Home page (timeline's port) vs raw node-redis", 'p50 at the fixed rate', rows.homeDirect, rows.rawHome),
      ratio("Home page via gateway vs timeline's port", 'p50 at the fixed rate', rows.home, rows.homeDirect),
      ratio('Home page once an account is merged at read time vs before', 'p50 at the fixed rate', rows.homeAfter, rows.home),
      ratio(
        'Home page of a follower of the merged-at-read account vs a plain home page',
        'p50 at the fixed rate',
        rows.homeFans,
        rows.homeAfter,
      ),
      ratio(
        'Raw home-page queries once an account is merged at read time vs before',
        'p50 at the fixed rate',
        rows.rawHomeAfter,
        rows.rawHome,
      ),
      ratio("User's posts vs raw driver", 'throughput at saturation', rows.user, rows.rawUser),
      ratio("User's posts vs raw driver", 'p50 at the fixed rate', rows.user, rows.rawUser),
      ratio('Post search vs raw mysql2', 'throughput at saturation', rows.search, rows.rawSearch),
      ratio('Post search vs raw mysql2', 'p50 at the fixed rate', rows.search, rows.rawSearch),
      ratio('Upload to ready vs raw sharp', 'throughput at saturation', rows.upload, rows.sharp),
      ratio('Upload to ready vs raw sharp', 'p50 at the fixed rate', rows.upload, rows.sharp),
    ];
    report.ratios = ratios.filter((r): r is Ratio => r !== undefined);
    report.notes.push(
      `Data: ${people.length} Reed98 people, ${allFollows.length.toLocaleString('en')} follows (${apiFollows.follows.toLocaleString('en')} through the API), ` +
        `${posts.posts.length} posts by ${posts.mediaByAuthor.size} authors, celebrities with ${celebrities.map((c) => c.followers.toLocaleString('en')).join(' and ')} followers. ` +
        `MongoDB-protocol server: FerretDB over ${backend === 'postgresql' ? 'PostgreSQL' : 'SQLite'}.`,
    );
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await pageServer?.stop();
    report.serviceMetrics = await scrapeServices(system.services).catch(() => undefined);
    report.databaseActivity.statements = activity?.stop() ?? [];
    endLoad(machine);
    report.finishedAt = new Date().toISOString();
    report.durationS = Math.round((Date.now() - startedAt.getTime()) / 1000);
    const written = writeReport(outDir, report);
    process.stdout.write(`\n${written.markdown}\n`);
    step(`report written to ${written.dir}`);
    step('stopping the system and removing its data');
    await system.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    if (err instanceof RateLimitedError) {
      process.stderr.write(`\nThe system rate-limited the load (${err.message}).\n`);
    } else {
      process.stderr.write(`\nThe benchmark failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    }
    process.exit(1);
  },
);
