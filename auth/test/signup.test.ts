import { createHash } from 'node:crypto';
import { Events } from '@lumina/common';
import { eventually } from '@lumina/common/testing';
import request from 'supertest';
import { ID_PATTERN } from '../src/ids';
import { count, eventsIn, setCookieLine, setUpAuth, signUp, unique, type Harness } from './helpers';

let h: Harness;
beforeAll(async () => {
  h = await setUpAuth();
});
afterAll(() => h.close());

const signup = (body: unknown) =>
  request(h.app)
    .post('/api/v1/users/signup')
    .set('X-Forwarded-For', '203.0.113.7')
    .send(body as object);
const validBody = () => {
  const tag = unique();
  return { username: `u_${tag}`, email: `${tag}@example.com`, password: 'correct horse battery' };
};
const userCount = () => count(h.pool, 'SELECT COUNT(*) FROM users');
const outboxAndUsers = () => h.snapshot();

describe('POST /api/v1/users/signup', () => {
  test('creates the account: 201 with the allow-listed user, both cookies, an argon2id hash and one user.created', async () => {
    const body = { ...validBody(), displayName: 'Ada Lovelace' };
    const res = await signup(body);

    expect(res.status).toBe(201);
    expect(Object.keys(res.body.user).sort()).toEqual(['avatar', 'bio', 'createdAt', 'displayName', 'email', 'id', 'username']);
    expect(res.body.user).toMatchObject({ username: body.username, email: body.email, displayName: 'Ada Lovelace', bio: '', avatar: null });
    expect(res.body.user.id).toMatch(ID_PATTERN);

    const session = setCookieLine(res, 'session')!;
    expect(session).toMatch(/; path=\//i);
    expect(session).toMatch(/httponly/i);
    expect(session).toMatch(/samesite=lax/i);
    const refresh = setCookieLine(res, 'refresh')!;
    expect(refresh).toMatch(/^refresh=[A-Za-z0-9_-]{43};/);
    expect(refresh).toMatch(/; path=\/api\/v1\/users/i);
    expect(refresh).toMatch(/httponly/i);
    expect(refresh).toMatch(/samesite=lax/i);
    expect(refresh).not.toMatch(/secure/i);

    const [[row]] = (await h.pool.query('SELECT password_hash, email_normalized FROM users WHERE id = ?', [
      res.body.user.id,
    ])) as unknown as [[{ password_hash: string; email_normalized: string }]];
    expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$/);
    expect(row.password_hash).not.toContain(body.password);

    const event = await eventually(async () => {
      const found = (await eventsIn(h.bus, Events.userCreated)).filter((e) => e.data.id === res.body.user.id);
      expect(found).toHaveLength(1);
      return found[0]!;
    });
    expect(event.data).toEqual({
      id: res.body.user.id,
      username: body.username,
      displayName: 'Ada Lovelace',
      bio: '',
      avatar: null,
      version: 1,
    });
  });

  test('the refresh token is stored only as its SHA-256 hash', async () => {
    const res = await signup(validBody());
    const token = setCookieLine(res, 'refresh')!.split(';')[0]!.slice('refresh='.length);
    const [rows] = (await h.pool.query('SELECT token_hash FROM refresh_tokens WHERE user_id = ?', [res.body.user.id])) as unknown as [
      Array<{ token_hash: string }>,
    ];
    expect(rows).toHaveLength(1);
    expect(rows[0]!.token_hash).toBe(createHash('sha256').update(token).digest('hex'));
  });

  test('displayName defaults to the username', async () => {
    const body = validBody();
    const res = await signup(body);
    expect(res.body.user.displayName).toBe(body.username);
  });

  test('a username in mixed case is stored in lower case, and then the lower-case spelling is taken', async () => {
    const tag = unique();
    const res = await signup({ ...validBody(), username: `Mixed_${tag}` });
    expect(res.status).toBe(201);
    expect(res.body.user.username).toBe(`mixed_${tag}`);

    const again = await signup({ ...validBody(), username: `mixed_${tag}` });
    expect(again.status).toBe(409);
    expect(again.body).toEqual({ errors: [{ message: 'This username is taken', field: 'username' }] });
  });

  test('a taken username answers the same whether the email is registered or not, and creates nothing', async () => {
    const owner = validBody();
    expect((await signup(owner)).status).toBe(201);
    const someone = validBody();
    expect((await signup(someone)).status).toBe(201);
    const before = await outboxAndUsers();

    // Someone probing whether `someone.email` has an account, under a username known to be taken.
    const withRegisteredEmail = await signup({ ...validBody(), username: owner.username, email: someone.email });
    const withUnregisteredEmail = await signup({ ...validBody(), username: owner.username });
    expect(withRegisteredEmail.status).toBe(409);
    expect(withRegisteredEmail.body).toEqual({ errors: [{ message: 'This username is taken', field: 'username' }] });
    expect({ status: withUnregisteredEmail.status, body: withUnregisteredEmail.body }).toEqual({
      status: withRegisteredEmail.status,
      body: withRegisteredEmail.body,
    });
    expect(await outboxAndUsers()).toEqual(before);
  });

  test('emails compare case-insensitively: the same address in other case is a 409', async () => {
    const tag = unique();
    expect((await signup({ ...validBody(), email: `Bob.${tag}@Example.com` })).status).toBe(201);
    const before = await outboxAndUsers();
    const res = await signup({ ...validBody(), email: ` bob.${tag}@EXAMPLE.COM ` });
    expect(res.status).toBe(409);
    expect(res.body.errors[0]).toEqual({ message: 'This email is already registered', field: 'email' });
    expect(await outboxAndUsers()).toEqual(before);
  });

  const badUsernames: Array<[string, unknown]> = [
    ['too short', 'ab'],
    ['too long', 'a'.repeat(31)],
    ['a space', 'has space'],
    ['a leading space', ' alice'],
    ['a Cyrillic look-alike "а"', 'аlice'],
    ['full-width letters', 'ａｌｉｃｅ'],
    ['a zero-width space', 'ali\u200bce'],
    ['a combining accent', 'alice\u0301'],
    ['a hyphen', 'al-ice'],
    ['an at sign', '@alice'],
    ['an apostrophe (SQL)', "alice'--"],
    ['a SQL statement', "x'; DROP TABLE users; --"],
    ['a reserved path name', 'currentuser'],
    ['a reserved path name in upper case', 'SignUp'],
    ['empty', ''],
    ['a number', 12345],
    ['null', null],
    ['an array', ['alice']],
    ['an operator object', { $gt: '' }],
    ['a $where operator', { $where: 'sleep(1000)' }],
  ];
  test.each(badUsernames)('a username with %s is refused with 400 and nothing is written', async (_label, username) => {
    const before = await outboxAndUsers();
    const res = await signup({ ...validBody(), username });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([expect.objectContaining({ field: 'username', message: expect.any(String) })]);
    expect(await outboxAndUsers()).toEqual(before);
  });

  const badEmails: Array<[string, unknown]> = [
    ['no at sign', 'not-an-email'],
    ['no domain dot', 'a@localhost'],
    ['a space inside', 'a b@example.com'],
    ['two at signs', 'a@b@example.com'],
    ['too long', `${'a'.repeat(64)}@${'b'.repeat(190)}.com`],
    ['a control character', 'a\u0000@example.com'],
    ['empty', ''],
    ['missing', undefined],
    ['an operator object', { $ne: null }],
    ['a number', 42],
    ['an array', ['a@example.com']],
  ];
  test.each(badEmails)('an email with %s is refused with 400', async (_label, email) => {
    const before = await outboxAndUsers();
    const res = await signup({ ...validBody(), email });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([expect.objectContaining({ field: 'email' })]);
    expect(await outboxAndUsers()).toEqual(before);
  });

  test('passwords: 8 and 128 characters are accepted, 7 and 129 are refused before any hashing', async () => {
    expect((await signup({ ...validBody(), password: 'x'.repeat(8) })).status).toBe(201);
    expect((await signup({ ...validBody(), password: 'x'.repeat(128) })).status).toBe(201);
    // Characters, not UTF-16 units: eight emoji are eight characters.
    expect((await signup({ ...validBody(), password: '🔒'.repeat(8) })).status).toBe(201);

    const hashesBefore = h.hasher.calls;
    for (const password of ['x'.repeat(7), 'x'.repeat(129), '🔒'.repeat(129), '', 12345678, null, { $gt: '' }, ['password1']]) {
      const res = await signup({ ...validBody(), password });
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'password' })]);
    }
    expect(h.hasher.calls).toBe(hashesBefore);
  });

  test('a 1 MB password is refused quickly (413) and never hashed; a 99 kB one gets 400, also unhashed', async () => {
    const hashesBefore = h.hasher.calls;
    const before = await outboxAndUsers();
    const started = Date.now();
    const huge = await signup({ ...validBody(), password: 'p'.repeat(1024 * 1024) });
    expect(huge.status).toBe(413);
    expect(huge.body).toEqual({ errors: [{ message: 'Request body too large' }] });
    const large = await signup({ ...validBody(), password: 'p'.repeat(99 * 1024) });
    expect(large.status).toBe(400);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(h.hasher.calls).toBe(hashesBefore);
    expect(await outboxAndUsers()).toEqual(before);
  });

  test('displayName: 50 characters pass; 51, control characters, bidi overrides or a non-string are refused', async () => {
    expect((await signup({ ...validBody(), displayName: 'd'.repeat(50) })).status).toBe(201);
    for (const displayName of ['d'.repeat(51), 'line\nbreak', 'evil\u202Egnp.exe', { $gt: '' }, 7]) {
      const res = await signup({ ...validBody(), displayName });
      expect(res.status).toBe(400);
      expect(res.body.errors[0].field).toBe('displayName');
    }
  });

  test('SQL in the fields that allow such characters is stored as plain text and runs nothing', async () => {
    const tag = unique();
    const email = `a'OR'1'='1.${tag}@example.com`;
    const displayName = "Robert'); DROP TABLE users;--";
    const res = await signup({ ...validBody(), email, displayName });
    expect(res.status).toBe(201);
    expect(res.body.user).toMatchObject({ email, displayName });
    const me = await request(h.app).get('/api/v1/users/currentuser').set('Cookie', setCookieLine(res, 'session')!.split(';')[0]!);
    expect(me.body.currentUser).toMatchObject({ email, displayName });
    expect(await userCount()).toBeGreaterThan(1);
  });

  test('bodies that are not JSON objects are 400', async () => {
    const send = (raw: string) => request(h.app).post('/api/v1/users/signup').set('Content-Type', 'application/json').send(raw);
    expect((await send('[1,2]')).status).toBe(400);
    expect((await send('"text"')).status).toBe(400);
    expect((await send('{"email":')).status).toBe(400);
    expect((await request(h.app).post('/api/v1/users/signup')).status).toBe(400);
    expect(
      (await request(h.app).post('/api/v1/users/signup').type('form').send('email=a@b.com&username=abc&password=12345678')).status,
    ).toBe(400);
  });

  test('the same sign-up racing itself: one 201, one 409, one account and one user.created', async () => {
    const body = validBody();
    const results = await Promise.all([signup(body), signup(body)]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
    expect(await count(h.pool, 'SELECT COUNT(*) FROM users WHERE username = ?', [body.username])).toBe(1);
    await eventually(async () =>
      expect((await eventsIn(h.bus, Events.userCreated)).filter((e) => e.data.username === body.username)).toHaveLength(1),
    );
  });

  test('five sign-ups racing for one email under different usernames: exactly one wins', async () => {
    const tag = unique();
    const results = await Promise.all(
      [1, 2, 3, 4, 5].map((i) =>
        signup({ username: `race${i}_${tag}`, email: `race.${tag}@example.com`, password: 'correct horse battery' }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409]);
    for (const r of results.filter((x) => x.status === 409)) expect(r.body.errors[0].field).toBe('email');
    expect(await count(h.pool, 'SELECT COUNT(*) FROM users WHERE email_normalized = ?', [`race.${tag}@example.com`])).toBe(1);
  });

  test('signUp helper sanity: a second account gets a different id', async () => {
    const a = await signUp(h.app);
    const b = await signUp(h.app);
    expect(a.id).not.toBe(b.id);
  });
});
