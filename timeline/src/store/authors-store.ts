/** The copy of users this service renders authors and actors from, applied by user version. */
import {
  applyIfNewerMongo,
  collectionOf,
  documentKey,
  documentLock,
  findAmong,
  isDuplicateKeyError,
  type ApplyOutcome,
  type UserState,
} from '@lumina/common';
import type { Model } from 'mongoose';
import { type AuthorDoc } from './models';

export class AuthorsStore {
  constructor(private readonly model: Model<AuthorDoc>) {}

  apply(user: UserState): Promise<ApplyOutcome> {
    return applyIfNewerMongo(this.model.collection, user.id, user.version, {
      username: user.username,
      displayName: user.displayName,
      avatar: user.avatar,
      deleted: false,
    });
  }

  /** A tombstone: an older user.updated arriving later cannot bring the user back. */
  applyDeleted(id: string, version: number): Promise<ApplyOutcome> {
    return applyIfNewerMongo(this.model.collection, id, version, { deleted: true, username: '', displayName: '', avatar: null });
  }

  /** Marks an author whose posts are merged in at read time (creating a placeholder if unknown yet). */
  async markPulled(id: string): Promise<void> {
    const update = { $set: { pulled: true }, $setOnInsert: { version: 0, deleted: false, username: '', displayName: '', avatar: null } };
    // Under the lock applyIfNewerMongo takes for this author: FerretDB's updates are not atomic.
    await documentLock.run(documentKey(this.model.collection.collectionName, id), async () => {
      try {
        await collectionOf(this.model).updateOne({ _id: id }, update, { upsert: true });
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err;
        await collectionOf(this.model).updateOne({ _id: id }, { $set: { pulled: true } });
      }
    });
  }

  async byIds(ids: string[]): Promise<Map<string, AuthorDoc>> {
    if (ids.length === 0) return new Map();
    const docs = await findAmong(collectionOf(this.model), '_id', ids);
    return new Map(docs.map((d) => [d._id, d as AuthorDoc]));
  }

  /** Every author whose posts are merged at read time (few: only those over the threshold). */
  async pulledIds(): Promise<string[]> {
    const docs = await this.model.find({ pulled: true }, { _id: 1 }).lean<Array<{ _id: string }>>();
    return docs.map((d) => d._id);
  }
}
