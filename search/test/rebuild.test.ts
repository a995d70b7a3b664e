/**
 * Rebuilding the index by replaying the USERS and POSTS streams: the live tables keep serving
 * meanwhile, the switch is atomic, events that arrive during the rebuild are not lost, and the
 * result is the same index as the one the live listeners built.
 */
import { TestContext, eventually, testLogger } from '@lumina/common/testing';
import type { RowDataPacket } from 'mysql2/promise';
import { rebuildIndex } from '../src/replay';
import { LIVE_TABLES, type TableSet } from '../src/store/schema';
import { Events, ids, postState, startSearch, uid, userState, type SearchHarness } from './helpers';

const ctx = new TestContext();
let h: SearchHarness;

const QUERIES = [
  '/api/v1/search?q=heron',
  '/api/v1/search/posts?q=heron',
  '/api/v1/search/posts?q=the',
  '/api/v1/search/posts?q=river',
  '/api/v1/search/posts?q=estuary',
  '/api/v1/search/posts?q=corvid',
  '/api/v1/search/posts?q=x',
  '/api/v1/search/users?q=birder',
  '/api/v1/search/users?q=a',
  '/api/v1/search/hashtags?q=bird',
  '/api/v1/search/hashtags?q=w',
  '/api/v1/search/suggest?q=b',
  '/api/v1/search/hashtags/birds/posts',
  '/api/v1/search/hashtags/wetlands/posts',
];

async function answers(): Promise<unknown[]> {
  return Promise.all(QUERIES.map(async (path) => (await h.get(path).expect(200)).body));
}

const VISIBLE = 'version > 0 AND deleted = 0 AND author_deleted = 0';

async function dump(tables: TableSet) {
  const query = async (sql: string) => (await h.service.pool.query<RowDataPacket[]>(sql))[0];
  return {
    users: await query(`SELECT * FROM \`${tables.users}\` ORDER BY id`),
    // Hidden rows (tombstones, placeholders) keep whatever the order of handling left in their
    // other columns; what matters is that they are there, hidden, at the right version.
    posts: await query(`SELECT * FROM \`${tables.posts}\` WHERE ${VISIBLE} ORDER BY id`),
    hiddenPosts: await query(`SELECT id, version, deleted, author_deleted FROM \`${tables.posts}\` WHERE NOT (${VISIBLE}) ORDER BY id`),
    postHashtags: await query(`SELECT * FROM \`${tables.postHashtags}\` ORDER BY post_id, tag`),
    // Rows at zero are bookkeeping that depends on the order events were handled in.
    hashtags: await query(`SELECT * FROM \`${tables.hashtags}\` WHERE post_count > 0 ORDER BY tag`),
  };
}

const birder = userState({ id: uid('u'), username: 'birder_anna', displayName: 'Anna Birder', bio: 'Wetlands and waders' });
const renamed = userState({ id: uid('u'), username: 'old_name', displayName: 'Old Name' });
const leaver = userState({ id: uid('u'), username: 'leaving_lou' });
const minute = 60_000;
const at = (n: number) => new Date(Date.now() - 120 * minute + n * minute).toISOString();

beforeAll(async () => {
  h = await startSearch(ctx);
  // A history with everything the index handles: renames, deletes, edits, engagement, events out
  // of order and twice, and events the index ignores (follows).
  await h.publish(Events.userCreated, birder);
  await h.publish(Events.userUpdated, { ...renamed, username: 'new_name', displayName: 'Brand New', version: 2 });
  await h.publish(Events.userCreated, renamed);
  await h.publish(Events.userCreated, leaver);
  await h.publish(Events.userFollowed, { followerId: birder.id, followeeId: renamed.id, version: 1, occurredAt: at(0) });
  const posts = [
    postState({
      id: uid('p'),
      authorId: birder.id,
      caption: 'Grey heron on the river #birds #wetlands',
      hashtags: ['birds', 'wetlands'],
      createdAt: at(1),
      likeCount: 3,
    }),
    postState({ id: uid('p'), authorId: birder.id, caption: 'Egret in the estuary #birds', hashtags: ['birds'], createdAt: at(2) }),
    postState({ id: uid('p'), authorId: renamed.id, caption: 'A corvid convention #birds #x', hashtags: ['birds', 'x'], createdAt: at(3) }),
    postState({
      id: uid('p'),
      authorId: leaver.id,
      caption: 'Heron seen by someone who leaves #wetlands',
      hashtags: ['wetlands'],
      createdAt: at(4),
    }),
    postState({ id: uid('p'), authorId: birder.id, caption: 'Deleted heron picture #birds', hashtags: ['birds'], createdAt: at(5) }),
    postState({ id: uid('p'), authorId: renamed.id, caption: 'draft', hashtags: [], createdAt: at(6) }),
  ];
  const [river, estuary, corvid, leavers, deleted, edited] = posts as [
    (typeof posts)[number],
    (typeof posts)[number],
    (typeof posts)[number],
    (typeof posts)[number],
    (typeof posts)[number],
    (typeof posts)[number],
  ];
  await h.publish(Events.postUpdated, { ...edited, caption: 'Heron by the river, edited #waders', hashtags: ['waders'], version: 2 });
  for (const p of posts) await h.publish(Events.postCreated, p);
  await h.publish(Events.postCreated, river); // twice
  await h.publish(Events.postDeleted, { id: deleted.id, authorId: deleted.authorId, version: 2 });
  await h.publish(Events.postLiked, { postId: estuary.id, postAuthorId: birder.id, userId: renamed.id, likeCount: 7, version: 2 });
  await h.publish(Events.postUnliked, { postId: estuary.id, postAuthorId: birder.id, userId: renamed.id, likeCount: 6, version: 3 });
  await h.publish(Events.commentCreated, {
    id: uid('c'),
    postId: corvid.id,
    postAuthorId: renamed.id,
    authorId: birder.id,
    body: 'caw',
    mentions: [],
    commentCount: 1,
    createdAt: at(7),
    version: 1,
  });
  await h.publish(Events.commentDeleted, { id: uid('c'), postId: river.id, commentCount: 0, version: 4 });
  await h.publish(Events.userDeleted, { id: leaver.id, version: 2 });
  void leavers;
  await h.drained();
});
afterAll(() => ctx.cleanup());

it('yields the same results as the live index, while the live index keeps serving', async () => {
  const liveAnswers = await answers();
  const liveRows = await dump(LIVE_TABLES);
  // The history really is in the index (and the checks below are not comparing empty answers).
  expect(ids((await h.get('/api/v1/search/posts?q=heron').expect(200)).body)).toHaveLength(2);
  expect(liveRows.hashtags.map((r) => [r.tag, r.post_count])).toEqual([
    ['birds', 3],
    ['waders', 1],
    ['wetlands', 1],
    ['x', 1],
  ]);

  // (Worded so it changes none of the answers compared below.)
  const late = postState({ id: uid('p'), authorId: birder.id, caption: 'Latecomer spoonbill' });
  let answersDuringRebuild: unknown[] = [];
  let freshRows: Awaited<ReturnType<typeof dump>> | undefined;
  const report = await rebuildIndex({
    pool: h.service.pool,
    bus: h.service.bus,
    log: testLogger,
    beforeSwitch: async (fresh) => {
      answersDuringRebuild = await answers();
      freshRows = await dump(fresh);
      // An event handled now by the live listeners lands in the old tables; the catch-up after
      // the switch must carry it into the new ones.
      await h.publish(Events.postCreated, late);
      await eventually(async () => expect(ids((await h.get('/api/v1/search/posts?q=spoonbill').expect(200)).body)).toEqual([late.id]));
    },
  });

  expect(answersDuringRebuild).toEqual(liveAnswers);
  expect(freshRows).toEqual(liveRows);
  expect(report.replayed).toEqual({ USERS: 5, POSTS: 13 });
  expect(report.caughtUp).toBe(1);

  // After the switch: the same answers, plus the post that arrived during the rebuild.
  expect(await answers()).toEqual(liveAnswers);
  expect(ids((await h.get('/api/v1/search/posts?q=spoonbill').expect(200)).body)).toEqual([late.id]);
  const [tables] = await h.service.pool.query<RowDataPacket[]>("SHOW TABLES LIKE '%\\_rebuild'");
  const [old] = await h.service.pool.query<RowDataPacket[]>("SHOW TABLES LIKE '%\\_old'");
  expect([...tables, ...old]).toEqual([]);

  // The live listeners write to the new tables.
  const after = postState({ id: uid('p'), authorId: birder.id, caption: 'Avocet after the rebuild' });
  await h.publish(Events.postCreated, after);
  await eventually(async () => expect(ids((await h.get('/api/v1/search/posts?q=avocet').expect(200)).body)).toEqual([after.id]));
});

it('refuses to run twice at once', async () => {
  const first = rebuildIndex({ pool: h.service.pool, bus: h.service.bus, log: testLogger });
  const second = rebuildIndex({ pool: h.service.pool, bus: h.service.bus, log: testLogger });
  const results = await Promise.allSettled([first, second]);
  expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
  expect((await h.get('/api/v1/search/posts?q=heron').expect(200)).body.items).toHaveLength(2);
});
