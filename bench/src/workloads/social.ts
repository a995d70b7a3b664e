/**
 * The workloads, after DeathStarBench's social network, on Lumina's API: read a home timeline
 * page, read a user's posts, compose a post, and their 60/30/10 mix; post search and
 * autocomplete suggestions. Each picks its user, author or query at random (seeded) from pools
 * the loaders filled, and sends the person's access token as a Bearer header. Each path is its
 * route's, from the contract's route tables (autocannon sends it, not the typed client).
 */
import { pathFor, postsRoutes, searchRoutes, timelineRoutes, type RouteInput } from '@lumina/contract';
import { type ApiClient, CAPTION_WORDS, generateCaption, pick, seededRandom } from '@lumina/datasets';
import type { HttpWorkload, RequestSpec } from './load-runner';

export interface Composer {
  client: ApiClient;
  mediaId: string;
}

export interface WorkloadPools {
  baseUrl: string;
  /** People whose home timelines are read. */
  viewers: ApiClient[];
  /** Authors (ids) whose posts are read. */
  authors: string[];
  /** People with a ready photo, who compose. */
  composers: Composer[];
  /** Words that occur in captions, usernames and display names. */
  searchWords: string[];
  /** Prefixes people type into the search box. */
  suggestPrefixes: string[];
}

function bearer(client: ApiClient): Record<string, string> {
  return { authorization: `Bearer ${client.accessToken}` };
}

export function homeRead(pools: Pick<WorkloadPools, 'baseUrl' | 'viewers'>, name = 'home timeline read', seed = 1): HttpWorkload {
  const random = seededRandom(seed);
  return {
    name,
    baseUrl: pools.baseUrl,
    ok: [200],
    next: () => ({
      method: 'GET',
      path: pathFor(timelineRoutes.home, { query: { limit: '20' } }),
      headers: bearer(pick(pools.viewers, random)),
    }),
  };
}

export function userPostsRead(pools: WorkloadPools, seed = 2): HttpWorkload {
  const random = seededRandom(seed);
  return {
    name: "user's posts read",
    baseUrl: pools.baseUrl,
    ok: [200],
    next: () => ({
      method: 'GET',
      path: pathFor(postsRoutes.postsByAuthor, { query: { authorId: pick(pools.authors, random), limit: '20' } }),
      headers: bearer(pick(pools.viewers, random)),
    }),
  };
}

export function composePost(pools: WorkloadPools, seed = 3): HttpWorkload {
  const random = seededRandom(seed);
  let n = 0;
  return {
    name: 'compose post',
    baseUrl: pools.baseUrl,
    ok: [201],
    next: () => {
      const composer = pick(pools.composers, random);
      n += 1;
      const caption = `${generateCaption(100_000 + seed * 100_000 + n)} (bench ${n})`;
      const body: RouteInput<typeof postsRoutes.createPost>['body'] = {
        caption,
        media: [{ id: composer.mediaId, alt: 'A generated photo' }],
      };
      return {
        method: 'POST',
        path: pathFor(postsRoutes.createPost),
        headers: { ...bearer(composer.client), 'content-type': 'application/json' },
        body: JSON.stringify(body),
      };
    },
  };
}

/** DeathStarBench's mixed workload: 60% home reads, 30% user reads, 10% composes. */
export function mixed(pools: WorkloadPools, seed = 4): HttpWorkload {
  const random = seededRandom(seed);
  const home = homeRead(pools, 'home', seed + 1);
  const user = userPostsRead(pools, seed + 2);
  const compose = composePost(pools, seed + 3);
  return {
    name: 'mixed 60/30/10',
    baseUrl: pools.baseUrl,
    ok: [200, 201],
    next: (): RequestSpec => {
      const r = random();
      return r < 0.6 ? home.next() : r < 0.9 ? user.next() : compose.next();
    },
  };
}

export function searchPosts(pools: WorkloadPools, seed = 5): HttpWorkload {
  const random = seededRandom(seed);
  return {
    name: 'post search',
    baseUrl: pools.baseUrl,
    ok: [200],
    next: () => ({
      method: 'GET',
      path: pathFor(searchRoutes.posts, { query: { q: pick(pools.searchWords, random), limit: '20' } }),
      headers: bearer(pick(pools.viewers, random)),
    }),
  };
}

export function suggest(pools: WorkloadPools, seed = 6): HttpWorkload {
  const random = seededRandom(seed);
  return {
    name: 'search suggestions',
    baseUrl: pools.baseUrl,
    ok: [200],
    next: () => ({
      method: 'GET',
      path: pathFor(searchRoutes.suggest, { query: { q: pick(pools.suggestPrefixes, random) } }),
      headers: bearer(pick(pools.viewers, random)),
    }),
  };
}

/** Words a person might search for: caption words, hashtags, names. */
export function searchVocabulary(displayNames: string[]): string[] {
  const names = displayNames.flatMap((n) => n.toLowerCase().split(/\s+/)).filter((w) => /^\p{L}{3,}$/u.test(w));
  return [
    ...new Set([...CAPTION_WORDS.places, ...CAPTION_WORDS.moods, ...CAPTION_WORDS.times, ...CAPTION_WORDS.tags, ...names.slice(0, 60)]),
  ];
}

/** What people type into the box: the first letters of usernames, names and hashtags. */
export function suggestionPrefixes(usernames: string[], displayNames: string[]): string[] {
  const prefixes = new Set<string>();
  for (const u of usernames.slice(0, 50)) prefixes.add(u.slice(0, 6));
  for (const n of displayNames.slice(0, 50)) prefixes.add(n.slice(0, 3).toLowerCase());
  for (const t of CAPTION_WORDS.tags) {
    prefixes.add(`#${t.slice(0, 2)}`);
    prefixes.add(t.slice(0, 4));
  }
  return [...prefixes].filter((p) => p.replace('#', '').length >= 2);
}
