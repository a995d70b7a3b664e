/**
 * This process's picture of the media waiting to be processed: id, turn, upload time and claim,
 * kept in memory, so that taking the next media in fair order costs no query that grows with the
 * backlog.
 *
 * Why: FerretDB 1.24 over PostgreSQL pushes only top-level equality down; a range (`claimedUntil`
 * ≤ now, `$or`), `$in` or a sort is done in its own process over every document the equality
 * matched, and no index serves it. Claiming with `findOne({status: 'processing', claimable})
 * .sort({turn, createdAt})` therefore read and sorted every waiting media on every claim, and every
 * job handler polling every 500 ms did so again: with 500 waiting, the drain crawled at ~1 media/s
 * (quadratic overall). Here the one query that reads them all (`status` equality, a projection,
 * sorted in JavaScript) runs at most once per `refreshMs` for the whole process, however many
 * handlers claim; a claim itself reads and writes one document by `_id`.
 *
 * The picture is only a hint, never trusted for correctness: a claim re-reads the chosen media by
 * `_id` and takes it with the same conditional update as before, so a media claimed or finished by
 * another replica since the last load costs one wasted `_id` read, after which the entry is put
 * right. What staleness can cost is order, not safety: an upload made through another process is
 * seen at the next load (≤ `refreshMs`), or as soon as a job naming it reaches a handler here
 * (`note`), whichever comes first.
 *
 * Simpler than the alternatives considered: a queue field per turn bucket needs a shared "current
 * turn" counter, which FerretDB cannot increment atomically; strict JetStream order loses fairness
 * (one owner's 300 jobs sit ahead of everyone else's in the stream).
 */

export interface WaitingEntry {
  _id: string;
  turn: number;
  createdAt: Date;
  /** Claimed by a worker, or waiting out a failed try, until then. */
  claimedUntil: Date | null;
}

interface Entry {
  id: string;
  turn: number;
  createdAt: number;
  /** Epoch ms; 0 when not claimed. */
  claimedUntil: number;
}

const toEntry = (w: WaitingEntry): Entry => ({
  id: w._id,
  turn: w.turn,
  createdAt: new Date(w.createdAt).getTime(),
  claimedUntil: w.claimedUntil ? new Date(w.claimedUntil).getTime() : 0,
});

const byTurn = (a: Entry, b: Entry) => a.turn - b.turn || a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export class WaitingQueue {
  private entries = new Map<string, Entry>();
  /** The entries in claim order, rebuilt lazily after a change. */
  private order: Entry[] | null = null;
  private loadedAt = -Infinity;
  private loading: Promise<void> | null = null;
  /** Full loads so far (tests count them). */
  loads = 0;

  constructor(
    private readonly loadAll: () => Promise<WaitingEntry[]>,
    private readonly refreshMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Loads again when the last load is older than `refreshMs`; concurrent callers share one load. */
  async fresh(): Promise<void> {
    if (this.clock() - this.loadedAt < this.refreshMs) return;
    this.loading ??= (async () => {
      const startedAt = this.clock();
      try {
        const all = await this.loadAll();
        this.entries = new Map(all.map((w) => [w._id, toEntry(w)]));
        this.order = null;
        this.loads += 1;
        this.loadedAt = startedAt;
      } finally {
        this.loading = null;
      }
    })();
    await this.loading;
  }

  /** A media known to be waiting (just inserted, read by `_id`, its claim renewed or deferred). */
  note(w: WaitingEntry): void {
    const entry = toEntry(w);
    const had = this.entries.get(entry.id);
    this.entries.set(entry.id, entry);
    if (!had || had.turn !== entry.turn || had.createdAt !== entry.createdAt) this.order = null;
    else Object.assign(had, entry);
  }

  /** Claimed or deferred until then (the entry keeps its place). */
  claimedUntil(id: string, until: Date): void {
    const had = this.entries.get(id);
    if (had) had.claimedUntil = until.getTime();
  }

  /** No longer waiting (ready, failed, deleted, discarded). */
  forget(id: string): void {
    if (this.entries.delete(id)) this.order = null;
  }

  private ordered(): Entry[] {
    if (!this.order) this.order = [...this.entries.values()].sort(byTurn);
    return this.order;
  }

  /**
   * Ids to try, lowest turn first, of the media not claimed at `now` as far as this process knows.
   * A generator: a claim usually takes the first.
   */
  *claimable(now: number): Generator<string> {
    for (const e of this.ordered()) if (e.claimedUntil <= now && this.entries.get(e.id) === e) yield e.id;
  }

  /** The lowest turn waiting, as far as this process knows; null when none is. */
  headTurn(): number | null {
    return this.ordered()[0]?.turn ?? null;
  }

  get size(): number {
    return this.entries.size;
  }
}
