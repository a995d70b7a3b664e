/**
 * The verified-token memory behind currentUser: a token is verified once and remembered only
 * until its own expiry; a forged or tampered token is never remembered; the memory is bounded.
 */
import { createPublicKey } from 'node:crypto';
import { generateSigningKeyPair, signAccessToken, VerifiedTokens } from '../src';

const signing = generateSigningKeyPair('k1');
const keys = new Map([[signing.kid, createPublicKey(signing.publicKeyPem)]]);
const other = generateSigningKeyPair('k1'); // same kid, another key: a forgery

test('a valid token is accepted, and again from memory', () => {
  const tokens = new VerifiedTokens(keys);
  const token = signAccessToken(signing, { id: 'u1', username: 'ann' });
  expect(tokens.verify(token)).toEqual({ id: 'u1', username: 'ann' });
  expect(tokens.verify(token)).toEqual({ id: 'u1', username: 'ann' });
});

test('a remembered token stops being accepted when it expires', async () => {
  const tokens = new VerifiedTokens(keys);
  const token = signAccessToken(signing, { id: 'u2', username: 'bob' }, 1);
  expect(tokens.verify(token)).not.toBeNull();
  await new Promise((r) => setTimeout(r, 2100)); // exp is in whole seconds
  expect(tokens.verify(token)).toBeNull();
});

test('a token signed with another key, or tampered with, is refused every time', () => {
  const tokens = new VerifiedTokens(keys);
  const forged = signAccessToken(other, { id: 'u3', username: 'eve' });
  expect(tokens.verify(forged)).toBeNull();
  expect(tokens.verify(forged)).toBeNull();
  const genuine = signAccessToken(signing, { id: 'u4', username: 'dan' });
  const [header, payload, signature] = genuine.split('.');
  const claims = JSON.parse(Buffer.from(payload as string, 'base64url').toString()) as Record<string, unknown>;
  const tampered = [header, Buffer.from(JSON.stringify({ ...claims, sub: 'admin' })).toString('base64url'), signature].join('.');
  expect(tokens.verify(genuine)).not.toBeNull();
  expect(tokens.verify(tampered)).toBeNull();
});

test('the memory is bounded: the first token remembered goes first and is verified again', () => {
  const tokens = new VerifiedTokens(keys, 2);
  const [a, b, c] = ['a', 'b', 'c'].map((id) => signAccessToken(signing, { id, username: id }));
  const remembered = () => [...(tokens as unknown as { entries: Map<string, unknown> }).entries.keys()];
  for (const t of [a, b, c]) expect(tokens.verify(t as string)).not.toBeNull();
  expect(remembered()).toEqual([b, c]);
  // Still accepted after eviction (verified again), which is all a cache may change.
  expect(tokens.verify(a as string)).toEqual({ id: 'a', username: 'a' });
  expect(remembered()).toEqual([c, a]);
});
