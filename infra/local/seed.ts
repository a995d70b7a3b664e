/**
 * `npm run seed`: fills a running Lumina (LUMINA_URL, default http://127.0.0.1:8080) with the
 * Reed College social graph through the public API, so feeds, search and explore have content:
 * 962 people sign up (or sign in, when a previous run made them), every friendship becomes a
 * follow both ways (37,624), every third person posts three photos with captions and hashtags,
 * and friends like and comment on them. Running it again skips what exists. The loaders are
 * @lumina/datasets (datasets/), which the benchmark uses too.
 *
 * SEED_PEOPLE=n loads only the first n people (and the friendships among them).
 */
import { authRoutes, MAX_PAGE_SIZE, postsRoutes, timelineRoutes } from '@lumina/contract';
import {
  ApiClient,
  firstNodes,
  formatSeconds,
  loadFollows,
  loadPeople,
  loadPosts,
  pick,
  ProgressBar,
  RateLimitedError,
  readReed98,
  runBounded,
  seededRandom,
  sleep,
  type LoadedPerson,
} from '@lumina/datasets';

const LIMITS_HINT =
  'Seeding signs up and signs in ~1,000 people from one address. A plain `npm start` allows that (its limits per\n' +
  'address are sized for one laptop); this Lumina was started with tighter ones (SIGNUP_MAX_PER_ADDRESS,\n' +
  'SIGNIN_MAX_PER_ADDRESS) or is not the one-machine mode. Restart it without them, then seed again:\n\n' +
  '  npm start\n';

const COMMENTS = ['Love this!', 'Beautiful light.', 'Where is this?', 'Great shot 📷', 'Miss this place', 'So good'];

async function reachable(url: string): Promise<boolean> {
  try {
    return (await new ApiClient(url).send(authRoutes.currentUser)).status === 200;
  } catch {
    return false;
  }
}

/** Friends like (and sometimes comment on) each new post: explore ranks by this engagement. */
async function engage(
  posts: Array<{ id: string; authorId: string }>,
  people: LoadedPerson[],
  friendsOf: Map<string, LoadedPerson[]>,
): Promise<number> {
  const random = seededRandom(7);
  const actions: Array<() => Promise<void>> = [];
  for (const post of posts) {
    const friends = friendsOf.get(post.authorId) ?? people;
    const likers = new Set<LoadedPerson>();
    for (let i = 0; i < Math.min(3, friends.length); i += 1) likers.add(pick(friends, random));
    for (const liker of likers) actions.push(() => liker.client.ok(postsRoutes.like, { params: { id: post.id } }).then(() => undefined));
    if (random() < 0.25 && friends.length > 0) {
      const commenter = pick(friends, random);
      const body = pick(COMMENTS, random);
      actions.push(() => commenter.client.ok(postsRoutes.addComment, { params: { id: post.id }, body: { body } }).then(() => undefined));
    }
  }
  const bar = new ProgressBar('likes and comments', actions.length);
  const outcome = await runBounded(actions, (action) => action(), {
    concurrency: 8,
    timeLimitMs: 10 * 60_000,
    onSettled: (ok) => bar.tick(1, ok ? 0 : 1),
  });
  bar.finish();
  return outcome.completed;
}

/** How long the seed waits for the timeline service to bring every new post home. */
const HOMES_TIME_LIMIT_MS = 10 * 60_000;

/**
 * Waits until every person's home timeline holds each post this run made that belongs there
 * (their own, and those of everyone they follow), reading each home through the API, page by
 * page, as the person would. Answers how long that took and how many homes still missed a post
 * when the time ran out (0: every home is full).
 */
async function waitForFullHomes(
  people: LoadedPerson[],
  friendsOf: Map<string, LoadedPerson[]>,
  posts: Array<{ id: string; authorId: string }>,
): Promise<{ ms: number; notFull: number }> {
  let waiting = people
    .map((person) => {
      // Every friendship is a follow both ways, and one's own posts are at home too.
      const followed = new Set([person.client.id, ...(friendsOf.get(person.client.id) ?? []).map((f) => f.client.id)]);
      return { person, missing: new Set(posts.filter((p) => followed.has(p.authorId)).map((p) => p.id)) };
    })
    .filter((home) => home.missing.size > 0);
  const bar = new ProgressBar('home timelines full', waiting.length);
  const deadline = Date.now() + HOMES_TIME_LIMIT_MS;
  while (waiting.length > 0 && Date.now() < deadline) {
    await runBounded(
      waiting,
      async ({ person, missing }) => {
        // Newest first, so this run's posts come before any an earlier run made.
        let cursor: string | undefined;
        do {
          const page = await person.client.ok(timelineRoutes.home, {
            query: { limit: String(MAX_PAGE_SIZE), ...(cursor ? { cursor } : {}) },
          });
          for (const item of page.items) missing.delete(item.id);
          cursor = page.nextCursor ?? undefined;
        } while (missing.size > 0 && cursor);
        if (missing.size === 0) bar.tick();
      },
      { concurrency: 8, timeLimitMs: Math.max(0, deadline - Date.now()) },
    );
    waiting = waiting.filter((home) => home.missing.size > 0);
    if (waiting.length > 0) await sleep(1000);
  }
  return { ms: bar.finish(waiting.length > 0 ? `${waiting.length} not full yet` : undefined), notFull: waiting.length };
}

export interface SeedSummary {
  created: number;
  signedIn: number;
  follows: number;
  posts: Array<{ id: string; authorId: string }>;
  skippedAuthors: number;
  engaged: number;
  /** Homes that still missed one of this run's posts when the seed stopped waiting (0: all full). */
  homesNotFull: number;
  /** How long after the last like every home was found full (or the wait ran out). */
  homesMs: number;
  /** An account to sign in with. */
  sample: { email: string; password: string };
}

/** Seeds the Lumina at `url` with the first `people` people of Reed98 (all 962 by default). */
export async function seed(url: string, people = 962): Promise<SeedSummary> {
  const graph = firstNodes(readReed98(), people);
  process.stderr.write(
    `Seeding ${url} with ${graph.name}: ${graph.nodes} people, ${(graph.friendships.length * 2).toLocaleString('en')} follows\n`,
  );

  const options = { signUpConcurrency: 4, followConcurrency: 8, timeLimitMs: 60 * 60_000 };
  const accounts = await loadPeople(url, graph, options);
  const follows = await loadFollows(accounts.people, graph, options);

  const friendsOf = new Map<string, LoadedPerson[]>();
  for (const [a, b] of graph.friendships) {
    const pa = accounts.people[a]!;
    const pb = accounts.people[b]!;
    friendsOf.set(pa.client.id, [...(friendsOf.get(pa.client.id) ?? []), pb]);
    friendsOf.set(pb.client.id, [...(friendsOf.get(pb.client.id) ?? []), pa]);
  }
  const authors = accounts.people.filter((p) => p.spec.node % 3 === 0);
  const posts = await loadPosts(
    authors.map((p) => ({ client: p.client, seed: p.spec.node })),
    {
      postsPerAuthor: 3,
      concurrency: 4,
      timeLimitMs: 60 * 60_000,
      photoPool: 24,
      photoSize: 800,
      label: 'posts',
      skipAuthorsWithPosts: true,
    },
  );
  const engaged = await engage(posts.posts, accounts.people, friendsOf);
  const homes = await waitForFullHomes(accounts.people, friendsOf, posts.posts);
  const sample = accounts.people[0]!.spec;
  return {
    created: accounts.created,
    signedIn: accounts.signedIn,
    follows: follows.follows,
    posts: posts.posts,
    skippedAuthors: posts.skippedAuthors,
    engaged,
    homesNotFull: homes.notFull,
    homesMs: homes.ms,
    sample: { email: sample.email, password: sample.password },
  };
}

async function main(): Promise<void> {
  const url = (process.env.LUMINA_URL ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
  const started = Date.now();
  if (!(await reachable(url))) {
    process.stderr.write(`Lumina does not answer at ${url}. Start it first (in another terminal):\n\n  npm start\n\nor set LUMINA_URL.\n`);
    process.exit(1);
  }
  const result = await seed(url, Number(process.env.SEED_PEOPLE ?? 962));
  process.stderr.write(
    `\nSeeded in ${formatSeconds((Date.now() - started) / 1000)}: ${result.created} new people (${result.signedIn} already there), ` +
      `${result.follows.toLocaleString('en')} follows, ${result.posts.length} new posts (${result.skippedAuthors} authors already had posts), ${result.engaged} likes and comments.\n` +
      (result.homesNotFull === 0
        ? `Every home timeline holds its new posts (all checked through the API ${formatSeconds(result.homesMs / 1000)} after the last like).\n`
        : `${result.homesNotFull} home timelines still miss some of the new posts after ${formatSeconds(result.homesMs / 1000)}: the timeline ` +
          'service is still working through the follow and post events (with FerretDB over SQLite, npm start without a PostgreSQL ' +
          'or mongod, that takes much longer: bench/README.md says why).\n') +
      `Sign in as any of them, e.g. ${result.sample.email} / ${result.sample.password}.\n`,
  );
  if (result.homesNotFull > 0) process.exitCode = 1;
}

if (require.main === module) {
  main().catch((err: unknown) => {
    if (err instanceof RateLimitedError) {
      process.stderr.write(`\n${err.message}\n\n${LIMITS_HINT}`);
    } else {
      process.stderr.write(`\nSeeding failed: ${err instanceof Error ? err.message : String(err)}\n`);
    }
    process.exit(1);
  });
}
