/**
 * Home timelines: fan-out on write into Redis, merge on read.
 *
 * A new post goes into the author's own feed and, pipelined, into each active follower's, unless
 * the author has more followers than the threshold: then the author is marked "pulled" and
 * readers merge that author's posts in from the author's list. A follower whose feed has expired
 * (away longer than the activity window) is skipped, and their feed is built again when they
 * come back. Following brings the followee's latest posts in, unfollowing takes them out, a
 * deleted post leaves every feed. Pages render from the cards, so an edited caption shows
 * everywhere at once. MongoDB keeps the durable copies every feed can be rebuilt from.
 *
 * Every step is idempotent (a feed holds a post once) and re-checks what a concurrent handler may
 * have changed meanwhile, because follow, unfollow, post and delete events are handled in
 * parallel and in any order.
 */
import type { Logger, Page, PageRequest, PostState as PostEventData } from '@lumina/common';
import type { FeedBuilder } from './feed-builder';
import { sequences } from '../ids';
import { timelineMetrics } from '../timeline-metrics';
import { applyPostDeletion, applyPostEvent } from './post-copy';
import { readRounds } from './paging';
import { compareEntryDesc, compareSeqAsc, type TimePosition } from '../positions';
import type { PulledAuthors } from './pulled-authors';
import type { Post } from '@lumina/contract';
import { renderAuthor, type Renderer } from '../render';
import type { PostDoc, Stores } from '../store';
import type { EdgeChange } from '../store/follows-store';
import type { FeedEntry } from '../store/redis/feeds-store';

export interface TimelineSettings {
  /** More active followers than this: not fanned out, merged at read time. */
  fanoutThreshold: number;
  maxEntries: number;
  backfillPosts: number;
  batchSize: number;
}

/** Where fan-out reports what landed, so open streams can pick it up. */
export interface LandingSink {
  landed(ownerIds: string[]): void;
  pulledPostLanded(authorId: string): void;
}

/** One item the stream may send: what landed, when, and the post if it can be shown. */
export interface Landed {
  seq: string;
  post?: Post;
}

export class HomeTimeline {
  constructor(
    private readonly stores: Stores,
    private readonly renderer: Renderer,
    private readonly builder: FeedBuilder,
    private readonly pulled: PulledAuthors,
    private readonly settings: TimelineSettings,
    private readonly sink: LandingSink,
    private readonly log: Logger,
  ) {}

  // ---- writes ---------------------------------------------------------------------------------

  /**
   * post.created: keep the copy and its card, then fan out. A redelivery fans out again, which
   * completes one that died half-way and writes nothing where the first went through.
   */
  async postCreated(data: PostEventData): Promise<void> {
    const { post } = await this.stores.posts.mutate(data.id, applyPostEvent(data), { likelyNew: true });
    if (!post) return;
    await this.stores.cards.putPost(post);
    if (post.state === 'deleted') {
      await this.removeEverywhere(post);
      return;
    }
    if (post.state === 'live' && post.fanout !== 'pulled') await this.fanOut(post);
  }

  /** post.updated: only the copy and its card change; every page renders from the card. */
  async postUpdated(data: PostEventData): Promise<void> {
    const { post } = await this.stores.posts.mutate(data.id, applyPostEvent(data));
    if (post) await this.stores.cards.putPost(post);
  }

  /** post.deleted: a tombstone, and the post leaves every feed. */
  async postDeleted(id: string, authorId: string, version: number): Promise<void> {
    const { post } = await this.stores.posts.mutate(id, applyPostDeletion(id, authorId, version));
    if (!post) return;
    await this.stores.cards.putPost(post);
    if (post.state === 'deleted') await this.removeEverywhere(post);
  }

  /** user.created / updated / deleted, once applied to the copy: the author's cards show it. */
  async authorChanged(authorId: string, version: number): Promise<void> {
    const [author] = [...(await this.stores.authors.byIds([authorId])).values()];
    if (!author || author.version !== version) return; // a newer change won; it updates the cards
    const view = author.deleted ? null : renderAuthor(authorId, author);
    // The kept view first, then the author's posts: a post.created that reads the view before this
    // write added its post to the author's list before that, so the list below holds it.
    await this.stores.cards.putAuthorView(authorId, view, version);
    const posts = (await this.builder.authoredPosts([authorId], this.settings.maxEntries)).get(authorId) ?? [];
    await this.stores.cards.putAuthor(
      posts.map((p) => p.postId),
      view,
      version,
    );
  }

  /**
   * user.followed: bring the followee's latest posts into the follower's feed. Answers whether
   * the follow stands (false when a newer change of the edge already won).
   */
  async followed(change: EdgeChange): Promise<boolean> {
    const { edge } = await this.stores.follows.apply(change, 'active');
    if (!edge || edge.version !== change.version || edge.state !== 'active') return false;
    const { followerId, followeeId } = change;
    await Promise.all([
      this.stores.following.apply(followerId, [{ id: followeeId, on: true, version: change.version }]),
      this.stores.followers.apply(followeeId, [{ id: followerId, on: true, version: change.version }]),
    ]);
    // Following is being active: a follower without a feed gets one now, which includes the followee.
    let built = false;
    let added = 0;
    if (!(await this.stores.feeds.touch(followerId))) {
      await this.builder.build(followerId);
      built = true;
    } else if (!(await this.pulled.has(followeeId))) {
      const latest = (await this.builder.authoredPosts([followeeId], this.settings.backfillPosts)).get(followeeId) ?? [];
      added = await this.stores.feeds.add(
        followerId,
        latest.map((p) => ({ ...p, seq: sequences.next() })),
      );
    }
    // An unfollow handled while we wrote would have removed before our insert: look again.
    const now = await this.stores.follows.get(followerId, followeeId);
    if (!now || now.state !== 'active') {
      await this.removeAuthorFrom(followerId, followeeId);
      return false;
    }
    if (added > 0) timelineMetrics().fanoutEntries.inc(added);
    if (built || added > 0) this.sink.landed([followerId]);
    return true;
  }

  /** user.unfollowed: the followee's posts leave the follower's feed. */
  async unfollowed(change: EdgeChange): Promise<void> {
    const { edge } = await this.stores.follows.apply(change, 'inactive');
    if (!edge || edge.version !== change.version || edge.state !== 'inactive') return;
    await Promise.all([
      this.stores.following.apply(change.followerId, [{ id: change.followeeId, on: false, version: change.version }]),
      this.stores.followers.apply(change.followeeId, [{ id: change.followerId, on: false, version: change.version }]),
    ]);
    await this.removeAuthorFrom(change.followerId, change.followeeId);
  }

  private async removeAuthorFrom(viewerId: string, authorId: string): Promise<void> {
    const theirs = (await this.builder.authoredPosts([authorId], this.settings.maxEntries)).get(authorId) ?? [];
    await this.stores.feeds.remove(
      viewerId,
      theirs.map((p) => p.postId),
    );
  }

  private async fanOut(post: PostDoc): Promise<void> {
    const authorId = post.authorId as string;
    const entry: FeedEntry = { postId: post._id, createdAt: (post.createdAt as Date).getTime() };
    const started = Date.now();
    // The author's list first, then the author on the card: a user.updated that lists the author's
    // posts after this sees the post, and one that listed them before is what we read.
    await this.stores.authored.add(authorId, entry.postId, entry.createdAt);
    await this.authorOnCard(post._id, authorId);
    // Posting is being active: the author's own feed is there (built if it was not) and gets the post.
    let written = 0;
    if (!(await this.stores.feeds.touch(authorId))) {
      // Built now, from the author's list, which holds the post already.
      await this.builder.build(authorId);
      this.sink.landed([authorId]);
      written += 1;
    }
    written += await this.pushTo([authorId], entry);

    const followers = await this.builder.followersOf(authorId, this.settings.fanoutThreshold + 1);
    if (followers.length > this.settings.fanoutThreshold) {
      await this.stores.authors.markPulled(authorId);
      await this.stores.authored.markPulled(authorId);
      this.pulled.add(authorId);
      await this.stores.authored.logPulledLanding(authorId, post.seq ?? sequences.next(), post._id);
      // The post is in the author's list now: first pages kept before it are stale.
      await this.stores.pages.pulledChanged();
      await this.stores.posts.setFanout(post._id, 'pulled');
      this.sink.pulledPostLanded(authorId);
      timelineMetrics().fanoutDuration.observe({ mode: 'pulled' }, (Date.now() - started) / 1000);
      this.log.debug({ postId: post._id, authorId }, 'post merged at read time (author over the fan-out threshold)');
      return;
    }

    const others = followers.filter((id) => id !== authorId);
    // Every batch sent at once (in order, each with its own landing sequence): Redis works through
    // them back to back instead of waiting a round trip between batches.
    const batches: Array<Promise<number>> = [];
    for (let i = 0; i < others.length; i += this.settings.batchSize)
      batches.push(this.pushTo(others.slice(i, i + this.settings.batchSize), entry));
    for (const got of await Promise.all(batches)) written += got;
    // A follower whose unfollow was handled while we wrote may have had the author's posts removed
    // before ours was added; an unfollow updates the followers hash before it removes anything, so
    // whoever is no longer "on" there now gets this post taken out again.
    const still = await this.stores.followers.among(authorId, others);
    const gone = others.filter((id) => !still.on.has(id));
    if (gone.length > 0) await this.stores.feeds.removeFromMany(gone, post._id);
    // A delete handled while we wrote removed the post only from the feeds that held it then.
    if (await this.deletedSince(post._id)) await this.removeEverywhere(post);
    timelineMetrics().fanoutDuration.observe({ mode: 'pushed' }, (Date.now() - started) / 1000);
    this.log.debug({ postId: post._id, written, ms: Date.now() - started }, 'fan-out done');
  }

  /**
   * Whether the post is deleted now. post.deleted writes the card's tombstone before it takes the
   * post out of feeds, so a card still live means that removal is yet to come (after whatever we
   * wrote before asking); without a card (expired, or Redis lost it), MongoDB's copy answers.
   */
  private async deletedSince(postId: string): Promise<boolean> {
    const state = (await this.stores.cards.state(postId)) ?? (await this.stores.posts.get(postId))?.state;
    return state === 'deleted';
  }

  /**
   * The author's current view on a post's card: the view Redis keeps, else the copy in MongoDB
   * (kept for the next post), else a placeholder until user.created arrives.
   */
  private async authorOnCard(postId: string, authorId: string): Promise<void> {
    let kept = await this.stores.cards.authorView(authorId);
    if (!kept) {
      const author = (await this.stores.authors.byIds([authorId])).get(authorId);
      kept = { author: author?.deleted ? null : renderAuthor(authorId, author), version: author?.version ?? 0 };
      if (author) await this.stores.cards.putAuthorView(authorId, kept.author, kept.version);
    }
    await this.stores.cards.putAuthor([postId], kept.author, kept.version);
  }

  /** Writes the entry into these viewers' feeds (those that exist); answers how many got it. */
  private async pushTo(viewerIds: string[], entry: FeedEntry): Promise<number> {
    if (viewerIds.length === 0) return 0;
    // Taken as the batch is sent: Redis applies writes in the order sent, so each viewer's landing
    // log grows in sequence order, which the live stream's resume (Last-Event-ID) relies on.
    const got = await this.stores.feeds.addToMany(viewerIds, entry, sequences.next());
    if (got.length === 0) return 0;
    timelineMetrics().fanoutEntries.inc(got.length);
    this.sink.landed(got);
    return got.length;
  }

  /** A deleted post leaves the author's list and every feed that may hold it. */
  private async removeEverywhere(post: PostDoc): Promise<void> {
    const authorId = post.authorId as string;
    await this.stores.authored.remove(authorId, post._id);
    await this.stores.feeds.removeFromMany([authorId], post._id);
    for await (const batch of this.stores.follows.activeFollowerBatches(authorId, this.settings.batchSize)) {
      await this.stores.feeds.removeFromMany(batch, post._id);
    }
  }

  // ---- reads ----------------------------------------------------------------------------------

  /** Authors the viewer follows whose posts are merged at read time. */
  async pulledFolloweesOf(viewerId: string): Promise<string[]> {
    const pulled = (await this.pulled.list()).filter((id) => id !== viewerId);
    if (pulled.length === 0) return [];
    const among = await this.stores.following.among(viewerId, pulled);
    if (among.complete) return [...among.on];
    await this.builder.completeFollowing(viewerId);
    return [...(await this.stores.following.among(viewerId, pulled)).on];
  }

  /**
   * A page of the viewer's home timeline as JSON. The first page is the read people make most
   * (opening the app): it is kept assembled in Redis (store/redis/pages-store.ts), so it costs one
   * round trip and no rendering until something it shows changes.
   */
  async pageJson(viewerId: string, request: PageRequest<TimePosition>): Promise<string | Buffer> {
    const { pages } = this.stores;
    if (request.after !== undefined || !pages.enabled) return JSON.stringify(await this.page(viewerId, request));
    const kept = await pages.read(viewerId, request.limit);
    if (kept.kind === 'hit') {
      timelineMetrics().firstPages.inc({ result: 'kept' });
      return kept.body;
    }
    const body = JSON.stringify(await this.page(viewerId, request, kept.kind === 'miss'));
    if (kept.kind === 'miss') await pages.put(viewerId, request.limit, kept.stamp, body);
    timelineMetrics().firstPages.inc({ result: kept.kind === 'miss' ? 'assembled' : 'built' });
    return body;
  }

  /**
   * A page of the viewer's home timeline, newest first by (createdAt, postId): the feed and the
   * posts of followed authors merged at read time, one list. The cursor is the last item's
   * position, so posts arriving meanwhile (always newer) shift nothing. Reads Redis only: is the
   * feed there (renewing it) and its first entries in one round trip, the cards in a second.
   * `keeping`: the page will be kept (pageJson), so it registers with the posts it lists.
   */
  async page(viewerId: string, request: PageRequest<TimePosition>, keeping = false): Promise<Page<Post>> {
    const firstWant = request.limit + 1;
    const [present, firstStored, pulledAuthors] = await Promise.all([
      this.stores.feeds.touch(viewerId),
      this.stores.feeds.page(viewerId, request.after, firstWant),
      this.pulledFolloweesOf(viewerId),
    ]);
    let prefetched: FeedEntry[] | undefined = firstStored;
    if (!present) {
      await this.builder.build(viewerId);
      prefetched = undefined;
    }
    return readRounds(request, async (position, want) => {
      const usePrefetched = prefetched && position === request.after && want === firstWant;
      const [stored, merged] = await Promise.all([
        usePrefetched ? (prefetched as FeedEntry[]) : this.stores.feeds.page(viewerId, position, want),
        this.mergedPage(pulledAuthors, position, want),
      ]);
      prefetched = undefined;
      const byId = new Map<string, FeedEntry>();
      for (const e of [...stored, ...merged]) byId.set(e.postId, e);
      const candidates = [...byId.values()].sort(compareEntryDesc).slice(0, want);
      const ids = candidates.map((c) => c.postId);
      // Registered with each post before its card is read (same tick, same shard): see pages-store.ts.
      const listing = keeping ? this.stores.pages.listing(viewerId, ids) : undefined;
      const views = await this.renderer.posts(ids, viewerId);
      await listing;
      return candidates.map((c) => ({ position: { t: c.createdAt, id: c.postId }, item: views.get(c.postId) }));
    });
  }

  /** Posts of these merged-at-read authors after a position; a list found incomplete is completed and read again. */
  private async mergedPage(authorIds: string[], position: TimePosition | undefined, want: number): Promise<FeedEntry[]> {
    if (authorIds.length === 0) return [];
    const read = () => Promise.all(authorIds.map((a) => this.stores.authored.page(a, position, want)));
    const [lists, complete] = await Promise.all([read(), this.stores.authored.completeness(authorIds)]);
    if (complete.every(Boolean)) return lists.flat();
    await this.builder.ensureAuthored(authorIds, complete);
    return (await read()).flat();
  }

  /** The viewer streams: what lands in their feed from now on is logged for the stream (FeedsStore.keepLanding). */
  keepLanding(viewerId: string): Promise<void> {
    return this.stores.feeds.keepLanding(viewerId);
  }

  /** What landed in the viewer's home after a sequence, oldest first (the stream's source). */
  async landedAfter(viewerId: string, seq: string, limit: number): Promise<Landed[]> {
    const pulledAuthors = await this.pulledFolloweesOf(viewerId);
    const [stored, ...pulled] = await Promise.all([
      this.stores.feeds.landedAfter(viewerId, seq, limit),
      ...pulledAuthors.map((a) => this.stores.authored.pulledLandedAfter(a, seq, limit)),
    ]);
    // What left the feed since it landed (unfollowed, deleted) is passed over, not sent.
    const held = await this.stores.feeds.holding(
      viewerId,
      stored.map((l) => l.postId),
    );
    const landed = [...stored.map((l) => ({ ...l, shown: held.has(l.postId) })), ...pulled.flat().map((l) => ({ ...l, shown: true }))]
      .sort(compareSeqAsc)
      .slice(0, limit);
    const views = await this.renderer.posts(
      landed.filter((l) => l.shown).map((l) => l.postId),
      viewerId,
    );
    return landed.map((l) => ({ seq: l.seq, post: l.shown ? views.get(l.postId) : undefined }));
  }
}
