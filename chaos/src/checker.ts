/**
 * After the drain: every copy compared with its source of truth, read straight from each
 * service's database (a test tool may) and, for home timelines, through the API as each person
 * reads it. Each area counts the items it checked and what was lost (in the source, missing
 * from the copy), doubled (there twice) or wrong (there but should not be, or with other values).
 */
import type { RowDataPacket } from 'mysql2/promise';
import { Events, streamNameFor, subjectFor } from '@lumina/common';
import type { Stores } from './drain';
import type { ChaosSystem } from './system';
import type { Workload } from './workload';

export interface AreaResult {
  checked: number;
  lost: number;
  doubled: number;
  wrong: number;
  /** A few of the differences, to start looking from. */
  examples: string[];
}

export type CheckResult = Record<string, AreaResult>;

interface SourcePost {
  _id: string;
  authorId: string;
  caption: string;
  hashtags: string[];
  mentions: Array<{ id: string }>;
  media: Array<{ id: string }>;
  likeCount: number;
  commentCount: number;
  deletedAt?: Date | null;
}

interface Sources {
  users: Map<string, { username: string; displayName: string }>;
  /** follower → followees, active edges only. */
  following: Map<string, Set<string>>;
  edges: Array<{ follower: string; followee: string; active: boolean }>;
  posts: Map<string, SourcePost>;
  livePosts: SourcePost[];
  likes: Array<{ postId: string; userId: string; liked: boolean }>;
  comments: Array<{ _id: string; postId: string; authorId: string; mentions: Array<{ id: string }>; deletedAt?: Date | null }>;
  /**
   * Whom each post mentioned when it was created (its post.created in JetStream): mentions notify
   * then, and an edit may resolve a name the first time could not (the user's copy had not
   * arrived yet) without notifying anyone.
   */
  mentionedAtCreation: Map<string, string[]>;
  /** The same for comments (a deleted comment's mentions still notified when it was made). */
  commentMentions: Map<string, string[]>;
}

class Area implements AreaResult {
  checked = 0;
  lost = 0;
  doubled = 0;
  wrong = 0;
  examples: string[] = [];

  note(kind: 'lost' | 'doubled' | 'wrong', what: string): void {
    this[kind] += 1;
    if (this.examples.length < 10) this.examples.push(`${kind}: ${what}`);
  }

  toJSON(): AreaResult {
    return { checked: this.checked, lost: this.lost, doubled: this.doubled, wrong: this.wrong, examples: this.examples };
  }
}

async function rows<T>(pool: Stores['mysql']['auth'], sql: string): Promise<T[]> {
  const [result] = await pool.query<RowDataPacket[]>(sql);
  return result as unknown as T[];
}

/**
 * Whom each post or comment mentioned as it was created, from its post.created / comment.created
 * in JetStream (read with an ordered consumer, to the end): a deleted comment keeps no mentions in
 * posts' database, and an edit may resolve a name its creation could not, without notifying.
 */
async function mentionsAtCreation(
  chaos: ChaosSystem,
  event: typeof Events.postCreated | typeof Events.commentCreated,
): Promise<Map<string, string[]>> {
  const found = new Map<string, string[]>();
  const stream = streamNameFor(chaos.namespace, 'POSTS');
  const subject = subjectFor(chaos.namespace, event);
  const info = await chaos.admin.jsm.streams.info(stream, { subjects_filter: subject });
  if (!info.state.subjects?.[subject]) return found;
  const consumer = await chaos.admin.js.consumers.get(stream, { filter_subjects: [subject] });
  const messages = await consumer.consume();
  for await (const m of messages) {
    const data = m.json<{ data: { id: string; mentions?: Array<{ id: string }> } }>().data;
    found.set(
      data.id,
      (data.mentions ?? []).map((x) => x.id),
    );
    if (m.info.pending === 0) break;
  }
  await messages.close();
  return found;
}

async function loadSources(stores: Stores, chaos: ChaosSystem): Promise<Sources> {
  const users = new Map<string, { username: string; displayName: string }>();
  for (const u of await rows<{ id: string; username: string; display_name: string }>(
    stores.mysql.auth,
    'SELECT id, username, display_name FROM users',
  ))
    users.set(u.id, { username: u.username, displayName: u.display_name });
  const edges = (
    await rows<{ follower_id: string; followee_id: string; active: number }>(
      stores.mysql.auth,
      'SELECT follower_id, followee_id, active FROM follows',
    )
  ).map((e) => ({ follower: e.follower_id, followee: e.followee_id, active: e.active === 1 }));
  const following = new Map<string, Set<string>>();
  for (const e of edges) if (e.active) (following.get(e.follower) ?? following.set(e.follower, new Set()).get(e.follower)!).add(e.followee);
  const postDocs = (await stores.mongo.posts.collection('posts').find({}).toArray()) as unknown as SourcePost[];
  const posts = new Map(postDocs.map((p) => [p._id, p]));
  const likes = (await stores.mongo.posts.collection('likes').find({}).toArray()) as unknown as Sources['likes'];
  const comments = (await stores.mongo.posts.collection('comments').find({}).toArray()) as unknown as Sources['comments'];
  const mentionedAtCreation = await mentionsAtCreation(chaos, Events.postCreated);
  const commentMentions = await mentionsAtCreation(chaos, Events.commentCreated);
  return {
    users,
    following,
    edges,
    posts,
    livePosts: postDocs.filter((p) => !p.deletedAt),
    likes,
    comments,
    mentionedAtCreation,
    commentMentions,
  };
}

export async function checkEverything(stores: Stores, workload: Workload, chaos: ChaosSystem): Promise<CheckResult> {
  const src = await loadSources(stores, chaos);
  return {
    acknowledgedWrites: checkAcknowledged(src, workload),
    engagementCounts: checkCounts(src),
    homeTimelines: await checkHomeTimelines(src, workload),
    timelinePostCopies: await checkTimelineCopies(src, stores),
    searchPosts: await checkSearchPosts(src, stores),
    searchUsers: await checkSearchUsers(src, stores),
    searchHashtags: await checkSearchHashtags(src, stores),
    mediaUsage: await checkMediaUsage(src, stores),
    notifications: await checkNotifications(src, stores),
  };
}

/** Every write the system answered 2xx to is in its owner's database. */
function checkAcknowledged(src: Sources, workload: Workload): AreaResult {
  const area = new Area();
  for (const id of workload.acknowledged.users.keys()) {
    area.checked += 1;
    if (!src.users.has(id)) area.note('lost', `user ${id} answered 201`);
  }
  for (const id of workload.acknowledged.posts) {
    area.checked += 1;
    const post = src.posts.get(id);
    if (!post) area.note('lost', `post ${id} answered 201`);
    else if (post.deletedAt && !workload.acknowledged.deletedPosts.has(id)) area.note('wrong', `post ${id} deleted, nobody deleted it`);
  }
  const comments = new Map(src.comments.map((c) => [c._id, c]));
  for (const id of workload.acknowledged.comments) {
    area.checked += 1;
    const comment = comments.get(id);
    if (!comment) area.note('lost', `comment ${id} answered 201`);
    else if (comment.deletedAt && !workload.acknowledged.deletedComments.has(id))
      area.note('wrong', `comment ${id} deleted, nobody deleted it`);
  }
  return area.toJSON();
}

/** The posts service's own counts agree with its like and comment rows. */
function checkCounts(src: Sources): AreaResult {
  const area = new Area();
  const likes = new Map<string, number>();
  for (const l of src.likes) if (l.liked) likes.set(l.postId, (likes.get(l.postId) ?? 0) + 1);
  const comments = new Map<string, number>();
  for (const c of src.comments) if (!c.deletedAt) comments.set(c.postId, (comments.get(c.postId) ?? 0) + 1);
  const seenLikes = new Set<string>();
  for (const l of src.likes) {
    const key = `${l.postId}|${l.userId}`;
    if (seenLikes.has(key)) area.note('doubled', `like row ${key}`);
    seenLikes.add(key);
  }
  for (const post of src.livePosts) {
    area.checked += 2;
    const wantLikes = likes.get(post._id) ?? 0;
    const wantComments = comments.get(post._id) ?? 0;
    if (post.likeCount !== wantLikes)
      area.note(post.likeCount > wantLikes ? 'doubled' : 'lost', `post ${post._id} likeCount ${post.likeCount}, ${wantLikes} likes`);
    if (post.commentCount !== wantComments)
      area.note(
        post.commentCount > wantComments ? 'doubled' : 'lost',
        `post ${post._id} commentCount ${post.commentCount}, ${wantComments} comments`,
      );
  }
  return area.toJSON();
}

interface TimelineItem {
  id: string;
  caption: string;
  likeCount: number;
  commentCount: number;
}

/** Each person's home, read through the entry point, against the follow graph and the posts. */
async function checkHomeTimelines(src: Sources, workload: Workload): Promise<AreaResult> {
  const area = new Area();
  for (const person of workload.people.filter((p) => p.signedUp)) {
    const authors = new Set([person.id, ...(src.following.get(person.id) ?? [])]);
    const expected = new Map(src.livePosts.filter((p) => authors.has(p.authorId)).map((p) => [p._id, p]));
    const seen = new Map<string, number>();
    let cursor: string | null = null;
    let pages = 0;
    do {
      const path = `/api/v1/timeline?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const res = await workload.request(person, 'GET', path);
      if (res.status !== 200) {
        area.note('lost', `${person.username}'s home answered ${res.status}`);
        break;
      }
      const page = res.body as { items: TimelineItem[]; nextCursor: string | null };
      for (const item of page.items) {
        seen.set(item.id, (seen.get(item.id) ?? 0) + 1);
        const post = expected.get(item.id);
        if (!post) {
          area.note(
            'wrong',
            `${person.username}'s home shows ${item.id} (${src.posts.get(item.id)?.deletedAt ? 'deleted' : 'not followed'})`,
          );
          continue;
        }
        if (item.caption !== post.caption || item.likeCount !== post.likeCount || item.commentCount !== post.commentCount)
          area.note(
            'wrong',
            `${person.username}'s home: ${item.id} shows ${JSON.stringify([item.caption, item.likeCount, item.commentCount])}, posts has ${JSON.stringify([post.caption, post.likeCount, post.commentCount])}`,
          );
      }
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor && pages < 50);
    for (const [id, times] of seen) if (times > 1) area.note('doubled', `${person.username}'s home shows ${id} ${times} times`);
    for (const id of expected.keys()) {
      area.checked += 1;
      if (!seen.has(id)) area.note('lost', `${person.username}'s home misses ${id}`);
    }
  }
  return area.toJSON();
}

/** The timeline's copies of posts (what it renders and fans out from). */
async function checkTimelineCopies(src: Sources, stores: Stores): Promise<AreaResult> {
  const area = new Area();
  const copies = new Map(
    (await stores.mongo.timeline.collection('posts').find({}).toArray()).map((d) => [
      String(d._id),
      d as unknown as TimelineItem & { state: string },
    ]),
  );
  for (const post of src.posts.values()) {
    area.checked += 1;
    const copy = copies.get(post._id);
    const visible = copy?.state === 'live';
    if (post.deletedAt) {
      if (visible) area.note('wrong', `timeline copy of deleted post ${post._id} is live`);
    } else if (!visible) area.note('lost', `timeline has no live copy of ${post._id} (${copy?.state ?? 'none'})`);
    else if (copy.caption !== post.caption || copy.likeCount !== post.likeCount || copy.commentCount !== post.commentCount)
      area.note(
        'wrong',
        `timeline copy of ${post._id}: ${JSON.stringify([copy.caption, copy.likeCount, copy.commentCount])} vs ${JSON.stringify([post.caption, post.likeCount, post.commentCount])}`,
      );
  }
  return area.toJSON();
}

async function checkSearchPosts(src: Sources, stores: Stores): Promise<AreaResult> {
  const area = new Area();
  const indexed = new Map(
    (
      await rows<{ id: string; caption: string; like_count: number; comment_count: number; deleted: number; version: number }>(
        stores.mysql.search,
        'SELECT id, caption, like_count, comment_count, deleted, version FROM posts',
      )
    ).map((r) => [r.id, r]),
  );
  for (const post of src.posts.values()) {
    area.checked += 1;
    const row = indexed.get(post._id);
    const visible = !!row && row.deleted === 0 && Number(row.version) > 0;
    if (post.deletedAt) {
      if (visible) area.note('wrong', `search still finds deleted post ${post._id}`);
    } else if (!visible) area.note('lost', `search has no ${post._id}`);
    else if (row.caption !== post.caption || row.like_count !== post.likeCount || row.comment_count !== post.commentCount)
      area.note(
        'wrong',
        `search row of ${post._id}: ${JSON.stringify([row.caption, row.like_count, row.comment_count])} vs ${JSON.stringify([post.caption, post.likeCount, post.commentCount])}`,
      );
  }
  return area.toJSON();
}

async function checkSearchUsers(src: Sources, stores: Stores): Promise<AreaResult> {
  const area = new Area();
  const indexed = new Map(
    (
      await rows<{ id: string; username: string; display_name: string; deleted: number }>(
        stores.mysql.search,
        'SELECT id, username, display_name, deleted FROM users',
      )
    ).map((r) => [r.id, r]),
  );
  for (const [id, user] of src.users) {
    area.checked += 1;
    const row = indexed.get(id);
    if (!row || row.deleted) area.note('lost', `search has no user ${user.username}`);
    else if (row.username !== user.username || row.display_name !== user.displayName)
      area.note('wrong', `search user ${id}: ${row.username}/${row.display_name}`);
  }
  for (const id of indexed.keys()) if (!src.users.has(id)) area.note('wrong', `search has unknown user ${id}`);
  return area.toJSON();
}

async function checkSearchHashtags(src: Sources, stores: Stores): Promise<AreaResult> {
  const area = new Area();
  const indexed = new Set(
    (await rows<{ post_id: string; tag: string }>(stores.mysql.search, 'SELECT post_id, tag FROM post_hashtags')).map(
      (r) => `${r.post_id}#${r.tag}`,
    ),
  );
  const expected = new Set(src.livePosts.flatMap((p) => p.hashtags.map((t) => `${p._id}#${t}`)));
  for (const key of expected) {
    area.checked += 1;
    if (!indexed.has(key)) area.note('lost', `hashtag ${key}`);
  }
  for (const key of indexed) if (!expected.has(key)) area.note('wrong', `hashtag ${key} (post deleted or tag not in caption)`);
  return area.toJSON();
}

/** Which posts use each media, in media's records, against the posts that show it. */
async function checkMediaUsage(src: Sources, stores: Stores): Promise<AreaResult> {
  const area = new Area();
  const expected = new Map<string, Set<string>>();
  for (const post of src.livePosts)
    for (const m of post.media) (expected.get(m.id) ?? expected.set(m.id, new Set()).get(m.id)!).add(post._id);
  const media = (await stores.mongo.media
    .collection('media')
    .find({}, { projection: { usedByPosts: 1, status: 1 } })
    .toArray()) as unknown as Array<{
    _id: string;
    usedByPosts?: string[];
    status: string;
  }>;
  for (const m of media) {
    area.checked += 1;
    const used = m.usedByPosts ?? [];
    const want = expected.get(m._id) ?? new Set<string>();
    if (new Set(used).size !== used.length) area.note('doubled', `media ${m._id} usedByPosts ${JSON.stringify(used)}`);
    for (const postId of want) if (!used.includes(postId)) area.note('lost', `media ${m._id} does not know post ${postId} uses it`);
    for (const postId of new Set(used)) if (!want.has(postId)) area.note('wrong', `media ${m._id} thinks post ${postId} uses it`);
    if (want.size > 0 && m.status !== 'ready') area.note('wrong', `media ${m._id} in a post is ${m.status}`);
  }
  for (const id of expected.keys()) if (!media.some((m) => m._id === id)) area.note('lost', `media ${id} of a post is gone`);
  return area.toJSON();
}

/**
 * Notifications against the actions that caused them: a follow that stands, every like (a toggled
 * one too: one notification per person and post) and comment on a live post, every mention in a
 * live post (as it was created) or in a comment on one; never for acting on one's own post. A follow undone since may
 * or may not have notified (only a follow that still stood when it was handled does).
 */
async function checkNotifications(src: Sources, stores: Stores): Promise<AreaResult> {
  const area = new Area();
  const required = new Set<string>();
  const allowed = new Set<string>();
  const add = (recipient: string, type: string, actor: string, post: string | null, must = true) => {
    if (recipient === actor) return;
    const key = `${recipient}|${type}|${actor}|${post ?? ''}`;
    allowed.add(key);
    if (must) required.add(key);
  };
  for (const e of src.edges) add(e.followee, 'follow', e.follower, null, e.active);
  const live = new Map(src.livePosts.map((p) => [p._id, p]));
  for (const l of src.likes) {
    const post = live.get(l.postId);
    if (post) add(post.authorId, 'like', l.userId, post._id);
  }
  for (const c of src.comments) {
    const post = live.get(c.postId);
    if (!post) continue;
    add(post.authorId, 'comment', c.authorId, post._id);
    const atCreation = src.commentMentions.get(c._id);
    if (!atCreation) area.note('lost', `comment.created of ${c._id} is not in JetStream`);
    for (const m of new Set(atCreation ?? [])) add(m, 'mention', c.authorId, post._id);
  }
  for (const post of src.livePosts) {
    const atCreation = src.mentionedAtCreation.get(post._id);
    if (!atCreation) area.note('lost', `post.created of ${post._id} is not in JetStream`);
    for (const m of new Set(atCreation ?? [])) add(m, 'mention', post.authorId, post._id);
  }

  const actual = new Map<string, number>();
  for (const n of await stores.mongo.timeline.collection('notifications').find({}).toArray()) {
    const key = `${n.recipientId}|${n.type}|${n.actorId}|${n.postId ?? ''}`;
    actual.set(key, (actual.get(key) ?? 0) + 1);
  }
  for (const key of required) {
    area.checked += 1;
    if (!actual.has(key)) area.note('lost', `notification ${key}`);
  }
  for (const [key, times] of actual) {
    if (times > 1) area.note('doubled', `notification ${key} ×${times}`);
    if (!allowed.has(key)) area.note('wrong', `notification ${key} nothing caused`);
  }
  return area.toJSON();
}

export function totals(result: CheckResult): { checked: number; lost: number; doubled: number; wrong: number } {
  const sum = { checked: 0, lost: 0, doubled: 0, wrong: 0 };
  for (const area of Object.values(result)) {
    sum.checked += area.checked;
    sum.lost += area.lost;
    sum.doubled += area.doubled;
    sum.wrong += area.wrong;
  }
  return sum;
}
