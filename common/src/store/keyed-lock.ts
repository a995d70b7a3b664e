/**
 * Serialises async work per key within this process.
 *
 * Why it exists: FerretDB 1.24 (the MongoDB-protocol server used where no mongod is available)
 * runs an update as a read followed by a write, without a transaction, so two concurrent
 * updates of one document can lose one — even `$inc` (measured: 50 concurrent `$inc` → 5).
 * MongoDB 7 makes each single-document update atomic and needs none of this. Taking this lock
 * around every read-modify-write of one document makes a single replica correct on FerretDB;
 * several replicas of one service against FerretDB remain unsafe (README says so), which is
 * why Kubernetes runs MongoDB 7.
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const current = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => current);
    this.tails.set(key, tail);
    await previous;
    try {
      return await work();
    } finally {
      release();
      // Forget the key once nobody queued behind us, so the map does not grow without bound.
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  get size(): number {
    return this.tails.size;
  }
}

/** The process-wide lock for writes to one MongoDB document, keyed by `documentKey`. */
export const documentLock = new KeyedLock();

/** The lock key of one document: `<collection>:<id>`. */
export function documentKey(collectionName: string, id: unknown): string {
  return `${collectionName}:${String(id)}`;
}
