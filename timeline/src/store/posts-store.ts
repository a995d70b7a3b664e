/**
 * The copy of posts every page renders from. A post document is changed by three kinds of
 * events with two version counters (the post's, and its engagement's), so each change is a
 * compare-and-set on `rev`: read, compute the new document, write it only if nobody wrote in
 * between, else read again.
 */
import { collectionOf, documentKey, documentLock, findAmong, isDuplicateKeyError } from '@lumina/common';
import type { Model } from 'mongoose';
import { after, type ScorePosition } from '../positions';
import { type FanoutState, type PostDoc } from './models';

/** Computes a post's next state from the current one (null if absent); null means "no change". */
export type PostMutation = (current: PostDoc | null) => Omit<PostDoc, 'rev'> | null;

export interface PostRef {
  _id: string;
  authorId: string;
  createdAt: Date;
  seq: string;
  fanout: FanoutState;
}

const REF = { authorId: 1, createdAt: 1, seq: 1, fanout: 1 } as const;

const MAX_ATTEMPTS = 20;

export interface MutateOptions {
  /**
   * The post is most likely not in the copy yet (post.created): insert first, and read and
   * decide again only if it was. Saves a read for nearly every new post.
   */
  likelyNew?: boolean;
}

/** Absent, not null: a field set to undefined is left out of the stored document. */
function withoutUndefined<T extends object>(doc: T): T {
  return Object.fromEntries(Object.entries(doc).filter(([, v]) => v !== undefined)) as T;
}

export class PostsStore {
  constructor(private readonly model: Model<PostDoc>) {}

  get(id: string): Promise<PostDoc | null> {
    return this.model.findById(id).lean<PostDoc>().exec();
  }

  async byIds(ids: string[]): Promise<Map<string, PostDoc>> {
    if (ids.length === 0) return new Map();
    const docs = await findAmong(collectionOf(this.model), '_id', ids);
    return new Map(docs.map((d) => [d._id, d as PostDoc]));
  }

  /**
   * Applies a mutation atomically; answers whether it changed anything and the document now.
   * The `rev` compare-and-set makes it atomic on MongoDB; FerretDB 1.24 does not make that
   * compare-and-set atomic, so this process's changes of one post also queue on its lock.
   */
  mutate(id: string, mutation: PostMutation, options: MutateOptions = {}): Promise<{ changed: boolean; post: PostDoc | null }> {
    return documentLock.run(documentKey(this.model.collection.collectionName, id), () => this.mutateUnlocked(id, mutation, options));
  }

  private async mutateUnlocked(
    id: string,
    mutation: PostMutation,
    options: MutateOptions,
  ): Promise<{ changed: boolean; post: PostDoc | null }> {
    // Likely new: insert what the mutation makes of nothing, and read only if the post was there.
    if (options.likelyNew) {
      const inserted = await this.insertIfAbsent(id, mutation(null));
      if (inserted) return { changed: true, post: inserted };
    }
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      const current = await this.get(id);
      const changed = mutation(current);
      if (!changed) return { changed: false, post: current };
      if (!current) {
        const inserted = await this.insertIfAbsent(id, changed);
        if (inserted) return { changed: true, post: inserted };
        continue; // created meanwhile: read it and decide again
      }
      const next = withoutUndefined(changed);
      const doc = { ...next, _id: id, rev: current.rev + 1 };
      const res = await collectionOf(this.model).replaceOne({ _id: id, rev: current.rev }, doc);
      if (res.matchedCount === 1) return { changed: true, post: doc };
    }
    throw new Error(`post ${id}: too many concurrent changes`);
  }

  /** The document inserted at rev 1, or null when one with this id exists. */
  private async insertIfAbsent(id: string, fields: Omit<PostDoc, 'rev'> | null): Promise<PostDoc | null> {
    if (!fields) return null;
    const doc = { ...withoutUndefined(fields), _id: id, rev: 1 };
    try {
      await collectionOf(this.model).insertOne(doc);
      return doc;
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      return null;
    }
  }

  /** Records how the post was fanned out; answers the document after the change (null: gone). */
  setFanout(id: string, fanout: FanoutState): Promise<PostDoc | null> {
    return documentLock.run(
      documentKey(this.model.collection.collectionName, id),
      () =>
        collectionOf(this.model).findOneAndUpdate(
          { _id: id },
          { $set: { fanout }, $inc: { rev: 1 } },
          { returnDocument: 'after' },
        ) as Promise<PostDoc | null>,
    );
  }

  /** An author's latest live posts (what following them brings in). */
  latestByAuthor(authorId: string, limit: number): Promise<PostRef[]> {
    return this.model.find({ authorId, state: 'live' }, REF).sort({ createdAt: -1, _id: -1 }).limit(limit).lean<PostRef[]>();
  }

  /** Every live post (the rebuild of every feed reads them once). */
  async *allLive(batchSize = 5000): AsyncGenerator<PostRef> {
    const cursor = this.model.collection.find({ state: 'live' }, { projection: REF, batchSize });
    try {
      for await (const doc of cursor) yield doc as unknown as PostRef;
    } finally {
      await cursor.close();
    }
  }

  /** Live posts created since `since`, by stored score, strictly after `position`. */
  ranked(since: Date, position: ScorePosition | undefined, limit: number): Promise<PostDoc[]> {
    const cursor = position ? after<PostDoc>('hot', '_id', position.h, position.id) : {};
    return this.model
      .find({ state: 'live', createdAt: { $gte: since }, ...cursor })
      .sort({ hot: -1, _id: -1 })
      .limit(limit)
      .lean<PostDoc[]>();
  }
}
