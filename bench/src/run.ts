/**
 * `npm run bench` (add `-- --quick` for a short run): starts a fresh, isolated one-machine Lumina,
 * loads the data, runs every workload, the pipeline measurements and the baselines, writes
 * bench/results/<date>/report.md and report.json, prints the tables, and removes what it made.
 * All traffic goes to 127.0.0.1.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { mongo } from 'mongoose';
import { timelineRoutes } from '@lumina/contract';
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
  type LoadedPerson,
  loadFollows,
  loadPeople,
  loadPosts,
  pick,
  type PostLoadResult,
  RateLimitedError,
  readReed98,
  seededRandom,
  type SocialGraph,
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
  // keeps the flag as its own setting and hands it over as npm_config_quick (so for each flag).
  if (process.env.npm_config_quick === 'true') args.mode = 'quick';
  if (process.env.npm_config_backend) args.backend = process.env.npm_config_backend as MongoBackend;
  if (process.env.npm_config_out) args.out = process.env.npm_config_out;
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

// ---- the run's phases ---------------------------------------------------------------------
// main() runs them in order; each adds its rows to the report, and returns what later phases use.

/** What every phase shares: the plan, the running system, the report it fills and its helpers. */
interface Run {
  plan: Plan;
  backend: MongoBackend;
  system: BenchSystem;
  report: BenchReport;
  /** timeline's MongoDB database (the follow graph's copy the loaders write to). */
  timelineDb: mongo.Db;
  /** The workload rows by key, for the ratios. */
  rows: Record<string, WorkloadRow>;
  /** The bare Express baseline while it runs (stopped on an interruption too). */
  pageServer?: PageServer;
}

/** Adds a workload's row to the report (the fixed rate it ran at stays out of it). */
function addRow(run: Run, key: string, { rate: _rate, ...row }: WorkloadRow & { rate?: number }): void {
  run.rows[key] = row;
  run.report.workloads.push(row);
}

/** Waits until the system has handled every event, noting how long that took and what was left. */
async function quiet(run: Run, after: string): Promise<void> {
  const result = await waitForQuiet(run.system.bus, `catching up after ${after}`, run.plan.quietTimeoutMs);
  run.report.catchUp.push({ after, ms: result.ms, left: result.left });
  if (result.left > 0)
    run.report.notes.push(`After ${after}, ${result.left} messages were still waiting (${result.busiest}) when the wait ended.`);
}

/** PostgreSQL where it answers (the faster backend), else FerretDB over SQLite unless one was asked for. */
function chooseBackend(args: Args): MongoBackend {
  const backend: MongoBackend = args.backend ?? 'postgresql';
  if (backend !== 'postgresql' || postgresAvailable()) return backend;
  if (args.backend)
    throw new Error('PostgreSQL is not reachable (POSTGRES_URL, default postgres://root@127.0.0.1:5432) or psql is missing');
  step('PostgreSQL is not reachable: running on FerretDB over SQLite (slow at these sizes; see bench/README.md)');
  return 'sqlite';
}

function emptyReport(plan: Plan, startedAt: Date, machine: BenchReport['machine']): BenchReport {
  return {
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
}

/** Ctrl-C or a TERM stops the system and removes its data (a second Ctrl-C leaves it). Answers the remover. */
function stopOnSignals(run: Run): () => void {
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    step('interrupted: stopping the system and removing its data (Ctrl-C again to leave it)');
    void (async () => {
      await run.pageServer?.stop();
      await run.system.stop();
      process.exit(130);
    })();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}

/**
 * Runs a measurement and adds the exact counts of what it asked of timeline's MongoDB (its
 * PostgreSQL schema under FerretDB), where the backend is PostgreSQL.
 */
function timelineDbWatcher(run: Run): (work: () => Promise<Measured>) => Promise<Measured & Pick<WorkloadRow, 'extra'>> {
  const { system } = run;
  const tables = system.postgresDatabase
    ? new TableActivity(process.env.POSTGRES_URL ?? 'postgres://root@127.0.0.1:5432', system.postgresDatabase)
    : undefined;
  return async (work) => {
    if (!tables) return work();
    const { result, activity } = await tables.during([`${system.prefix}timeline`], work);
    const [timeline] = activity;
    return {
      ...result,
      extra: { "queries on timeline's MongoDB": timeline!.scans, "rows written in timeline's MongoDB": timeline!.writes },
    };
  };
}

/**
 * Runs `work` and adds, per item it reports (a post composed), the queries and row writes it
 * caused in each named service's MongoDB (its PostgreSQL schema under FerretDB), where the
 * backend is PostgreSQL: what a write costs the document store, which bounds its rate here.
 */
async function databaseWorkPer(
  run: Run,
  services: string[],
  work: () => Promise<{ result: Measured; items: number }>,
): Promise<Measured & Pick<WorkloadRow, 'extra'>> {
  const { system } = run;
  if (!system.postgresDatabase) return (await work()).result;
  const tables = new TableActivity(process.env.POSTGRES_URL ?? 'postgres://root@127.0.0.1:5432', system.postgresDatabase);
  const { result: done, activity } = await tables.during(
    services.map((s) => `${system.prefix}${s}`),
    work,
  );
  const per = (n: number) => Math.round((n / Math.max(1, done.items)) * 10) / 10;
  const extra: Record<string, number> = {};
  services.forEach((s, i) => {
    extra[`queries per post on ${s}'s MongoDB`] = per(activity[i]!.scans);
    extra[`rows written per post in ${s}'s MongoDB`] = per(activity[i]!.writes);
  });
  return { ...done.result, extra };
}

async function probeStorage(run: Run): Promise<void> {
  if (!postgresAvailable()) return;
  run.report.storageProbe = await runStorageProbe({
    tag: run.system.tag,
    sizes: run.plan.probe.sizes,
    times: run.plan.probe.times,
    backends: ['sqlite', 'postgresql'],
  });
}

interface LoadedGraph {
  graph: SocialGraph;
  people: LoadedPerson[];
  /** How many follows the graph makes (both ways of each friendship). */
  followCount: number;
  /** How many of them went through the API. */
  apiFollowCount: number;
}

/** The Reed98 people sign up; some follows go through the API, the rest straight into the stores. */
async function loadReed98(run: Run): Promise<LoadedGraph> {
  const { plan, system, report } = run;
  const graph = firstNodes(readReed98(), plan.people);
  const loadOptions = { signUpConcurrency: 4, followConcurrency: 16, timeLimitMs: plan.loadTimeLimitMs };
  const accounts = await loadPeople(system.url, graph, loadOptions);
  const people = accounts.people;
  report.load.push({
    step: `${graph.name}: accounts`,
    count: people.length,
    ms: accounts.signUpMs,
    rate: accounts.signUpsPerSecond,
    how: 'POST /api/v1/users/signup, 4 at a time (argon2id)',
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
    how: 'PUT /api/v1/users/:id/follow, 16 at a time',
  });
  const direct: Edge[] = graph.friendships.slice(Math.ceil(viaApi / 2)).flatMap(([a, b]) => [
    { followerId: people[a]!.client.id, followeeId: people[b]!.client.id },
    { followerId: people[b]!.client.id, followeeId: people[a]!.client.id },
  ]);
  if (direct.length > 0) {
    const t = Date.now();
    await writeAuthEdges(system.mysql('auth'), direct, `${graph.name}: other follows → auth (direct)`);
    await writeTimelineEdges(run.timelineDb, direct, `${graph.name}: other follows → timeline (direct)`);
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
  return { graph, people, followCount: allFollows.length, apiFollowCount: apiFollows.follows };
}

interface LoadedCelebrities {
  /** The Reed98 people who follow the celebrities (their home pages merge the big account). */
  fans: LoadedPerson[];
  clients: ApiClient[];
  celebrities: Celebrity[];
}

/** The celebrity accounts: fans follow them through the API, the rest of their followers are synthetic. */
async function loadCelebrities(run: Run, people: LoadedPerson[]): Promise<LoadedCelebrities> {
  const { plan, system, report } = run;
  const random = seededRandom(98);
  const shuffled = [...people].sort(() => random() - 0.5);
  const fans = shuffled.slice(0, plan.fans);
  const clients: ApiClient[] = [];
  for (const c of plan.celebrities) clients.push(await createCelebrity(system.url, `celeb_${c.followers}`, `The ${c.name}`));
  const fanFollows = await fansFollow(fans, clients, plan.loadTimeLimitMs);
  report.load.push({
    step: 'fans follow the celebrities',
    count: fanFollows.follows,
    ms: fanFollows.ms,
    rate: (fanFollows.follows / fanFollows.ms) * 1000,
    how: 'PUT /api/v1/users/:id/follow',
  });
  const celebrities: Celebrity[] = [];
  for (const [i, c] of plan.celebrities.entries()) {
    const celebrity = await addSyntheticFollowers(run.timelineDb, clients[i]!, c.name, c.followers, fans.length);
    celebrities.push(celebrity);
    report.load.push({
      step: `${c.name}: synthetic followers`,
      count: celebrity.synthetic,
      ms: celebrity.syntheticMs,
      rate: (celebrity.synthetic / celebrity.syntheticMs) * 1000,
      how: "written into timeline's copy (bench only; no accounts)",
    });
  }
  return { fans, clients, celebrities };
}

/**
 * Follows written behind timeline's back made no feeds; a viewer without one is inactive and
 * gets no fan-out. The rebuild command builds every feed, as after a lost Redis.
 */
async function rebuildFeeds(run: Run, people: LoadedPerson[], celebrities: Celebrity[]): Promise<void> {
  const rebuildStarted = Date.now();
  await run.system.rebuildTimelineFeeds();
  const viewers = people.length + celebrities.reduce((n, c) => n + c.synthetic, 0);
  run.report.load.push({
    step: "timeline's feeds rebuilt from MongoDB (npm run -w timeline rebuild-feeds)",
    count: viewers,
    ms: Date.now() - rebuildStarted,
    rate: (viewers / (Date.now() - rebuildStarted)) * 1000,
    how: 'one pass over the follows, posts and likes copies; one feed per viewer',
  });
}

interface LoadedPosts {
  posts: PostLoadResult;
  /** Reed98's most followed person (always among the authors). */
  busiest: LoadedPerson;
  /** Each celebrity's ready photo, by account id, for their posts later. */
  celebrityMedia: Map<string, string>;
}

/** Every `authorEvery`-th person (and the most followed) posts photos; each celebrity gets one ready photo. */
async function loadAuthorsPosts(run: Run, graph: SocialGraph, people: LoadedPerson[], celebrities: Celebrity[]): Promise<LoadedPosts> {
  const { plan, report } = run;
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
    how: `${posts.uploads} uploads (${plan.loadPhotoSize}² JPEG) to ready, then POST /api/v1/posts, 4 authors at a time`,
  });
  const [celebPhoto] = await generatePhotoPool(1, plan.loadPhotoSize, 'celebrity photo');
  const celebrityMedia = new Map<string, string>();
  for (const c of celebrities) {
    const media = await c.client.upload(celebPhoto!, 'celebrity.jpg', 'A generated photo');
    await c.client.waitUntilReady(media.id);
    celebrityMedia.set(c.client.id, media.id);
  }
  return { posts, busiest, celebrityMedia };
}

/** Who the workloads act as: the viewers are the people who are not fans (whose homes stay plain). */
function workloadPools(run: Run, people: LoadedPerson[], fans: LoadedPerson[], posts: PostLoadResult): WorkloadPools {
  const fanSet = new Set(fans);
  return {
    baseUrl: run.system.url,
    viewers: people.filter((p) => !fanSet.has(p)).map((p) => p.client),
    authors: [...posts.mediaByAuthor.keys()],
    composers: [...posts.mediaByAuthor.entries()]
      .slice(0, run.plan.composers)
      .map(([id, mediaId]) => ({ client: people.find((p) => p.client.id === id)!.client, mediaId })),
    searchWords: searchVocabulary(people.map((p) => p.spec.displayName)),
    suggestPrefixes: suggestionPrefixes(
      people.map((p) => p.spec.username),
      people.map((p) => p.spec.displayName),
    ),
  };
}

/** From a post by Reed98's most followed person to every follower's home, while every author is fanned out. */
async function measureReedPipeline(run: Run, loaded: LoadedGraph, { posts, busiest }: LoadedPosts): Promise<void> {
  const { system, plan, timelineDb } = run;
  const { graph, people } = loaded;
  const busiestFollowers = await timelineDb.collection('follows').countDocuments({ followeeId: busiest.client.id, state: 'active' });
  const friendsOfBusiest = graph.friendships.flatMap(([a, b]) => (a === busiest.spec.node ? [b] : b === busiest.spec.node ? [a] : []));
  run.report.pipeline.push(
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
}

/**
 * The reads (home, a user's posts, search, suggestions) through the gateway, each beside its
 * baseline (a bare Express page, the raw queries), no author merged at read time yet. Answers
 * the raw home-page operation, measured again once an account is merged at read time.
 */
async function measureReads(run: Run, pools: WorkloadPools, fresh: () => Promise<unknown>): Promise<() => Promise<void>> {
  const { plan, system, report } = run;
  const { durationS } = plan;
  const reads = plan.saturation.read;
  const watchingTimelineDb = timelineDbWatcher(run);
  const viewers = pools.viewers;
  const pageBody = JSON.stringify(await viewers[0]!.ok(timelineRoutes.home, { query: { limit: '20' } }));
  report.notes.push(
    `The bare Express baseline answers a real home-timeline page of ${Buffer.byteLength(pageBody).toLocaleString('en')} bytes.`,
  );
  const home = await watchingTimelineDb(() => measureHttp(homeRead(pools), { upTo: plan.rates.read }, reads, durationS));
  addRow(run, 'home', { name: 'home timeline page', target: 'gateway', ...home });
  run.pageServer = await startPageServer(pageBody);
  const pageBaseline: HttpWorkload = {
    name: 'bare Express page',
    baseUrl: run.pageServer.url,
    ok: [200],
    next: () => ({ method: 'GET', path: '/page' }),
  };
  addRow(run, 'page', {
    name: 'bare Express, same page (baseline)',
    target: 'baseline',
    ...(await measureHttp(pageBaseline, home.rate, reads, durationS)),
  });
  await run.pageServer.stop();
  run.pageServer = undefined;
  const timelinePort = homeRead({ ...pools, baseUrl: system.services.timeline! });
  addRow(run, 'homeDirect', {
    name: 'home timeline page',
    target: 'service',
    ...(await watchingTimelineDb(() => measureHttp(timelinePort, home.rate, reads, durationS))),
  });
  const rawPage = timelinePage(system.timelineRedis);
  const viewerIds = viewers.map((v) => v.id);
  const r1 = seededRandom(21);
  const rawHomeOnce = async () => void (await rawPage(pick(viewerIds, r1)));
  addRow(run, 'rawHome', {
    name: 'raw node-redis: the home page commands (baseline)',
    target: 'baseline',
    ...(await measureInProcess('raw home page', rawHomeOnce, home.rate, reads, durationS)),
  });

  const user = await measureHttp(userPostsRead(pools), { upTo: plan.rates.read }, reads, durationS);
  addRow(run, 'user', { name: "a user's posts page", target: 'gateway', ...user });
  const rawUser = userPostsPage(system.mongoDb('posts'));
  const r2 = seededRandom(22);
  const rawUserOnce = async () => void (await rawUser(pick(pools.authors, r2), pick(viewerIds, r2)));
  addRow(run, 'rawUser', {
    name: "raw driver: the user's-posts queries (baseline)",
    target: 'baseline',
    ...(await measureInProcess('raw user posts', rawUserOnce, user.rate, reads, durationS)),
  });

  await fresh();
  const search = await measureHttp(searchPosts(pools), { upTo: plan.rates.search }, reads, durationS);
  addRow(run, 'search', { name: 'post search', target: 'gateway', ...search });
  const rawSearchQuery = rawSearch(system.mysql('search'));
  const r3 = seededRandom(23);
  const rawSearchOnce = async () => void (await rawSearchQuery(pick(pools.searchWords, r3)));
  addRow(run, 'rawSearch', {
    name: 'raw mysql2: the post-search query (baseline)',
    target: 'baseline',
    ...(await measureInProcess('raw search', rawSearchOnce, search.rate, reads, durationS)),
  });
  addRow(run, 'suggest', {
    name: 'search suggestions',
    target: 'gateway',
    ...(await measureHttp(suggest(pools), { upTo: plan.rates.suggest }, reads, durationS)),
  });
  return rawHomeOnce;
}

/** Composing posts, then the mixed workload, each followed by the wait until its events are handled. */
async function measureWrites(run: Run, pools: WorkloadPools, fresh: () => Promise<unknown>): Promise<void> {
  const { plan } = run;
  await fresh();
  // What composing asks of each MongoDB-backed service's database, per post: the services' own
  // writes and their consumers' (counted until every event of the posts is handled).
  const composing = await databaseWorkPer(run, ['posts', 'timeline', 'media'], async () => {
    const measured = await measureHttp(composePost(pools), { upTo: plan.rates.compose }, plan.saturation.compose, plan.durationS);
    await quiet(run, 'composing');
    return { result: measured, items: (measured.saturation?.ok ?? 0) + (measured.fixed?.ok ?? 0) };
  });
  addRow(run, 'compose', { name: 'compose a post', target: 'gateway', ...composing });
  await fresh();
  addRow(run, 'mixed', {
    name: 'mixed: 60% home, 30% user, 10% compose',
    target: 'gateway',
    ...(await measureHttp(mixed(pools), { upTo: plan.rates.mixed }, plan.saturation.read, plan.durationS)),
  });
  await quiet(run, 'the mixed workload');
}

/** Image upload to ready through the gateway, beside the same image work in raw sharp. */
async function measureImages(run: Run, viewers: ApiClient[], fresh: () => Promise<unknown>): Promise<void> {
  const { plan } = run;
  await fresh();
  const photos: Buffer[] = [];
  const uploadHeight = Math.round((plan.uploadPhotoSize * 3) / 4);
  for (let i = 0; i < 8; i += 1)
    photos.push(await generatePhoto(5000 + i, { width: plan.uploadPhotoSize, height: uploadHeight, orientation: i % 2 === 0 ? 6 : 1 }));
  const uploadPlan = new UploadPlan(viewers.slice(0, 40), photos);
  step('measuring image upload to ready');
  const uploadFixed = await runUploads(uploadPlan, { kind: 'fixed', rate: plan.rates.upload }, plan.durationS * 2);
  await quiet(run, 'uploads at the fixed rate');
  const uploadSat = await runUploads(uploadPlan, { kind: 'saturation', concurrency: plan.saturation.upload }, plan.durationS * 2);
  addRow(run, 'upload', {
    name: `image upload to ready (${plan.uploadPhotoSize}×${uploadHeight} JPEG)`,
    target: 'gateway',
    fixed: uploadFixed,
    saturation: uploadSat,
    extra: { 'time to 202 p50 (fixed)': uploadFixed.acceptedMs.p50, 'time to 202 p50 (saturation)': uploadSat.acceptedMs.p50 },
  });
  await quiet(run, 'uploads');
  let nextPhoto = 0;
  addRow(run, 'sharp', {
    name: 'raw sharp: the same image work (baseline)',
    target: 'baseline',
    ...(await measureInProcess(
      'raw sharp',
      () => renderLikeMedia(photos[nextPhoto++ % photos.length]!),
      plan.rates.upload,
      plan.saturation.sharp,
      plan.durationS * 2,
    )),
  });
}

/**
 * The generated accounts' posts, last because each changes what follows: 10,000 entries per post
 * of the fanned-out account make every later fan-out's work grow; the first post of the account
 * over the fan-out threshold marks it "merged at read time", and from then on every home read
 * asks whether the viewer follows it, so the home page is measured again after it.
 */
async function measureCelebrityPosts(
  run: Run,
  pools: WorkloadPools,
  { fans, celebrities }: LoadedCelebrities,
  { celebrityMedia }: LoadedPosts,
  rawHomeOnce: () => Promise<void>,
  fresh: () => Promise<unknown>,
): Promise<void> {
  const { plan, system, timelineDb } = run;
  const { durationS } = plan;
  const fanClients = fans.map((p) => p.client);
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
  const [tenK, hundredK] = celebrities; // fanned out (at the threshold), merged at read (over it)
  if (tenK) {
    await fresh();
    run.report.pipeline.push(await celebrityCase(tenK));
    await quiet(run, `${tenK.name}'s posts`);
  }
  if (!hundredK) return;
  await fresh();
  run.report.pipeline.push(await celebrityCase(hundredK));
  await quiet(run, `${hundredK.name}'s posts`);
  const homeAfter = await measureHttp(homeRead(pools, 'home (after)', 12), { upTo: plan.rates.read }, plan.saturation.compose, durationS);
  addRow(run, 'homeAfter', { name: 'home timeline page, once an account is merged at read time', target: 'gateway', ...homeAfter });
  const fansHome = homeRead({ baseUrl: system.url, viewers: fanClients }, 'home (merge)', 11);
  addRow(run, 'homeFans', {
    name: `home timeline page of a follower of the ${hundredK.followers.toLocaleString('en')}-follower account`,
    target: 'gateway',
    ...(await timelineDbWatcher(run)(() => measureHttp(fansHome, homeAfter.rate, plan.saturation.compose, durationS))),
  });
  addRow(run, 'rawHomeAfter', {
    name: 'raw node-redis: the home page commands, once an account is merged at read time (baseline)',
    target: 'baseline',
    ...(await measureInProcess('raw home page (after)', rawHomeOnce, homeAfter.rate, plan.saturation.compose, durationS)),
  });
}

/** The timeline service alone, with its followers loaded directly and then through events. */
async function measureTimelineAlone(run: Run): Promise<void> {
  const { servers } = run.system;
  for (const load of ['direct', 'events'] as const) {
    const size = run.plan.component[load];
    run.report.component.push(
      await runFanoutComponent({
        natsUrl: servers.natsUrl,
        natsAdminPassword: servers.natsPasswords.admin,
        mongoUrl: servers.mongoUrl,
        redisUrl: servers.redisUrl,
        followers: size.followers,
        posts: size.posts,
        reads: size.reads,
        load,
        timeLimitMs: run.plan.loadTimeLimitMs,
      }),
    );
  }
}

/** Each service figure set against its baseline's. */
function ratios(rows: Record<string, WorkloadRow>): Ratio[] {
  const all: Array<Ratio | undefined> = [
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
  return all.filter((r): r is Ratio => r !== undefined);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const backend = chooseBackend(args);
  const plan: Plan = planFor(args.mode, backend);
  const startedAt = new Date();
  const outDir = args.out ?? resultsDir(plan.mode, startedAt);
  const machine = machineInfo();
  const report = emptyReport(plan, startedAt, machine);
  step(`Lumina benchmark (${plan.mode}), results to ${outDir}`);

  const system = await startBenchSystem({ mongoBackend: backend, onProgress: (line) => process.stderr.write(`${line}\n`) });
  const run: Run = { plan, backend, system, report, timelineDb: system.mongoDb('timeline'), rows: {} };
  const stopListening = stopOnSignals(run);
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
    await probeStorage(run);

    // Loading: the graph, the celebrities, their feeds, the posts.
    const graph = await loadReed98(run);
    const celebrities = await loadCelebrities(run, graph.people);
    await rebuildFeeds(run, graph.people, celebrities.celebrities);
    const posts = await loadAuthorsPosts(run, graph.graph, graph.people, celebrities.celebrities);
    await quiet(run, 'loading');

    const pools = workloadPools(run, graph.people, celebrities.fans, posts.posts);
    const everyone = [...graph.people.map((p) => p.client), ...celebrities.clients];
    const fresh = () => ensureFreshTokens(everyone, (plan.durationS * 4 + 180) * 1000);

    // Measuring: the pipeline while every author is fanned out; reads once its events are all
    // handled (what the reads ask of the databases is theirs alone); writes; images; the
    // celebrities' posts last; the timeline service alone.
    await fresh();
    await measureReedPipeline(run, graph, posts);
    await quiet(run, 'the pipeline');
    await fresh();
    const rawHomeOnce = await measureReads(run, pools, fresh);
    await measureWrites(run, pools, fresh);
    await measureImages(run, pools.viewers, fresh);
    await measureCelebrityPosts(run, pools, celebrities, posts, rawHomeOnce, fresh);
    await measureTimelineAlone(run);

    report.ratios = ratios(run.rows);
    report.notes.push(
      `Data: ${graph.people.length} Reed98 people, ${graph.followCount.toLocaleString('en')} follows (${graph.apiFollowCount.toLocaleString('en')} through the API), ` +
        `${posts.posts.posts.length} posts by ${posts.posts.mediaByAuthor.size} authors, celebrities with ${celebrities.celebrities.map((c) => c.followers.toLocaleString('en')).join(' and ')} followers. ` +
        `MongoDB-protocol server: FerretDB over ${backend === 'postgresql' ? 'PostgreSQL' : 'SQLite'}.`,
    );
  } finally {
    stopListening();
    await run.pageServer?.stop();
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
