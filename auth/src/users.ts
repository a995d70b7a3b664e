/**
 * What a user is, the rules their fields obey, and the allow-listed shapes they leave the
 * service in (HTTP answers and events). Nothing else decides which fields are public.
 */
import type { Avatar, UserState } from '@lumina/common';
import type { OwnUser, Profile, PublicUser } from '@lumina/contract';

export interface User {
  id: string;
  username: string;
  email: string;
  displayName: string;
  bio: string;
  avatar: Avatar;
  /** Grows by one on every change to the public state; carried by user.* events. */
  version: number;
  followerCount: number;
  followingCount: number;
  createdAt: Date;
}

// The field rules (username, email, password, displayName, bio) are the contract's: @lumina/contract, auth.ts.

/** How two spellings of one address compare: trimmed and lower-cased. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

// ---- shapes that leave the service -----------------------------------------------------------

/** The fields of a user anyone may see, in an answer or an event. */
function visibleFields(user: User): Pick<User, 'id' | 'username' | 'displayName' | 'bio' | 'avatar'> {
  return { id: user.id, username: user.username, displayName: user.displayName, bio: user.bio, avatar: user.avatar };
}

/** What anyone may see of a user. */
export function publicUser(user: User): PublicUser {
  return { ...visibleFields(user), createdAt: user.createdAt.toISOString() };
}

/** What the user sees of themself: the public fields and their email. */
export function ownUser(user: User): OwnUser {
  return { ...publicUser(user), email: user.email };
}

/** A profile page: public fields, counts, and the viewer's relation to it. */
export function profile(user: User, viewer: { id: string; isFollowing: boolean } | undefined): Profile {
  const json: Profile = {
    ...(viewer?.id === user.id ? ownUser(user) : publicUser(user)),
    followerCount: user.followerCount,
    followingCount: user.followingCount,
  };
  if (viewer) json.isFollowing = viewer.isFollowing;
  return json;
}

/** The state user.created / user.updated carry: never the email, never a credential. */
export function userState(user: User): UserState {
  return { ...visibleFields(user), version: user.version };
}
