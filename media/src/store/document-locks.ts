/**
 * Serialises this process's writes to one document. MongoDB applies each single-document update
 * atomically, but FerretDB 1.24 (the MongoDB-protocol server of the tests and of one-machine
 * runs) reads, changes and rewrites the whole document without isolation: two concurrent updates
 * of one document can lose one of them, and a conditional update can match twice. Queuing the
 * writes of one document behind each other removes that within a process, and costs nothing
 * noticeable on MongoDB.
 */
export class DocumentLocks {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(id: string, write: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(id) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    this.tails.set(id, tail);
    await previous;
    try {
      return await write();
    } finally {
      release();
      if (this.tails.get(id) === tail) this.tails.delete(id);
    }
  }
}
