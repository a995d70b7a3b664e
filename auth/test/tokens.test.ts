/**
 * Forged and broken access tokens, each tried on protected routes both as a Bearer header and
 * inside the session cookie: every one is refused with 401, and /currentuser sees nobody.
 */
import { createHmac, createPrivateKey, sign as cryptoSign } from 'node:crypto';
import { generateSigningKeyPair, TOKEN_AUDIENCE, TOKEN_ISSUER } from '@lumina/common';
import { testKeys } from '@lumina/common/testing';
import request from 'supertest';
import { newId } from '../src/ids';
import { setUpAuth, signUp, type Harness, type SignedUp } from './helpers';

let h: Harness;
let alice: SignedUp;
let bob: SignedUp;
beforeAll(async () => {
  h = await setUpAuth();
  alice = await signUp(h.app);
  bob = await signUp(h.app);
});
afterAll(() => h.close());

const b64url = (value: object | Buffer) => (Buffer.isBuffer(value) ? value : Buffer.from(JSON.stringify(value))).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);
const claims = (over: Record<string, unknown> = {}) => ({
  sub: alice.id,
  username: alice.username,
  iss: TOKEN_ISSUER,
  aud: TOKEN_AUDIENCE,
  iat: now(),
  exp: now() + 900,
  ...over,
});

/** Builds a JWT by hand so no library refuses to make the bad ones. */
function forge(header: Record<string, unknown>, payload: object, signer: (input: string) => Buffer): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  return `${input}.${b64url(signer(input))}`;
}
const es256 = (pem: string) => (input: string) =>
  cryptoSign('sha256', Buffer.from(input), { key: createPrivateKey(pem), dsaEncoding: 'ieee-p1363' });
const realKey = () => testKeys().signing;

function attacks(): Array<[string, string]> {
  const other = generateSigningKeyPair('test-key');
  const valid = forge({ alg: 'ES256', typ: 'JWT', kid: realKey().kid }, claims(), es256(realKey().privateKeyPem));
  const [header, payload, signature] = valid.split('.') as [string, string, string];
  const bobsPayload = b64url(claims({ sub: bob.id, username: bob.username }));
  return [
    ['alg "none" with our kid', forge({ alg: 'none', typ: 'JWT', kid: realKey().kid }, claims(), () => Buffer.alloc(0))],
    ['alg "none" without a kid', `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims())}.`],
    ['alg "NoNe" in odd case', forge({ alg: 'NoNe', kid: realKey().kid }, claims(), () => Buffer.alloc(0))],
    [
      'HS256 keyed with our public key PEM',
      forge({ alg: 'HS256', typ: 'JWT', kid: realKey().kid }, claims(), (i) =>
        createHmac('sha256', realKey().publicKeyPem).update(i).digest(),
      ),
    ],
    ['ES256 signed by another key under our kid', forge({ alg: 'ES256', kid: realKey().kid }, claims(), es256(other.privateKeyPem))],
    ['ES256 signed by another key under an unknown kid', forge({ alg: 'ES256', kid: 'attacker' }, claims(), es256(other.privateKeyPem))],
    ['ES256 with no kid', forge({ alg: 'ES256' }, claims(), es256(realKey().privateKeyPem))],
    [
      'expired a minute ago',
      forge({ alg: 'ES256', kid: realKey().kid }, claims({ iat: now() - 1000, exp: now() - 60 }), es256(realKey().privateKeyPem)),
    ],
    ['payload altered to another user (signature kept)', `${header}.${bobsPayload}.${signature}`],
    ['signature altered by one character', `${header}.${payload}.${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BB' : 'AA'}`],
    ['signature removed', `${header}.${payload}.`],
    ['header altered to RS256', `${b64url({ alg: 'RS256', kid: realKey().kid })}.${payload}.${signature}`],
    ['another issuer', forge({ alg: 'ES256', kid: realKey().kid }, claims({ iss: 'evil' }), es256(realKey().privateKeyPem))],
    ['another audience', forge({ alg: 'ES256', kid: realKey().kid }, claims({ aud: 'elsewhere' }), es256(realKey().privateKeyPem))],
    ['garbage', 'not.a.jwt'],
    ['SQL in place of a token', "' OR 1=1 --"],
  ];
}

const asCookie = (token: string) => `session=${Buffer.from(JSON.stringify({ jwt: token })).toString('base64')}`;
type Carrier = (req: request.Test, token: string) => request.Test;
const carriers: Array<[string, Carrier]> = [
  ['Bearer header', (req, token) => req.set('Authorization', `Bearer ${token}`)],
  ['session cookie', (req, token) => req.set('Cookie', asCookie(token))],
];

describe.each(carriers)('a forged token in the %s', (_carrier, carry) => {
  test('the control: a genuine token passes', async () => {
    const res = await carry(request(h.app).patch('/api/v1/users/me'), alice.accessToken).send({ bio: 'genuine' });
    expect(res.status).toBe(200);
  });

  test('every forgery is 401 on PATCH /me, PUT and DELETE /:id/follow, and /currentuser answers null', async () => {
    const before = await h.snapshot();
    for (const [label, token] of attacks()) {
      const patch = await carry(request(h.app).patch('/api/v1/users/me'), token).send({ bio: `pwned by ${label}` });
      expect([label, patch.status]).toEqual([label, 401]);
      expect(patch.body).toEqual({ errors: [{ message: 'Not signed in' }] });
      expect([label, (await carry(request(h.app).put(`/api/v1/users/${bob.id}/follow`), token)).status]).toEqual([label, 401]);
      expect([label, (await carry(request(h.app).delete(`/api/v1/users/${bob.id}/follow`), token)).status]).toEqual([label, 401]);
      const me = await carry(request(h.app).get('/api/v1/users/currentuser'), token);
      expect([label, me.body]).toEqual([label, { currentUser: null }]);
    }
    expect(await h.snapshot()).toEqual(before);
  });
});

test('a genuine token for an account that does not exist cannot change anything', async () => {
  const ghost = forge({ alg: 'ES256', kid: realKey().kid }, claims({ sub: newId(), username: 'ghost' }), es256(realKey().privateKeyPem));
  const res = await request(h.app).patch('/api/v1/users/me').set('Authorization', `Bearer ${ghost}`).send({ bio: 'boo' });
  expect(res.status).toBe(401);
  expect((await request(h.app).put(`/api/v1/users/${bob.id}/follow`).set('Authorization', `Bearer ${ghost}`)).status).toBe(401);
  expect((await request(h.app).get('/api/v1/users/currentuser').set('Authorization', `Bearer ${ghost}`)).body).toEqual({
    currentUser: null,
  });
});
