/**
 * The follow graph. Each ordered pair has one edge whose version grows with every change of
 * state, so consumers can tell an unfollow that overtook its follow. Following twice (or
 * unfollowing twice) changes nothing and records no event.
 */
import { BadRequestError, NotAuthorizedError, NotFoundError, toPage, type Page, type PageRequest, type TimeIdCursor } from '@lumina/common';
import type { Pool } from 'mysql2/promise';
import { recordEdgeChange } from './events/publishing';
import { inTransaction, type Tx } from './store/db';
import type { Direction, FollowsStore } from './store/follows-store';
import type { UsersStore } from './store/users-store';
import type { PublicUser } from '@lumina/contract';
import { publicUser } from './users';

export interface FollowGraphDeps {
  pool: Pool;
  users: UsersStore;
  follows: FollowsStore;
  afterCommit: () => void;
}

export class FollowGraph {
  constructor(private readonly deps: FollowGraphDeps) {}

  follow(followerId: string, followeeId: string): Promise<void> {
    return this.setFollowing(followerId, followeeId, true);
  }

  unfollow(followerId: string, followeeId: string): Promise<void> {
    return this.setFollowing(followerId, followeeId, false);
  }

  async list(direction: Direction, userId: string, page: PageRequest<TimeIdCursor>): Promise<Page<PublicUser>> {
    if (!(await this.deps.users.findById(userId))) throw new NotFoundError('User not found');
    const rows = await this.deps.follows.list(direction, userId, page.after, page.limit + 1);
    return toPage(
      rows,
      page.limit,
      (row) => ({ t: row.followedAt.getTime(), id: row.user.id }),
      (row) => publicUser(row.user),
    );
  }

  private async setFollowing(followerId: string, followeeId: string, active: boolean): Promise<void> {
    if (followerId === followeeId) throw new BadRequestError(active ? 'You cannot follow yourself' : 'You cannot unfollow yourself', 'id');
    const { follows, users } = this.deps;
    const changed = await inTransaction(this.deps.pool, async (tx) => {
      await this.requireUsers(tx, followerId, followeeId);
      const edge = active
        ? await follows.lockEdgeForFollow(tx, followerId, followeeId)
        : await follows.lockEdge(tx, followerId, followeeId);
      if (!edge || edge.active === active) return false;
      const next = { active, version: edge.version + 1 };
      const at = new Date();
      await follows.setEdge(tx, followerId, followeeId, next, at);
      await users.adjustFollowCounts(tx, followerId, followeeId, active ? 1 : -1);
      await recordEdgeChange(tx, { followerId, followeeId, ...next, at });
      return true;
    });
    if (changed) this.deps.afterCommit();
  }

  private async requireUsers(tx: Tx, followerId: string, followeeId: string): Promise<void> {
    const found = await this.deps.users.existing(tx, [followerId, followeeId]);
    if (!found.has(followerId)) throw new NotAuthorizedError();
    if (!found.has(followeeId)) throw new NotFoundError('User not found');
  }
}
