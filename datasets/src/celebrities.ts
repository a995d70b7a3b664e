/**
 * Generated graphs on top of Reed98: an account followed by 10,000 others (fanned out: the
 * threshold is "more than 10,000") and one followed by 100,000 (merged at read time). A sample of
 * Reed98 people ("fans") follow both through the API, so their home timelines can be read and
 * their follows go through the real pipeline; the other followers are synthetic ids written
 * straight into timeline's copy of the graph (see direct.ts for why).
 */
import { ApiClient } from './api';
import { runBounded } from './util/pool';
import { ProgressBar } from './util/progress';
import { writeTimelineEdges } from './direct';
import type { LoadedPerson } from './graph-loader';
import type { mongo } from 'mongoose';

export interface Celebrity {
  name: string;
  client: ApiClient;
  followers: number;
  synthetic: number;
  syntheticMs: number;
}

export async function createCelebrity(baseUrl: string, username: string, displayName: string): Promise<ApiClient> {
  const client = new ApiClient(baseUrl);
  await client.signUpOrIn({ username, email: `${username}@bench.lumina.test`, password: 'a celebrity password', displayName });
  return client;
}

/** Fans follow each celebrity through the API. */
export async function fansFollow(
  fans: LoadedPerson[],
  celebrities: ApiClient[],
  timeLimitMs: number,
): Promise<{ follows: number; ms: number }> {
  const pairs = celebrities.flatMap((celebrity) => fans.map((fan) => ({ fan, celebrity })));
  const bar = new ProgressBar('celebrities: fans follow (API)', pairs.length);
  const outcome = await runBounded(pairs, ({ fan, celebrity }) => fan.client.follow(celebrity.id), {
    concurrency: 8,
    timeLimitMs,
    onSettled: (ok) => bar.tick(1, ok ? 0 : 1),
  });
  const ms = bar.finish();
  if (outcome.failed + outcome.skipped > 0)
    throw new Error(`fans' follows: ${outcome.failed} failed, ${outcome.skipped} left (${outcome.errors[0] ?? 'time limit'})`);
  return { follows: outcome.completed, ms };
}

/** Tops a celebrity's followers up to `total` with synthetic ids, straight into timeline's copy. */
export async function addSyntheticFollowers(
  timelineDb: mongo.Db,
  celebrity: ApiClient,
  name: string,
  total: number,
  fans: number,
): Promise<Celebrity> {
  const synthetic = Math.max(0, total - fans);
  const edges = Array.from({ length: synthetic }, (_, i) => ({ followerId: `synthetic-${name}-${i}`, followeeId: celebrity.id }));
  const started = Date.now();
  await writeTimelineEdges(timelineDb, edges, `${name}: ${synthetic.toLocaleString('en')} followers (direct)`);
  return { name, client: celebrity, followers: fans + synthetic, synthetic, syntheticMs: Date.now() - started };
}
