/**
 * auth's routes under /api/v1 and under the deprecated unversioned alias, on the real app: the
 * same answers, the alias's marked with Deprecation and a successor-version Link (the v1 one is
 * not), and the refresh cookie scoped to the prefix the client signed in through, so a client of
 * the alias can still refresh there; signing out clears it at both.
 */
import { LEGACY_DEPRECATED_AT } from '@lumina/contract';
import request from 'supertest';
import { bearer, cookiesOf, setCookieLine, setUpAuth, signUp, unique, type Harness } from './helpers';

let h: Harness;
beforeAll(async () => {
  h = await setUpAuth();
});
afterAll(() => h.close());

const api = () => request(h.app);
const DEPRECATION = `@${LEGACY_DEPRECATED_AT}`;

test('reads answer the same under /api/v1 and /api; only the alias carries Deprecation and Link', async () => {
  const ann = await signUp(h.app);
  const bob = await signUp(h.app);
  await api().put(`/api/v1/users/${bob.id}/follow`).set('Authorization', bearer(ann)).expect(204);
  for (const path of ['/users/currentuser', `/users/${ann.username}`, `/users/${ann.id}/following?limit=5`, `/users/${bob.id}/followers`]) {
    const v1 = await api().get(`/api/v1${path}`).set('Authorization', bearer(ann));
    const alias = await api().get(`/api${path}`).set('Authorization', bearer(ann));
    expect(v1.status).toBe(200);
    expect({ path, status: alias.status, body: alias.body }).toEqual({ path, status: v1.status, body: v1.body });
    expect({ path, deprecation: v1.headers.deprecation, link: v1.headers.link }).toEqual({ path, deprecation: undefined, link: undefined });
    expect({ path, deprecation: alias.headers.deprecation, link: alias.headers.link }).toEqual({
      path,
      deprecation: DEPRECATION,
      link: `</api/v1${path}>; rel="successor-version"`,
    });
  }
  expect((await api().get(`/api/users/${bob.id}/followers`)).body.items.map((u: { id: string }) => u.id)).toEqual([ann.id]);
});

test('writes through the alias act as the v1 ones: follow, unfollow, a profile change', async () => {
  const ann = await signUp(h.app);
  const bob = await signUp(h.app);
  const follow = await api().put(`/api/users/${bob.id}/follow`).set('Authorization', bearer(ann));
  expect(follow.status).toBe(204);
  expect(follow.headers.deprecation).toBe(DEPRECATION);
  expect((await api().get(`/api/v1/users/${bob.id}/followers`)).body.items.map((u: { id: string }) => u.id)).toEqual([ann.id]);
  await api().delete(`/api/users/${bob.id}/follow`).set('Authorization', bearer(ann)).expect(204);
  expect((await api().get(`/api/v1/users/${bob.id}/followers`)).body.items).toEqual([]);
  const changed = await api().patch('/api/users/me').set('Authorization', bearer(ann)).send({ bio: 'by the alias' });
  expect(changed.status).toBe(200);
  expect((await api().get(`/api/v1/users/${ann.username}`)).body.user.bio).toBe('by the alias');
  // Errors too: the same refusal, marked.
  const v1 = await api().put('/api/v1/users/no-such-user/follow').set('Authorization', bearer(ann));
  const alias = await api().put('/api/users/no-such-user/follow').set('Authorization', bearer(ann));
  expect({ status: alias.status, body: alias.body }).toEqual({ status: v1.status, body: v1.body });
  expect(alias.status).toBeGreaterThanOrEqual(400);
  expect(alias.headers.deprecation).toBe(DEPRECATION);
});

test('the refresh cookie is scoped to the prefix signed in through, and refreshes there', async () => {
  const tag = unique();
  const body = { username: `a_${tag}`, email: `${tag}@example.com`, password: 'correct horse battery' };
  const viaV1 = await api().post('/api/v1/users/signup').send(body).expect(201);
  expect(setCookieLine(viaV1, 'refresh')).toMatch(/; path=\/api\/v1\/users;/i);
  const viaAlias = await api().post('/api/users/signin').send({ email: body.email, password: body.password }).expect(200);
  expect(setCookieLine(viaAlias, 'refresh')).toMatch(/; path=\/api\/users;/i);
  expect(viaAlias.headers.deprecation).toBe(DEPRECATION);

  const refreshed = await api()
    .post('/api/users/refresh')
    .set('Cookie', `refresh=${cookiesOf(viaAlias).refresh}`)
    .expect(200);
  expect(setCookieLine(refreshed, 'refresh')).toMatch(/; path=\/api\/users;/i);

  // Signing out (through either) clears the refresh cookie at both paths.
  const out = await api()
    .post('/api/v1/users/signout')
    .set('Cookie', `refresh=${cookiesOf(refreshed).refresh}`)
    .expect(204);
  const cleared = ((out.headers['set-cookie'] as unknown as string[]) ?? []).filter((l) => l.startsWith('refresh=;'));
  expect(cleared.map((l) => /path=([^;]+)/i.exec(l)?.[1]).sort()).toEqual(['/api/users', '/api/v1/users']);
});
