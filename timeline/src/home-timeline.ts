/**
 * Home timelines: fan-out on write, merge on read.
 *
 * A new post is written as an entry into the author's own timeline and, in batches, into each
 * active follower's, unless the author has more followers than the threshold: then the author is
 * marked "pulled" and readers merge that author's posts in from the posts copy. Following brings
 * the followee's latest posts in, unfollowing takes them out, a deleted post leaves every
 * timeline. Pages render from the posts copy, so an edited caption shows everywhere at once.
 *
 * Every step is idempotent (entries are unique per owner and post) and re-checks what a
 * concurrent handler may have changed meanwhile, because follow, unfollow, post and delete events
 * are handled in parallel and in any order.
 */
import type { Logger, Page, PageRequest, PostState as PostEventData } from '@lumina/common';
import { sequences } from './ids';
import { timelineMetrics } from './timeline-metrics';
import { applyPostDeletion, applyPostEvent } from './post-copy';
import { readRounds } from './paging';
import { compareSeqAsc, compareTimeDesc, type TimePosition } from './positions';
import type { PostView, Renderer } from './render';
import type { PostDoc, Stores } from './store';
import type { EdgeChange } from './store/follows-store';

export interface TimelineSettings {
  /** More active followers than this: not fanned out, merged at read time. */
  fanoutThreshold: number;
  maxEntries: number;
  trimSlack: number;
  /** Check an owner's size on about one in this many new entries. */
  trimSample: number;
  backfillPosts: number;
  batchSize: number;
}

/** Where fan-out reports what landed, so open streams can pick it up. */
export interface LandingSink {
  landed(ownerIds: string[]): void;
  pulledPostLanded(authorId: string): void;
}

/** How far back (before a fan-out started) an applied unfollow still counts as concurrent with it. */
const UNFOLLOW_RACE_MARGIN_MS = 60_000;

export interface FanoutStats {
  entriesWritten: number;
}

/** One item the stream may send: what landed, when, and the post if it can be shown. */
export interface Landed {
  seq: string;
  post?: PostView;
}

interface Candidate {
  id: string;
  createdAt: Date;
}

export class HomeTimeline {
  readonly stats: FanoutStats = { entriesWritten: 0 };

  constructor(
    private readonly stores: Stores,
    private readonly renderer: Renderer,
    private readonly settings: TimelineSettings,
    private readonly sink: LandingSink,
    private readonly log: Logger,
  ) {}

  // ---- writes ---------------------------------------------------------------------------------

  /** post.created: keep the copy, then fan out (again, harmlessly, if a delivery died half-way). */
  async postCreated(data: PostEventData): Promise<void> {
    const { post } = await this.stores.posts.mutate(data.id, applyPostEvent(data));
    if (!post) return;
    if (post.state === 'deleted') {
      await this.stores.entries.deletePost(post._id);
      return;
    }
    if (post.state === 'live' && post.fanout === 'pending') await this.fanOut(post);
  }

  /** post.updated: only the copy changes; every page renders from it. */
  async postUpdated(data: PostEventData): Promise<void> {
    await this.stores.posts.mutate(data.id, applyPostEvent(data));
  }

  /** post.deleted: a tombstone, and the post leaves every timeline. */
  async postDeleted(id: string, authorId: string, version: number): Promise<void> {
    const { post } = await this.stores.posts.mutate(id, applyPostDeletion(id, authorId, version));
    if (post?.state === 'deleted') await this.stores.entries.deletePost(id);
  }

  /**
   * user.followed: bring the followee's latest posts into the follower's timeline. Answers whether
   * the follow stands (false when a newer change of the edge already won).
   */
  async followed(change: EdgeChange): Promise<boolean> {
    const { edge } = await this.stores.follows.apply(change, 'active');
    if (!edge || edge.version !== change.version || edge.state !== 'active') return false;
    const { followerId, followeeId } = change;
    const latest = await this.stores.posts.latestByAuthor(followeeId, this.settings.backfillPosts);
    const inserted = await this.stores.entries.insert(
      latest
        .filter((p) => p.fanout !== 'pulled')
        .map((p) => ({ ownerId: followerId, postId: p._id, authorId: followeeId, createdAt: p.createdAt, seq: sequences.next() })),
    );
    // An unfollow handled while we wrote would have deleted before our insert: look again.
    const now = await this.stores.follows.get(followerId, followeeId);
    if (!now || now.state !== 'active') {
      await this.stores.entries.deleteAuthorFrom(followerId, followeeId);
      return false;
    }
    if (inserted.length > 0) {
      this.stats.entriesWritten += inserted.length;
      timelineMetrics().fanoutEntries.inc(inserted.length);
      this.sink.landed([followerId]);
      await this.stores.entries.trimIfOver(followerId, this.settings.maxEntries, this.settings.trimSlack);
    }
    return true;
  }

  /** user.unfollowed: the followee's posts leave the follower's timeline. */
  async unfollowed(change: EdgeChange): Promise<void> {
    const { edge } = await this.stores.follows.apply(change, 'inactive');
    if (!edge || edge.version !== change.version || edge.state !== 'inactive') return;
    await this.stores.entries.deleteAuthorFrom(change.followerId, change.followeeId);
  }

  private async fanOut(post: PostDoc): Promise<void> {
    const authorId = post.authorId as string;
    const started = new Date();
    const toCheck: string[] = [];
    let written = await this.writeEntries([authorId], post, toCheck);

    const followers = await this.stores.follows.countActiveFollowers(authorId, this.settings.fanoutThreshold + 1);
    if (followers > this.settings.fanoutThreshold) {
      await this.stores.authors.markPulled(authorId);
      await this.stores.posts.setFanout(post._id, 'pulled');
      this.sink.pulledPostLanded(authorId);
      await this.trim(toCheck);
      timelineMetrics().fanoutDuration.observe({ mode: 'pulled' }, (Date.now() - started.getTime()) / 1000);
      this.log.debug({ postId: post._id, authorId }, 'post merged at read time (author over the fan-out threshold)');
      return;
    }

    for await (const batch of this.stores.follows.activeFollowerBatches(authorId, this.settings.batchSize)) {
      written += await this.writeEntries(
        batch.filter((id) => id !== authorId),
        post,
        toCheck,
      );
    }
    // A follower whose unfollow was applied while we wrote may have had its entries deleted
    // before ours was inserted: take this post out again. (The margin covers clock skew between
    // replicas.)
    const gone = await this.stores.follows.unfollowedSince(authorId, new Date(started.getTime() - UNFOLLOW_RACE_MARGIN_MS));
    if (gone.length > 0) await this.stores.entries.deletePostFrom(post._id, gone);
    await this.trim(toCheck);
    await this.stores.posts.setFanout(post._id, 'done');
    // A delete handled while we wrote removed only the entries that existed then.
    const now = await this.stores.posts.get(post._id);
    if (now?.state === 'deleted') await this.stores.entries.deletePost(post._id);
    timelineMetrics().fanoutDuration.observe({ mode: 'pushed' }, (Date.now() - started.getTime()) / 1000);
    this.log.debug({ postId: post._id, written, ms: Date.now() - started.getTime() }, 'fan-out done');
  }

  /** Writes the post into these owners' timelines; adds the owners to check for trimming to `toCheck`. */
  private async writeEntries(ownerIds: string[], post: PostDoc, toCheck: string[]): Promise<number> {
    if (ownerIds.length === 0) return 0;
    const inserted = await this.stores.entries.insert(
      ownerIds.map((ownerId) => ({
        ownerId,
        postId: post._id,
        authorId: post.authorId as string,
        createdAt: post.createdAt as Date,
        seq: sequences.next(),
      })),
    );
    if (inserted.length === 0) return 0;
    this.stats.entriesWritten += inserted.length;
    timelineMetrics().fanoutEntries.inc(inserted.length);
    const owners = inserted.map((e) => e.ownerId);
    this.sink.landed(owners);
    const { trimSample } = this.settings;
    for (const owner of owners) if (trimSample <= 1 || Math.random() * trimSample < 1) toCheck.push(owner);
    return inserted.length;
  }

  /**
   * Trimming is lazy: of the owners that got an entry, about one in trimSample is checked (with
   * one grouped count per thousand owners), and an owner past maxEntries + trimSlack is trimmed
   * back to maxEntries. No counter is written per entry; the expected overshoot past the slack is
   * about trimSample entries.
   */
  private async trim(ownerIds: string[]): Promise<void> {
    const { maxEntries, trimSlack } = this.settings;
    for (let i = 0; i < ownerIds.length; i += 1000) {
      for (const ownerId of await this.stores.entries.ownersOver(ownerIds.slice(i, i + 1000), maxEntries + trimSlack)) {
        await this.stores.entries.trimIfOver(ownerId, maxEntries, trimSlack);
      }
    }
  }

  // ---- reads ----------------------------------------------------------------------------------

  /** Authors the viewer follows whose posts are merged at read time. */
  async pulledFolloweesOf(viewerId: string): Promise<string[]> {
    const pulled = (await this.stores.authors.pulledIds()).filter((id) => id !== viewerId);
    return pulled.length > 0 ? this.stores.follows.activeFolloweesAmong(viewerId, pulled) : [];
  }

  /**
   * A page of the viewer's home timeline, newest first by (createdAt, postId): stored entries and
   * merged posts of followed celebrities, one list. The cursor is the last item's position, so
   * posts arriving meanwhile (always newer) shift nothing.
   */
  async page(viewerId: string, request: PageRequest<TimePosition>): Promise<Page<PostView>> {
    const pulledAuthors = await this.pulledFolloweesOf(viewerId);
    return readRounds(request, async (position, want) => {
      const [stored, pulled] = await Promise.all([
        this.stores.entries.page(viewerId, position, want),
        this.stores.posts.pulledPage(pulledAuthors, position, want),
      ]);
      const byId = new Map<string, Candidate>();
      for (const e of stored) byId.set(e.postId, { id: e.postId, createdAt: e.createdAt });
      for (const p of pulled) byId.set(p._id, { id: p._id, createdAt: p.createdAt });
      const candidates = [...byId.values()].sort(compareTimeDesc).slice(0, want);
      const views = await this.renderer.posts(
        candidates.map((c) => c.id),
        viewerId,
      );
      return candidates.map((c) => ({ position: { t: c.createdAt.getTime(), id: c.id }, item: views.get(c.id) }));
    });
  }

  /** What landed in the viewer's home after a sequence, oldest first (the stream's source). */
  async landedAfter(viewerId: string, seq: string, limit: number): Promise<Landed[]> {
    const pulledAuthors = await this.pulledFolloweesOf(viewerId);
    const [stored, pulled] = await Promise.all([
      this.stores.entries.landedAfter(viewerId, seq, limit),
      this.stores.posts.pulledLandedAfter(pulledAuthors, seq, limit),
    ]);
    const landed = [...stored.map((e) => ({ seq: e.seq, postId: e.postId })), ...pulled.map((p) => ({ seq: p.seq, postId: p._id }))]
      .sort(compareSeqAsc)
      .slice(0, limit);
    const views = await this.renderer.posts(
      landed.map((l) => l.postId),
      viewerId,
    );
    return landed.map((l) => ({ seq: l.seq, post: views.get(l.postId) }));
  }
}
