/**
 * `npm run seed` against the one-machine system: a small slice of Reed98 (16 people) loads
 * through the entry point, every home timeline is full when the seed returns (a friend finds the
 * posts at once), and a second run adds nothing.
 */
import { timelineRoutes } from '@lumina/contract';
import { ApiClient, firstNodes, readReed98, reedAccount } from '@lumina/datasets';
import { seed } from '@lumina/local/seed';
import { expectStatus, startE2eSystem, type E2eSystem } from './support';

const PEOPLE = 16;
let e2e: E2eSystem;
beforeAll(async () => {
  e2e = await startE2eSystem();
}, 120_000);
afterAll(() => e2e?.stop(), 60_000);

test('seeds people, follows both ways, posts with photos; a friend sees them; a second run adds nothing', async () => {
  const graph = firstNodes(readReed98(), PEOPLE);
  const authors = Array.from({ length: PEOPLE }, (_, node) => node).filter((node) => node % 3 === 0);

  const first = await seed(e2e.url, PEOPLE);
  expect(first).toMatchObject({ created: PEOPLE, signedIn: 0, follows: graph.friendships.length * 2, skippedAuthors: 0, homesNotFull: 0 });
  expect(first.posts).toHaveLength(authors.length * 3);

  // A friend of an author signs in through the entry point and finds the author's posts at home,
  // with no waiting: the seed waited until every home was full.
  const [author, friend] = graph.friendships.map(([a, b]) => (a % 3 === 0 ? [a, b] : [b, a])).find(([a]) => a! % 3 === 0)!;
  const authorSpec = reedAccount(author!);
  const friendSpec = reedAccount(friend!);
  const reader = new ApiClient(e2e.url, { checkAnswers: true });
  await reader.signIn(friendSpec);
  const home = await reader.send(timelineRoutes.home);
  expectStatus(home, 200);
  const theirs = home.body.items.filter((p) => p.author.username === authorSpec.username);
  expect(theirs).toHaveLength(3);
  expect(theirs.every((p) => p.media.length === 1)).toBe(true);

  const again = await seed(e2e.url, PEOPLE);
  expect(again).toMatchObject({ created: 0, signedIn: PEOPLE, skippedAuthors: authors.length, engaged: 0, homesNotFull: 0 });
  expect(again.posts).toHaveLength(0);
}, 150_000);
