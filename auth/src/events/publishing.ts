/**
 * What auth publishes, and how: every event is written to the MySQL outbox inside the
 * transaction that makes the change, and the relay publishes it after the commit.
 */
import { enqueueEvent, Events } from '@lumina/common';
import type { Tx } from '../store/db';
import { userState, type User } from '../users';

export async function recordUserCreated(tx: Tx, user: User): Promise<void> {
  await enqueueEvent(tx, Events.userCreated, userState(user));
}

export async function recordUserUpdated(tx: Tx, user: User): Promise<void> {
  await enqueueEvent(tx, Events.userUpdated, userState(user));
}

export interface EdgeChange {
  followerId: string;
  followeeId: string;
  active: boolean;
  version: number;
  at: Date;
}

/** user.followed or user.unfollowed, with the edge's own version. */
export async function recordEdgeChange(tx: Tx, change: EdgeChange): Promise<void> {
  const data = {
    followerId: change.followerId,
    followeeId: change.followeeId,
    version: change.version,
    occurredAt: change.at.toISOString(),
  };
  await enqueueEvent(tx, change.active ? Events.userFollowed : Events.userUnfollowed, data);
}
