/**
 * Serialises writes to one document within this process.
 *
 * Why: FerretDB 1.24 (the MongoDB-protocol server of tests and the one-machine mode) runs every
 * update as a read-modify-write of the whole document without isolation — 50 concurrent `$inc`s
 * of one field leave it at about 5, and a conditional update can match a state another update
 * is replacing. So every write to a post (and to one copied user or media item) takes this
 * lock, including the outbox relay's clear (see `lockedCollection`). On MongoDB 7, whose
 * single-document updates are atomic, the writes are also guarded by version checks, so several
 * replicas stay correct; the lock then only spares a hot post from compare-and-set retries.
 */
import type { mongo } from 'mongoose';

export class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    await previous;
    try {
      return await work();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** Keys with work queued or running; for tests. */
  get size(): number {
    return this.tails.size;
  }
}

/** The lock key of one document: `<collection>:<id>`. */
export function documentKey(collectionName: string, id: unknown): string {
  return `${collectionName}:${String(id)}`;
}

/**
 * The collection as the outbox relay sees it: its `updateOne` (the clear of published events)
 * runs under the same per-document lock as this service's own writes.
 */
export function lockedCollection<T extends mongo.Document>(collection: mongo.Collection<T>, lock: KeyedLock): mongo.Collection<T> {
  return new Proxy(collection, {
    get(target, property) {
      if (property === 'updateOne') {
        return (filter: mongo.Filter<T>, update: mongo.UpdateFilter<T>, options?: mongo.UpdateOptions) =>
          lock.run(documentKey(target.collectionName, (filter as { _id?: unknown })._id), () => target.updateOne(filter, update, options));
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
