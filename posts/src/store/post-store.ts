/**
 * Every read and write of the posts collection. Each write is one single-document update that
 * carries its events in the post's outbox, guarded by the versions the caller read (so a write
 * based on a stale read changes nothing and the caller retries).
 */
import { collectionOf, OUTBOX_PENDING_FIELD, type Envelope, type TimeIdCursor } from '@lumina/common';
import { type Models, type PendingOp, type PostDoc } from './models';

type UpdatableFields = Pick<PostDoc, 'caption' | 'hashtags' | 'mentions' | 'updatedAt' | 'deletedAt'>;

export interface PostChange {
  set?: Partial<UpdatableFields>;
  unset?: Array<keyof PostDoc>;
  inc?: Partial<Pick<PostDoc, 'likeCount' | 'commentCount' | 'version' | 'engagementVersion'>>;
  events: Envelope[];
  pending?: PendingOp;
}

export interface ExpectedVersions {
  version?: number;
  engagementVersion?: number;
}

/** The flag a post with engagement ops carries (raised with each op, lowered by the sweeper). */
const PENDING_OPS_FIELD = '_pendingOps';

/** The live-post filter: a deleted post is a tombstone every read treats as absent. */
const LIVE = { deletedAt: null };

export class PostStore {
  constructor(private readonly models: Models) {}

  get collectionName(): string {
    return collectionOf(this.models.Post).collectionName;
  }

  async insert(post: PostDoc): Promise<void> {
    await collectionOf(this.models.Post).insertOne(post);
  }

  async findLive(id: string, options: { withPending?: boolean } = {}): Promise<PostDoc | null> {
    const query = this.models.Post.findOne({ _id: id, ...LIVE });
    if (options.withPending) query.select('+_pending');
    return query.lean<PostDoc>().exec();
  }

  /** Any post, deleted (a tombstone, with its versions) or not: what the cache is filled from. */
  async findAny(id: string): Promise<PostDoc | null> {
    return this.models.Post.findOne({ _id: id }).lean<PostDoc>().exec();
  }

  /** Any post, deleted or not, with its pending engagement writes; for finishing them. */
  async findPending(id: string): Promise<Pick<PostDoc, '_id' | '_pending'> | null> {
    return this.models.Post.findOne({ _id: id }).select('_id +_pending').lean<Pick<PostDoc, '_id' | '_pending'>>().exec();
  }

  /** One author's live posts, newest first, after the cursor position. */
  async listByAuthor(authorId: string, after: TimeIdCursor | undefined, limit: number): Promise<PostDoc[]> {
    const position = after
      ? { $or: [{ createdAt: { $lt: new Date(after.t) } }, { createdAt: new Date(after.t), _id: { $lt: after.id } }] }
      : {};
    return this.models.Post.find({ authorId, ...LIVE, ...position })
      .sort({ createdAt: -1, _id: -1 })
      .limit(limit)
      .lean<PostDoc[]>()
      .exec();
  }

  /** The sort keys of an author's live posts, newest first, at most `limit`: an author list's fill. */
  async liveKeysByAuthor(authorId: string, limit: number): Promise<Array<Pick<PostDoc, '_id' | 'createdAt'>>> {
    return this.models.Post.find({ authorId, ...LIVE })
      .select('_id createdAt')
      .sort({ createdAt: -1, _id: -1 })
      .limit(limit)
      .lean<Array<Pick<PostDoc, '_id' | 'createdAt'>>>()
      .exec();
  }

  async liveIdsByAuthor(authorId: string): Promise<string[]> {
    const rows = await this.models.Post.find({ authorId, ...LIVE })
      .select('_id')
      .lean<Array<{ _id: string }>>()
      .exec();
    return rows.map((r) => r._id);
  }

  /**
   * Applies a change to a live post if it still has the versions the caller read; answers
   * whether it did. The events (and a pending engagement op) go in with the change.
   */
  async update(id: string, expected: ExpectedVersions, change: PostChange): Promise<boolean> {
    const filter: Record<string, unknown> = { _id: id, ...LIVE };
    if (expected.version !== undefined) filter.version = expected.version;
    if (expected.engagementVersion !== undefined) filter.engagementVersion = expected.engagementVersion;
    const push: Record<string, unknown> = { _outbox: { $each: change.events } };
    // The flag the outbox relay finds pending events by (common/src/outbox/mongo-outbox.ts), and
    // with an engagement op the one the sweeper finds it by.
    const set: Record<string, unknown> = { ...change.set, [OUTBOX_PENDING_FIELD]: true };
    if (change.pending) {
      push._pending = change.pending;
      set[PENDING_OPS_FIELD] = true;
    }
    const update: Record<string, unknown> = { $push: push, $set: set };
    if (change.unset) update.$unset = Object.fromEntries(change.unset.map((field) => [field, '']));
    if (change.inc) update.$inc = change.inc;
    const result = await collectionOf(this.models.Post).updateOne(filter, update);
    return result.modifiedCount === 1;
  }

  /** Removes finished engagement ops, matched exactly as they were read. */
  async clearPending(id: string, ops: PendingOp[]): Promise<void> {
    if (ops.length === 0) return;
    await collectionOf(this.models.Post).updateOne({ _id: id }, { $pullAll: { _pending: ops } });
  }

  /**
   * Posts flagged as having engagement ops, with their ops (none: all done since): those engaged
   * with since the sweeper's last pass, a few. `unflagged`: every post with ops, flag or not,
   * which reads every post (once per process: a release before the flag raised none).
   */
  async withPendingOps({ unflagged = false } = {}): Promise<Array<Pick<PostDoc, '_id' | '_pending'>>> {
    const filter = unflagged ? { '_pending.0': { $exists: true } } : { [PENDING_OPS_FIELD]: true };
    return this.models.Post.find(filter).select('_id +_pending').lean<Array<Pick<PostDoc, '_id' | '_pending'>>>().exec();
  }

  /** Raises the flag of a post whose ops an older release wrote without it. */
  async raisePendingOpsFlag(id: string): Promise<void> {
    await collectionOf(this.models.Post).updateOne({ _id: id }, { $set: { [PENDING_OPS_FIELD]: true } });
  }

  /** Lowers the flag of a post with no op left; one that got an op meanwhile keeps it. */
  async lowerPendingOpsFlag(id: string): Promise<void> {
    await collectionOf(this.models.Post).updateOne({ _id: id, '_pending.0': { $exists: false } }, { $unset: { [PENDING_OPS_FIELD]: '' } });
  }
}
