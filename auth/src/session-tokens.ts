/** The two tokens of a session: the short ES256 access token and the opaque refresh token. */
import { createHash, randomBytes } from 'node:crypto';
import { signAccessToken, type SigningKey } from '@lumina/common';
import type { User } from './users';

/** 256 random bits, URL-safe; what the `refresh` cookie holds. */
export function newRefreshToken(): string {
  return randomBytes(32).toString('base64url');
}

export const REFRESH_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** What the database keeps instead of the token: a leaked table cannot be replayed. */
export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function accessTokenFor(key: SigningKey, user: Pick<User, 'id' | 'username'>): string {
  return signAccessToken(key, { id: user.id, username: user.username });
}
