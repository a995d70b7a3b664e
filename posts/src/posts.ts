/**
 * The rules of posts: who may create, edit and delete them, what a post must hold, and the
 * event each change records in the post's outbox (in the same single-document write).
 */
import { randomUUID } from 'node:crypto';
import { Types } from 'mongoose';
import {
  BadRequestError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  outboxFields,
  toPage,
  type Page,
  type PageRequest,
  type TimeIdCursor,
  type UserPayload,
  documentKey,
  type KeyedLock,
} from '@lumina/common';
import type { Post } from '@lumina/contract';
import type { Logger } from 'pino';
import * as publishing from './events/publishing';
import { analyseText } from './mentions';

import type { PostDoc, PostMediaSnapshot } from './store/models';
import type { CopiesStore } from './store/copies-store';
import type { PostStore } from './store/post-store';
import type { MediaCard, ReadCache } from './read-cache';
import type { Renderer } from './render';

/** Writes retried after a concurrent change (another replica) before giving up with 409. */
export const MAX_WRITE_ATTEMPTS = 20;

export interface CreatePostInput {
  caption: string;
  media: Array<{ id: string; alt: string }>;
}

export interface PostsDeps {
  posts: PostStore;
  copies: CopiesStore;
  renderer: Renderer;
  /** Redis in front of the reads; refreshed after every write. */
  reads: ReadCache;
  lock: KeyedLock;
  /**
   * Wakes the outbox relay after a write to this post (whose events it then publishes);
   * `written`: the whole post as just inserted, which spares the relay its read (OutboxRelay.notify).
   */
  notify: (postId: string, written?: PostDoc) => void;
  log: Logger;
}

/** Who removes a post: its author, or the service itself when the author's account is deleted. */
export type Remover = { userId: string } | 'account-deleted';

export function newId(): string {
  return new Types.ObjectId().toHexString();
}

export async function pause(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 2 + Math.random() * 20));
}

export class PostsService {
  constructor(private readonly deps: PostsDeps) {}

  private lockKey(postId: string): string {
    return documentKey(this.deps.posts.collectionName, postId);
  }

  async create(author: UserPayload, input: CreatePostInput): Promise<Post> {
    const { copies, posts, renderer, reads } = this.deps;
    // The author's and the media's copies as Redis holds them (kept right after every copy write).
    const ids = input.media.map((m) => m.id);
    const [authors, cached] = await Promise.all([reads.users([author.id]), reads.media(ids)]);
    if (authors.get(author.id)?.deleted) throw new ForbiddenError('This account has been deleted');

    // Every item must be a ready image of the author's; checked before anything is written. What
    // Redis does not show as such is asked of MongoDB, whose answer gives the error.
    const usable = (card: MediaCard | undefined) => card?.status === 'ready' && card.ownerId === author.id;
    const unsure = ids.filter((id) => !usable(cached.get(id)));
    const found = new Map<string, MediaCard>([...cached].filter(([, card]) => usable(card)));
    for (const [id, copy] of await copies.mediaByIds(unsure)) found.set(id, copy);
    const media: PostMediaSnapshot[] = input.media.map((item, i) => {
      const copy = found.get(item.id);
      const field = `media.${i}.id`;
      if (copy && copy.ownerId !== author.id) throw new BadRequestError('This media item is not yours', field);
      if (!copy || copy.status === 'deleted')
        throw new BadRequestError('This media item is not ready (still processing, or unknown)', field);
      if (copy.status !== 'ready' || !copy.width || !copy.height || !copy.variants)
        throw new BadRequestError('This media item could not be processed', field);
      return { id: item.id, alt: item.alt, width: copy.width, height: copy.height, blurhash: copy.blurhash ?? '', variants: copy.variants };
    });
    const { hashtags, mentions } = await analyseText(copies, input.caption, 'caption');

    const now = new Date();
    const post: PostDoc = {
      _id: newId(),
      authorId: author.id,
      caption: input.caption,
      hashtags,
      mentions,
      media,
      likeCount: 0,
      commentCount: 0,
      version: 1,
      engagementVersion: 0,
      createdAt: now,
      updatedAt: now,
      deletedAt: null,
    };
    const written = { ...post, ...outboxFields(publishing.postCreated(post, media, randomUUID())) };
    await posts.insert(written);
    // Redis first, then the relay, handed the post as written: it publishes without reading the
    // post back, and leaves Redis to us (a refresh that fails leaves the post to the relay's sweep,
    // which reads it and refreshes).
    await reads.refreshPost(post._id, post);
    this.deps.notify(post._id, written);
    return renderer.createdPost(post);
  }

  async get(id: string, viewerId?: string): Promise<Post> {
    const post = (await this.deps.reads.livePosts([id])).get(id);
    if (!post) throw new NotFoundError('Post not found');
    return this.deps.renderer.post(post, viewerId);
  }

  async listByAuthor(authorId: string, page: PageRequest<TimeIdCursor>, viewerId?: string): Promise<Page<Post>> {
    const rows =
      (await this.deps.reads.authorPosts(authorId, page.after, page.limit + 1)) ??
      (await this.deps.posts.listByAuthor(authorId, page.after, page.limit + 1));
    const pageRows = rows.slice(0, page.limit);
    const rendered = new Map((await this.deps.renderer.posts(pageRows, viewerId)).map((v) => [v.id, v]));
    return toPage(
      rows,
      page.limit,
      (p) => ({ t: p.createdAt.getTime(), id: p._id }),
      (p) => rendered.get(p._id)!,
    );
  }

  async editCaption(id: string, userId: string, caption: string): Promise<Post> {
    const { posts, renderer, copies } = this.deps;
    const { hashtags, mentions } = await analyseText(copies, caption, 'caption');
    const updated = await this.deps.lock.run(this.lockKey(id), async () => {
      for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt += 1) {
        const post = await posts.findLive(id);
        if (!post) throw new NotFoundError('Post not found');
        if (post.authorId !== userId) throw new ForbiddenError('Only the author may edit this post');
        const next: PostDoc = { ...post, caption, hashtags, mentions, updatedAt: new Date(), version: post.version + 1 };
        const event = publishing.postUpdated(next, await renderer.currentMedia(post));
        // Guarded by both versions: the event's counts must be the post's counts at this version.
        const done = await posts.update(
          id,
          { version: post.version, engagementVersion: post.engagementVersion },
          { set: { caption, hashtags, mentions, updatedAt: next.updatedAt }, inc: { version: 1 }, events: [event] },
        );
        if (done) return next;
        await pause();
      }
      throw new ConflictError('The post kept changing; try again');
    });
    this.deps.notify(id);
    await this.deps.reads.refreshPost(id);
    return renderer.post(updated, userId);
  }

  /** Soft delete: the post becomes a tombstone (reads answer 404) that keeps its outbox. */
  async remove(id: string, by: Remover): Promise<void> {
    const { posts } = this.deps;
    await this.deps.lock.run(this.lockKey(id), async () => {
      for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt += 1) {
        const post = await posts.findLive(id);
        if (!post) throw new NotFoundError('Post not found');
        if (by !== 'account-deleted' && post.authorId !== by.userId) throw new ForbiddenError('Only the author may delete this post');
        const now = new Date();
        const event = publishing.postDeleted(post);
        const done = await posts.update(
          id,
          { version: post.version },
          {
            set: { deletedAt: now, updatedAt: now },
            unset: ['caption', 'hashtags', 'mentions', 'media'],
            inc: { version: 1 },
            events: [event],
          },
        );
        if (done) return;
        await pause();
      }
      throw new ConflictError('The post kept changing; try again');
    });
    this.deps.notify(id);
    await this.deps.reads.refreshPost(id);
  }

  /** A deleted account's posts go with it (each with its post.deleted event). Safe to repeat. */
  async removeAllByAuthor(authorId: string): Promise<number> {
    let removed = 0;
    for (const id of await this.deps.posts.liveIdsByAuthor(authorId)) {
      try {
        await this.remove(id, 'account-deleted');
        removed += 1;
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
      }
    }
    return removed;
  }
}
