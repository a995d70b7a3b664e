/**
 * What a user is, the rules their fields obey, and the allow-listed shapes they leave the
 * service in (HTTP answers and events). Nothing else decides which fields are public.
 */
import type { Avatar, UserState } from '@lumina/common';
import { z } from 'zod';

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

// ---- rules -----------------------------------------------------------------------------------

/** Paths under /api/users that a profile named like them would shadow. */
export const RESERVED_USERNAMES = new Set(['currentuser', 'me', 'signup', 'signin', 'signout', 'refresh', 'admin', 'api']);

/** ASCII only: upper case is folded, while spaces and look-alike letters (Cyrillic "а") are refused. */
const USERNAME_INPUT = /^[A-Za-z0-9_.]{3,30}$/;
/** Stored form: lower case. */
export const USERNAME = /^[a-z0-9_.]{3,30}$/;
const EMAIL = /^[^\s@\p{Cc}]{1,64}@[^\s@\p{Cc}.]+(\.[^\s@\p{Cc}.]+)+$/u;
/** Control characters and the bidirectional overrides that make text render as something else. */
const CONTROL = /[\p{Cc}\u200E\u200F\u202A-\u202E\u2066-\u2069]/u;

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;
export const DISPLAY_NAME_MAX = 50;
export const BIO_MAX = 160;
export const EMAIL_MAX = 254;

/** A string field; anything else (a number, an object such as {"$gt": ""}) is refused by type. */
function text(field: string) {
  return z.string({ error: (issue) => (issue.input === undefined ? `${field} is required` : `${field} must be a string`) });
}

const codePoints = (s: string): number => [...s].length;

const USERNAME_RULE = 'username must be 3–30 characters of a-z, 0-9, "_" and "."';
const PASSWORD_RULE = `password must be ${PASSWORD_MIN}–${PASSWORD_MAX} characters`;
/** Each field reports its first problem only (`abort`): one message per field is enough to act on. */
const first = (error: string) => ({ error, abort: true });

export const usernameSchema = text('username')
  .regex(USERNAME_INPUT, first(USERNAME_RULE))
  .transform((s) => s.toLowerCase())
  .refine((s) => !RESERVED_USERNAMES.has(s), first('this username is reserved'));

export const emailSchema = text('email')
  .max(EMAIL_MAX + 64, first('email is too long'))
  .transform((s) => s.trim())
  .refine((s) => s.length <= EMAIL_MAX && EMAIL.test(s), first('email must be a valid address'));

/** Checked by length before anything else happens to it: an over-long password is never hashed. */
export const newPasswordSchema = text('password')
  .max(PASSWORD_MAX * 2, first(PASSWORD_RULE))
  .refine((s) => codePoints(s) >= PASSWORD_MIN && codePoints(s) <= PASSWORD_MAX, first(PASSWORD_RULE));

export const givenPasswordSchema = text('password')
  .min(1, first('password is required'))
  .max(PASSWORD_MAX * 2, first(`password must be at most ${PASSWORD_MAX} characters`))
  .refine((s) => codePoints(s) <= PASSWORD_MAX, first(`password must be at most ${PASSWORD_MAX} characters`));

/** NFC, trimmed; JS length (UTF-16 units) is what the event catalogue counts, so it is what we count. */
export const displayNameSchema = text('displayName')
  .max(DISPLAY_NAME_MAX * 4, first(`displayName must be at most ${DISPLAY_NAME_MAX} characters`))
  .transform((s) => s.normalize('NFC').trim())
  .refine((s) => !CONTROL.test(s), first('displayName must not contain control characters'))
  .refine((s) => s.length <= DISPLAY_NAME_MAX, first(`displayName must be at most ${DISPLAY_NAME_MAX} characters`));

export const bioSchema = text('bio')
  .max(BIO_MAX * 4, first(`bio must be at most ${BIO_MAX} characters`))
  .transform((s) => s.replace(/\r\n?/g, '\n').normalize('NFC').trim())
  .refine((s) => !CONTROL.test(s.replace(/\n/g, '')), first('bio must not contain control characters'))
  .refine((s) => s.length <= BIO_MAX, first(`bio must be at most ${BIO_MAX} characters`));

/** How two spellings of one address compare: trimmed and lower-cased. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

// ---- shapes that leave the service -----------------------------------------------------------

export interface PublicUserJson {
  id: string;
  username: string;
  displayName: string;
  bio: string;
  avatar: Avatar;
  createdAt: string;
}

export interface OwnUserJson extends PublicUserJson {
  email: string;
}

export interface ProfileJson extends PublicUserJson {
  email?: string;
  followerCount: number;
  followingCount: number;
  isFollowing?: boolean;
}

/** What anyone may see of a user. */
export function publicUser(user: User): PublicUserJson {
  return {
    id: user.id,
    username: user.username,
    displayName: user.displayName,
    bio: user.bio,
    avatar: user.avatar,
    createdAt: user.createdAt.toISOString(),
  };
}

/** What the user sees of themself: the public fields and their email. */
export function ownUser(user: User): OwnUserJson {
  return { ...publicUser(user), email: user.email };
}

/** A profile page: public fields, counts, and the viewer's relation to it. */
export function profile(user: User, viewer: { id: string; isFollowing: boolean } | undefined): ProfileJson {
  const json: ProfileJson = {
    ...(viewer?.id === user.id ? ownUser(user) : publicUser(user)),
    followerCount: user.followerCount,
    followingCount: user.followingCount,
  };
  if (viewer) json.isFollowing = viewer.isFollowing;
  return json;
}

/** The state user.created / user.updated carry: never the email, never a credential. */
export function userState(user: User): UserState {
  return {
    id: user.id,
    username: user.username,
    displayName: user.displayName,
    bio: user.bio,
    avatar: user.avatar,
    version: user.version,
  };
}
