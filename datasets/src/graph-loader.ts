/**
 * Loads a social graph through the public API, as its people would: each signs up (or signs in,
 * when a previous run made the account), then every follow is a PUT /api/v1/users/:id/follow by
 * the follower. Bounded in concurrency and in time; progress on stderr.
 */
import { ApiClient, ApiError } from './api';
import { ProgressBar } from './util/progress';
import { runBounded } from './util/pool';
import { followsOf, reedAccount, type PersonSpec, type SocialGraph } from './dataset';

export interface LoadedPerson {
  spec: PersonSpec;
  client: ApiClient;
}

export interface GraphLoadResult {
  people: LoadedPerson[];
  created: number;
  signedIn: number;
  follows: number;
  signUpMs: number;
  followMs: number;
  /** Sign-ups (argon2id hashing) per second, and follows per second, through the gateway. */
  signUpsPerSecond: number;
  followsPerSecond: number;
}

export interface GraphLoadOptions {
  /** Sign-ups at once: argon2id takes ~50–100 ms of a core each, so a few are enough. */
  signUpConcurrency: number;
  followConcurrency: number;
  timeLimitMs: number;
}

/** Sign-up or sign-in answered 429: the system's rate limits are too tight for a load. */
export class RateLimitedError extends Error {}

export async function loadPeople(
  baseUrl: string,
  graph: SocialGraph,
  options: GraphLoadOptions,
): Promise<Pick<GraphLoadResult, 'people' | 'created' | 'signedIn' | 'signUpMs' | 'signUpsPerSecond'>> {
  const specs = Array.from({ length: graph.nodes }, (_, node) => reedAccount(node));
  const people: LoadedPerson[] = specs.map((spec) => ({ spec, client: new ApiClient(baseUrl) }));
  let created = 0;
  const bar = new ProgressBar(`${graph.name}: accounts`, people.length);
  const outcome = await runBounded(
    people,
    async (person) => {
      try {
        if (await person.client.signUpOrIn(person.spec)) created += 1;
      } catch (err) {
        if (err instanceof ApiError && err.status === 429) throw new RateLimitedError(err.message);
        throw err;
      }
    },
    {
      concurrency: options.signUpConcurrency,
      timeLimitMs: options.timeLimitMs,
      failFast: true,
      onSettled: (ok) => bar.tick(1, ok ? 0 : 1),
    },
  );
  const ms = bar.finish();
  if (outcome.failed > 0 || outcome.skipped > 0) {
    const first = outcome.errors[0] ?? `${outcome.skipped} not started before the time limit`;
    if (/answered 429/.test(first)) throw new RateLimitedError(first);
    throw new Error(`loading accounts stopped: ${outcome.completed} done, ${outcome.failed} failed, ${outcome.skipped} left (${first})`);
  }
  return { people, created, signedIn: people.length - created, signUpMs: ms, signUpsPerSecond: (people.length / ms) * 1000 };
}

/** Every friendship as two follows, in a shuffled-by-follower order so no one account is hot. */
export async function loadFollows(
  people: LoadedPerson[],
  graph: SocialGraph,
  options: GraphLoadOptions,
): Promise<Pick<GraphLoadResult, 'follows' | 'followMs' | 'followsPerSecond'>> {
  const follows = followsOf(graph);
  const bar = new ProgressBar(`${graph.name}: follows`, follows.length);
  const outcome = await runBounded(
    follows,
    async ([follower, followee]) => {
      const from = people[follower];
      const to = people[followee];
      if (!from || !to) throw new Error(`no person ${follower} or ${followee}`);
      await from.client.follow(to.client.id);
    },
    { concurrency: options.followConcurrency, timeLimitMs: options.timeLimitMs, onSettled: (ok) => bar.tick(1, ok ? 0 : 1) },
  );
  const ms = bar.finish();
  if (outcome.failed > 0 || outcome.skipped > 0) {
    throw new Error(
      `loading follows stopped: ${outcome.completed} done, ${outcome.failed} failed, ${outcome.skipped} left (${outcome.errors[0] ?? 'time limit'})`,
    );
  }
  return { follows: outcome.completed, followMs: ms, followsPerSecond: (outcome.completed / ms) * 1000 };
}

export async function loadSocialGraph(baseUrl: string, graph: SocialGraph, options: GraphLoadOptions): Promise<GraphLoadResult> {
  const accounts = await loadPeople(baseUrl, graph, options);
  const follows = await loadFollows(accounts.people, graph, options);
  return { ...accounts, ...follows };
}
