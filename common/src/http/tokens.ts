/**
 * Access tokens: ES256 JWTs with a `kid`. Only auth holds a private key; every service verifies
 * against the public keys it is configured with, so a key can be rotated by adding the new
 * public key everywhere, then switching auth's signing key, then removing the old one.
 */
import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';

export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60;
export const TOKEN_ISSUER = 'lumina-auth';
export const TOKEN_AUDIENCE = 'lumina';

export interface UserPayload {
  id: string;
  username: string;
}

export interface SigningKey {
  kid: string;
  privateKeyPem: string;
}

/** kid → public key. */
export type PublicKeySet = ReadonlyMap<string, KeyObject>;

export function signAccessToken(key: SigningKey, user: UserPayload, ttlSeconds = ACCESS_TOKEN_TTL_SECONDS): string {
  return jwt.sign({ username: user.username }, key.privateKeyPem, {
    algorithm: 'ES256',
    keyid: key.kid,
    subject: user.id,
    issuer: TOKEN_ISSUER,
    audience: TOKEN_AUDIENCE,
    expiresIn: ttlSeconds,
  });
}

/**
 * Verifies a token and answers the user it names, or null for any token that is not a valid,
 * unexpired ES256 token signed by one of our keys. `alg: none`, HS256 with the public key as
 * secret, unknown kids and altered payloads all end here as null.
 */
export function verifyAccessToken(token: string, keys: PublicKeySet): UserPayload | null {
  return verifiedAccessToken(token, keys)?.user ?? null;
}

/** As verifyAccessToken, with when the token expires (ms since the epoch). */
export function verifiedAccessToken(token: string, keys: PublicKeySet): { user: UserPayload; expiresAt: number } | null {
  const decoded = jwt.decode(token, { complete: true });
  if (!decoded || typeof decoded.payload === 'string') return null;
  if (decoded.header.alg !== 'ES256' || typeof decoded.header.kid !== 'string') return null;
  const key = keys.get(decoded.header.kid);
  if (!key) return null;
  try {
    const payload = jwt.verify(token, key, {
      algorithms: ['ES256'],
      issuer: TOKEN_ISSUER,
      audience: TOKEN_AUDIENCE,
    });
    if (typeof payload === 'string' || typeof payload.sub !== 'string' || typeof payload.username !== 'string') {
      return null;
    }
    return { user: { id: payload.sub, username: payload.username }, expiresAt: (payload.exp ?? 0) * 1000 };
  } catch {
    return null;
  }
}

/**
 * Reads public keys from `JWT_PUBLIC_KEYS` (JSON object kid → PEM) and/or a directory of
 * `<kid>.pem` files (`JWT_PUBLIC_KEYS_DIR`, how a Kubernetes Secret is mounted).
 */
export function loadPublicKeys(options: { json?: string; dir?: string }): PublicKeySet {
  const keys = new Map<string, KeyObject>();
  if (options.json) {
    const parsed = JSON.parse(options.json) as Record<string, string>;
    for (const [kid, pem] of Object.entries(parsed)) keys.set(kid, createPublicKey(pem));
  }
  if (options.dir) {
    for (const file of readdirSync(options.dir)) {
      if (!file.endsWith('.pem')) continue;
      keys.set(file.slice(0, -'.pem'.length), createPublicKey(readFileSync(join(options.dir, file))));
    }
  }
  return keys;
}

/** A fresh P-256 key pair, for tests and for the one-machine mode's first start. */
export function generateSigningKeyPair(kid: string): SigningKey & { publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    kid,
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}
