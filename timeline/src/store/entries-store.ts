/**
 * Home timeline entries: one small document per (owner, post), written by fan-out. Pages read an
 * owner's entries by (createdAt desc, postId desc); the stream reads them by landing sequence.
 */
import { isFerretDb } from '@lumina/common';
import type { Model } from 'mongoose';
import { entryKey } from '../ids';
import { afterTime, type TimePosition } from '../positions';
import { duplicateIndexes } from './errors';
import { rawCollection, type EntryDoc } from './models';

export type NewEntry = Omit<EntryDoc, '_id'>;

/** Up to this many owners, FerretDB counts them one by one (see ownersOver). */
const FEW_OWNERS = 32;

export interface EntryRef {
  postId: string;
  createdAt: Date;
  seq: string;
}

export class EntriesStore {
  constructor(private readonly model: Model<EntryDoc>) {}

  /**
   * Writes entries in one unordered bulk insert; those already there (a redelivered fan-out) are
   * skipped by the unique key. Answers the entries that were new.
   */
  async insert(entries: NewEntry[]): Promise<NewEntry[]> {
    if (entries.length === 0) return [];
    const docs = entries.map((e) => ({ _id: entryKey(e.ownerId, e.postId), ...e }));
    try {
      await rawCollection(this.model).insertMany(docs, { ordered: false });
      return entries;
    } catch (err) {
      const skipped = duplicateIndexes(err);
      return entries.filter((_, i) => !skipped.has(i));
    }
  }

  /** One owner's entries strictly after `position`, newest first. */
  async page(ownerId: string, position: TimePosition | undefined, limit: number): Promise<EntryRef[]> {
    return this.model
      .find({ ownerId, ...afterTime<EntryDoc>(position, 'createdAt', 'postId') }, { postId: 1, createdAt: 1, seq: 1, _id: 0 })
      .sort({ createdAt: -1, postId: -1 })
      .limit(limit)
      .lean<EntryRef[]>();
  }

  /** What landed in an owner's timeline after a sequence, oldest first. */
  async landedAfter(ownerId: string, seq: string, limit: number): Promise<EntryRef[]> {
    return this.model
      .find({ ownerId, seq: { $gt: seq } }, { postId: 1, createdAt: 1, seq: 1, _id: 0 })
      .sort({ seq: 1 })
      .limit(limit)
      .lean<EntryRef[]>();
  }

  /** A deleted post leaves every timeline. */
  async deletePost(postId: string): Promise<number> {
    return (await this.model.deleteMany({ postId })).deletedCount;
  }

  /** Takes one post out of these owners' timelines (they stopped following during its fan-out). */
  async deletePostFrom(postId: string, ownerIds: string[]): Promise<number> {
    if (ownerIds.length === 0) return 0;
    return (await this.model.deleteMany({ _id: { $in: ownerIds.map((o) => entryKey(o, postId)) } })).deletedCount;
  }

  /** Unfollow: the author's posts leave the owner's timeline. */
  async deleteAuthorFrom(ownerId: string, authorId: string): Promise<number> {
    return (await this.model.deleteMany({ ownerId, authorId })).deletedCount;
  }

  /**
   * Of these owners, those holding more than `bound` entries. On MongoDB one grouped count for
   * the whole batch (an index range per owner). FerretDB cannot push that `$in` down and reads
   * the whole collection for it, so there a few owners (the usual case: about one follower in
   * TIMELINE_TRIM_SAMPLE) are counted one by one, each a pushed-down equality; many owners (a
   * large fan-out) still take the single pass, which then costs less than the separate counts.
   */
  async ownersOver(ownerIds: string[], bound: number): Promise<string[]> {
    if (ownerIds.length === 0) return [];
    if (ownerIds.length <= FEW_OWNERS && this.model.db.db && (await isFerretDb(this.model.db.db))) {
      const over = await Promise.all(
        ownerIds.map(async (ownerId) => ((await this.model.countDocuments({ ownerId }).limit(bound + 1)) > bound ? ownerId : null)),
      );
      return over.filter((ownerId): ownerId is string => ownerId !== null);
    }
    const rows = await this.model.aggregate<{ _id: string }>([
      { $match: { ownerId: { $in: ownerIds } } },
      { $group: { _id: '$ownerId', n: { $sum: 1 } } },
      { $match: { n: { $gt: bound } } },
      { $project: { _id: 1 } },
    ]);
    return rows.map((r) => r._id);
  }

  /**
   * Keeps an owner's newest `max` entries once it holds more than max + slack. Counting stops at
   * max + slack + 1, so checking costs no more than the bound.
   */
  async trimIfOver(ownerId: string, max: number, slack: number): Promise<number> {
    const count = await this.model.countDocuments({ ownerId }).limit(max + slack + 1);
    if (count <= max + slack) return 0;
    const [cut] = await this.model
      .find({ ownerId }, { postId: 1, createdAt: 1, _id: 0 })
      .sort({ createdAt: -1, postId: -1 })
      .skip(max)
      .limit(1)
      .lean<EntryRef[]>();
    if (!cut) return 0;
    // Everything at or after the first entry past the newest `max`.
    const res = await this.model.deleteMany({
      ownerId,
      createdAt: { $lte: cut.createdAt },
      $or: [{ createdAt: { $lt: cut.createdAt } }, { postId: { $lte: cut.postId } }],
    });
    return res.deletedCount;
  }

  countOwner(ownerId: string): Promise<number> {
    return this.model.countDocuments({ ownerId }).exec();
  }

  countPost(postId: string): Promise<number> {
    return this.model.countDocuments({ postId }).exec();
  }

  async ownersOf(postId: string): Promise<string[]> {
    const docs = await this.model.find({ postId }, { ownerId: 1, _id: 0 }).lean<Array<{ ownerId: string }>>();
    return docs.map((d) => d.ownerId);
  }
}
