/**
 * The copies of other services' data this service keeps, fed by their events and applied by
 * version: users (to render authors and resolve @mentions) and media (to check and render the
 * images of a post). A deletion is a versioned tombstone, so an older event arriving after it
 * cannot bring the item back.
 */
import { applyIfNewerMongo, collectionOf, findAmong, type ApplyOutcome, type EventData, type Events } from '@lumina/common';
import { type MediaCopyDoc, type Models, type UserCopyDoc } from './models';

type MediaReady = EventData<typeof Events.mediaReady>;

export class CopiesStore {
  // applyIfNewerMongo takes the document's lock itself (common/src/store/keyed-lock.ts).
  constructor(private readonly models: Models) {}

  // ---- users ----------------------------------------------------------------------------

  async applyUser(user: {
    id: string;
    username: string;
    displayName: string;
    avatar: UserCopyDoc['avatar'];
    version: number;
  }): Promise<ApplyOutcome> {
    const collection = collectionOf(this.models.UserCopy);
    return applyIfNewerMongo<UserCopyDoc>(collection, user.id, user.version, {
      username: user.username,
      displayName: user.displayName,
      avatar: user.avatar,
      deleted: false,
      syncedAt: new Date(),
    });
  }

  async applyUserDeleted(id: string, version: number): Promise<ApplyOutcome> {
    const collection = collectionOf(this.models.UserCopy);
    return applyIfNewerMongo<UserCopyDoc>(collection, id, version, { deleted: true, syncedAt: new Date() });
  }

  async findUser(id: string): Promise<UserCopyDoc | null> {
    return this.models.UserCopy.findById(id).lean<UserCopyDoc>().exec();
  }

  /** The copies of these users, deleted ones included (their tombstones), by id. */
  async usersByIds(ids: string[]): Promise<Map<string, UserCopyDoc>> {
    const rows = await findAmong(collectionOf(this.models.UserCopy), '_id', ids);
    return new Map(rows.map((r) => [r._id, r as UserCopyDoc]));
  }

  /** Existing users by username. If two copies hold one name mid-rename, the latest change wins. */
  async usersByUsernames(usernames: string[]): Promise<Map<string, UserCopyDoc>> {
    const rows = (await findAmong(collectionOf(this.models.UserCopy), 'username', usernames, {
      filter: { deleted: { $ne: true } },
    })) as UserCopyDoc[];
    rows.sort((a, b) => (a.syncedAt?.getTime() ?? 0) - (b.syncedAt?.getTime() ?? 0));
    return new Map(rows.map((r) => [r.username, r]));
  }

  // ---- media ----------------------------------------------------------------------------

  async applyMediaReady(media: MediaReady): Promise<ApplyOutcome> {
    return this.applyMedia(media.id, media.version, {
      ownerId: media.ownerId,
      status: 'ready',
      width: media.width,
      height: media.height,
      blurhash: media.blurhash,
      variants: media.variants,
    });
  }

  async applyMediaGone(media: { id: string; ownerId: string; version: number }, status: 'failed' | 'deleted'): Promise<ApplyOutcome> {
    return this.applyMedia(media.id, media.version, { ownerId: media.ownerId, status });
  }

  private async applyMedia(id: string, version: number, fields: Partial<MediaCopyDoc>): Promise<ApplyOutcome> {
    const collection = collectionOf(this.models.MediaCopy);
    return applyIfNewerMongo<MediaCopyDoc>(collection, id, version, fields);
  }

  async findMedia(id: string): Promise<MediaCopyDoc | null> {
    return this.models.MediaCopy.findById(id).lean<MediaCopyDoc>().exec();
  }

  async mediaByIds(ids: string[]): Promise<Map<string, MediaCopyDoc>> {
    const rows = await findAmong(collectionOf(this.models.MediaCopy), '_id', ids);
    return new Map(rows.map((r) => [r._id, r as MediaCopyDoc]));
  }
}
