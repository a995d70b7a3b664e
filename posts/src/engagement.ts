/**
 * Likes and comments. The post is the aggregate: its likeCount, commentCount and engagement
 * version change, together with the event and a record of the engagement op, in one
 * single-document update of the post. The like or comment document is written right after
 * and the op removed. With no multi-document transactions, this order is what keeps counts
 * exact: if the process dies between the two writes, the op is still on the post, and whoever
 * next holds the post (a later request, or the sweeper) writes the document — a write that is
 * safe to repeat, because like rows carry the engagement version that set them and comments are
 * never re-inserted once they exist.
 *
 * Deciding whether anything changes (is this user's like already there?) happens after every
 * earlier op of the post is written, and the update is guarded by the engagement version read,
 * so of two concurrent likes by one user exactly one counts.
 */
import { randomUUID } from 'node:crypto';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  toPage,
  type Envelope,
  type Page,
  type PageRequest,
  type TimeIdCursor,
  type UserPayload,
  documentKey,
  type KeyedLock,
} from '@lumina/common';
import type { Comment, LikeState } from '@lumina/contract';
import type { Logger } from 'pino';
import * as publishing from './events/publishing';
import { analyseText } from './mentions';
import { MAX_WRITE_ATTEMPTS, newId, pause } from './posts';
import type { CopiesStore } from './store/copies-store';
import type { EngagementStore } from './store/engagement-store';

import type { CommentDoc, PendingOp, PostDoc } from './store/models';
import type { PostStore } from './store/post-store';
import type { ReadCache } from './read-cache';
import type { Renderer } from './render';

export interface EngagementHooks {
  /** Test hook: runs after the post update and before the like/comment write ("crash here"). */
  afterPostUpdate?: (op: PendingOp) => Promise<void> | void;
}

export interface EngagementDeps {
  posts: PostStore;
  engagement: EngagementStore;
  copies: CopiesStore;
  renderer: Renderer;
  reads: ReadCache;
  lock: KeyedLock;
  /** Wakes the outbox relay after a write to this post (whose events it then publishes). */
  notify: (postId: string) => void;
  log: Logger;
  hooks?: EngagementHooks;
}

/** What an engagement request decided, given the post as it is now. */
type Decision<R> =
  | { change: false; answer: R }
  | {
      change: true;
      inc: { likeCount?: number; commentCount?: number };
      op: (ev: number, at: Date) => PendingOp;
      event: (ev: number) => Envelope;
      answer: R;
    };

export class EngagementService {
  /** Whether this process's sweeper has looked through every post once (see finishStalePending). */
  private sweptUnflagged = false;

  constructor(private readonly deps: EngagementDeps) {}

  private lockKey(postId: string): string {
    return documentKey(this.deps.posts.collectionName, postId);
  }

  async setLike(postId: string, userId: string, liked: boolean): Promise<LikeState> {
    return this.engage<LikeState>(postId, async (post) => {
      if ((await this.deps.engagement.isLiked(postId, userId)) === liked) {
        return { change: false, answer: { liked, likeCount: post.likeCount } };
      }
      const delta = liked ? 1 : post.likeCount > 0 ? -1 : 0;
      const likeCount = post.likeCount + delta;
      return {
        change: true,
        inc: { likeCount: delta },
        op: (ev, at) => ({ id: randomUUID(), kind: liked ? 'like' : 'unlike', userId, ev, at }),
        event: (ev) => publishing.likeChanged(liked, post, userId, likeCount, ev),
        answer: { liked, likeCount },
      };
    });
  }

  async addComment(postId: string, author: UserPayload, body: string): Promise<Comment> {
    const authorCopy = await this.deps.copies.findUser(author.id);
    if (authorCopy?.deleted) throw new ForbiddenError('This account has been deleted');
    const { mentions } = await analyseText(this.deps.copies, body, 'body');
    const comment = await this.engage<CommentDoc>(postId, async (post) => {
      const doc: CommentDoc = { _id: newId(), postId, authorId: author.id, body, mentions, createdAt: new Date() };
      const commentCount = post.commentCount + 1;
      return {
        change: true,
        inc: { commentCount: 1 },
        op: (ev, at) => ({ id: randomUUID(), kind: 'comment', comment: doc, ev, at }),
        event: (ev) => publishing.commentCreated(doc, post, commentCount, ev),
        answer: doc,
      };
    });
    return this.deps.renderer.comment(comment);
  }

  /** The comment's author or the post's author may delete it. */
  async deleteComment(postId: string, commentId: string, userId: string): Promise<void> {
    await this.engage<void>(postId, async (post) => {
      const comment = await this.deps.engagement.findLiveComment(postId, commentId);
      if (!comment) throw new NotFoundError('Comment not found');
      if (comment.authorId !== userId && post.authorId !== userId)
        throw new ForbiddenError('Only the comment author or the post author may delete this comment');
      const commentCount = Math.max(0, post.commentCount - 1);
      return {
        change: true,
        inc: { commentCount: commentCount - post.commentCount },
        op: (ev, at) => ({ id: randomUUID(), kind: 'uncomment', commentId, ev, at }),
        event: (ev) => publishing.commentDeleted(commentId, postId, commentCount, ev),
        answer: undefined,
      };
    });
  }

  async listComments(postId: string, page: PageRequest<TimeIdCursor>): Promise<Page<Comment>> {
    if (!(await this.deps.reads.livePosts([postId])).has(postId)) throw new NotFoundError('Post not found');
    const rows = await this.deps.engagement.listComments(postId, page.after, page.limit + 1);
    const rendered = new Map((await this.deps.renderer.comments(rows.slice(0, page.limit))).map((c) => [c.id, c]));
    return toPage(
      rows,
      page.limit,
      (c) => ({ t: c.createdAt.getTime(), id: c._id }),
      (c) => rendered.get(c._id)!,
    );
  }

  /**
   * Finishes the engagement ops of posts whose oldest op is older than `before` (left by a
   * process that died mid-write), at most `limit` posts; answers how many it finished. Looks only
   * at flagged posts (those with an op since the flag was last lowered), except the first time,
   * and lowers the flag of those with none left.
   */
  async finishStalePending(before: Date, limit = 100): Promise<number> {
    const { posts } = this.deps;
    const firstPass = !this.sweptUnflagged;
    const candidates = await posts.withPendingOps({ unflagged: firstPass });
    this.sweptUnflagged = true;
    let finished = 0;
    for (const { _id: id, _pending: ops = [] } of candidates) {
      const stale = ops.some((op) => new Date(op.at) < before);
      // Younger ops are left to whoever is writing them, and ops past the limit to the next pass:
      // flagged (an older release did not) so that it finds them. A flag stays until no op is left.
      if ((ops.length > 0 && !stale) || finished >= limit) {
        if (firstPass && ops.length > 0) await posts.raisePendingOpsFlag(id);
        continue;
      }
      await this.deps.lock.run(this.lockKey(id), async () => {
        const post = await posts.findPending(id);
        if (!post?._pending?.length) await posts.lowerPendingOpsFlag(id);
        else if (stale) {
          await this.materialise(id, post._pending);
          finished += 1;
        }
      });
    }
    return finished;
  }

  private async engage<R>(postId: string, decide: (post: PostDoc) => Promise<Decision<R>>): Promise<R> {
    const { posts } = this.deps;
    const result = await this.deps.lock.run(this.lockKey(postId), async () => {
      for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt += 1) {
        const post = await posts.findLive(postId, { withPending: true });
        if (!post) throw new NotFoundError('Post not found');
        if (post._pending?.length) {
          // Earlier ops first, so the decision below sees every like and comment counted so far.
          await this.materialise(postId, post._pending);
          continue;
        }
        const decision = await decide(post);
        if (!decision.change) return { answer: decision.answer, changed: false };
        const ev = post.engagementVersion + 1;
        const op = decision.op(ev, new Date());
        const done = await posts.update(
          postId,
          { engagementVersion: post.engagementVersion },
          { inc: { ...decision.inc, engagementVersion: 1 }, events: [decision.event(ev)], pending: op },
        );
        if (!done) {
          await pause(); // another replica changed the post since we read it
          continue;
        }
        await this.deps.hooks?.afterPostUpdate?.(op);
        await this.materialise(postId, [op]);
        return { answer: decision.answer, changed: true };
      }
      throw new ConflictError('The post kept changing; try again');
    });
    if (result.changed) {
      this.deps.notify(postId);
      await this.deps.reads.refreshPost(postId);
    }
    return result.answer;
  }

  /** Writes the like/comment documents of these ops (safe to repeat), then removes the ops. */
  private async materialise(postId: string, ops: PendingOp[]): Promise<void> {
    const { engagement } = this.deps;
    for (const op of [...ops].sort((a, b) => a.ev - b.ev)) {
      switch (op.kind) {
        case 'like':
        case 'unlike':
          await engagement.writeLike(postId, op.userId, op.kind === 'like', op.ev);
          // Before the op is cleared: a crash here leaves the op, and whoever finishes it refreshes.
          await this.deps.reads.refreshLike(postId, op.userId);
          break;
        case 'comment':
          await engagement.insertComment(op.comment);
          break;
        case 'uncomment':
          await engagement.tombstoneComment(op.commentId, op.at);
          break;
      }
    }
    await this.deps.posts.clearPending(postId, ops);
  }
}
