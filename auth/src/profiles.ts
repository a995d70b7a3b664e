/** Public profiles and the signed-in user's own profile changes. */
import { BadRequestError, NotAuthorizedError, NotFoundError, type Avatar } from '@lumina/common';
import type { Pool } from 'mysql2/promise';
import { recordUserUpdated } from './events/publishing';
import { inTransaction, type Tx } from './store/db';
import type { FollowsStore } from './store/follows-store';
import type { ReadyMediaStore } from './store/ready-media-store';
import type { UsersStore } from './store/users-store';
import type { Profile } from '@lumina/contract';
import { profile, type User } from './users';

export interface ProfileUpdate {
  displayName?: string;
  bio?: string;
  /** null removes the avatar. */
  avatarMediaId?: string | null;
}

export interface ProfilesDeps {
  pool: Pool;
  users: UsersStore;
  follows: FollowsStore;
  readyMedia: ReadyMediaStore;
  afterCommit: () => void;
}

export const AVATAR_NOT_USABLE = 'avatarMediaId must name a ready image you uploaded';

export class Profiles {
  constructor(private readonly deps: ProfilesDeps) {}

  async byUsername(username: string, viewerId: string | undefined): Promise<Profile> {
    const user = await this.deps.users.findByUsername(username);
    if (!user) throw new NotFoundError('User not found');
    if (!viewerId) return profile(user, undefined);
    const isFollowing = viewerId !== user.id && (await this.deps.follows.isFollowing(viewerId, user.id));
    return profile(user, { id: viewerId, isFollowing });
  }

  /**
   * Applies the changes; a real change bumps the version and records user.updated in the same
   * transaction. Writing the values the profile already has changes nothing and records nothing.
   */
  async update(userId: string, changes: ProfileUpdate): Promise<User> {
    const { users, readyMedia } = this.deps;
    const outcome = await inTransaction(this.deps.pool, async (tx) => {
      const current = await users.lockById(tx, userId);
      if (!current) throw new NotAuthorizedError();
      let avatar: Avatar = current.avatar;
      if (changes.avatarMediaId === null) {
        avatar = null;
      } else if (changes.avatarMediaId !== undefined && changes.avatarMediaId !== current.avatar?.mediaId) {
        const media = await readyMedia.findReady(changes.avatarMediaId, tx);
        if (!media || media.ownerId !== userId) throw new BadRequestError(AVATAR_NOT_USABLE, 'avatarMediaId');
        avatar = { mediaId: media.mediaId, url: media.thumbUrl, blurhash: media.blurhash };
      }
      const next: User = {
        ...current,
        displayName: changes.displayName ?? current.displayName,
        bio: changes.bio ?? current.bio,
        avatar,
      };
      const changed =
        next.displayName !== current.displayName ||
        next.bio !== current.bio ||
        JSON.stringify(next.avatar) !== JSON.stringify(current.avatar);
      if (!changed) return { user: current, changed };
      return { user: await this.write(tx, current, next), changed };
    });
    if (outcome.changed) this.deps.afterCommit();
    return outcome.user;
  }

  /** The image was deleted: every profile showing it goes back to no avatar (a user.updated each). */
  async dropDeletedAvatar(mediaId: string): Promise<number> {
    const holders = await this.deps.users.idsWithAvatar(mediaId);
    let dropped = 0;
    for (const userId of holders) {
      const changed = await inTransaction(this.deps.pool, async (tx) => {
        const current = await this.deps.users.lockById(tx, userId);
        if (!current || current.avatar?.mediaId !== mediaId) return false;
        await this.write(tx, current, { ...current, avatar: null });
        return true;
      });
      if (changed) dropped += 1;
    }
    if (dropped > 0) this.deps.afterCommit();
    return dropped;
  }

  private async write(tx: Tx, current: User, next: User): Promise<User> {
    const written = { ...next, version: current.version + 1 };
    await this.deps.users.updateProfile(tx, written.id, written, written.version);
    await recordUserUpdated(tx, written);
    return written;
  }
}
