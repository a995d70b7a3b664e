/**
 * What users type: validation, hostile input, accents, short words and stopwords, suggestions
 * and cursors. The index is filled once, through real events.
 */
import { apiDocsProblems, TestContext } from '@lumina/common/testing';
import type { RowDataPacket } from 'mysql2/promise';
import { Events, ids, postState, startSearch, tableRows, uid, userState, type SearchHarness } from './helpers';

const ctx = new TestContext();
let h: SearchHarness;

const alice = userState({ id: uid('u'), username: 'alice', displayName: 'Alice Martin', bio: 'Loves coffee and motorcycles' });
const abc = userState({ id: uid('u'), username: 'a_b_c', displayName: 'Underscore Person' });
const zoe = userState({ id: uid('u'), username: 'zoe.k', displayName: 'Zoë Kravitz' });
const axb = userState({ id: uid('u'), username: 'axbxc', displayName: 'Not Underscored' });

const minute = 60_000;
const base = Date.now() - 60 * minute;
const at = (n: number) => new Date(base + n * minute).toISOString();

const cafe = postState({ id: uid('p'), authorId: alice.id, caption: 'Café on the corner #coffee', hashtags: ['coffee'], createdAt: at(1) });
const cafeteria = postState({ id: uid('p'), authorId: abc.id, caption: 'Lunch in the cafeteria', createdAt: at(0) });
const racer = postState({ id: uid('p'), authorId: alice.id, caption: 'Cafe racer motorcycle', createdAt: at(2) });
const golang = postState({
  id: uid('p'),
  authorId: abc.id,
  caption: 'Learning golang today #go #x',
  hashtags: ['go', 'x'],
  createdAt: at(3),
});
const zurich = postState({ id: uid('p'), authorId: zoe.id, caption: 'Zürich lake at dusk', createdAt: at(4) });
const juice = postState({
  id: uid('p'),
  authorId: zoe.id,
  caption: '100% natural juice #a_b #axb',
  hashtags: ['a_b', 'axb'],
  createdAt: at(5),
});
const parrots = Array.from({ length: 5 }, (_, i) =>
  postState({ id: uid('p'), authorId: axb.id, caption: `pagination parrot number ${i}`, hashtags: ['sequence'], createdAt: at(10 + i) }),
);

beforeAll(async () => {
  h = await startSearch(ctx);
  for (const u of [alice, abc, zoe, axb]) await h.publish(Events.userCreated, u);
  await h.drained();
  for (const p of [cafe, cafeteria, racer, golang, zurich, juice, ...parrots]) await h.publish(Events.postCreated, p);
  await h.drained();
});
afterAll(() => ctx.cleanup());

const q = (s: string) => encodeURIComponent(s);
const ROUTES = ['/api/v1/search', '/api/v1/search/users', '/api/v1/search/posts', '/api/v1/search/hashtags', '/api/v1/search/suggest'];

describe('query validation', () => {
  it.each(ROUTES)('%s answers 400 for a missing, empty, blank or too long q, or several q', async (route) => {
    for (const bad of ['', '?q=', '?q=%20%20%20', `?q=${'a'.repeat(201)}`, `?q=${'x'.repeat(10_000)}`, '?q=a&q=b']) {
      const res = await h.get(`${route}${bad}`);
      expect(res.status).toBe(400);
      expect(res.body.errors[0]).toMatchObject({ field: 'q' });
    }
    expect((await h.get(`${route}?q=${'a'.repeat(200)}`)).status).toBe(200);
  });

  it('answers 400 for a bad limit or cursor, and for a bad hashtag', async () => {
    for (const bad of [
      'limit=0',
      'limit=101',
      'limit=abc',
      'cursor=nonsense',
      `cursor=${Buffer.from('{"s":"1 OR 1=1","id":"x"}').toString('base64url')}`,
    ]) {
      const res = await h.get(`/api/v1/search/posts?q=parrot&${bad}`);
      expect(res.status).toBe(400);
      expect(res.body.errors).toHaveLength(1);
    }
    expect((await h.get('/api/v1/search/hashtags/a%20b/posts')).status).toBe(400);
    expect((await h.get(`/api/v1/search/hashtags/${'t'.repeat(101)}/posts`)).status).toBe(400);
    expect(
      (await h.get(`/api/v1/search/hashtags/x/posts?cursor=${Buffer.from('{"t":"now","id":"x"}').toString('base64url')}`)).status,
    ).toBe(400);
  });
});

describe('hostile queries', () => {
  const hostile = [
    '+-*"()~<>@',
    '%',
    '_',
    '%%%___',
    "' OR 1=1",
    "' OR 1=1 --",
    "'; DROP TABLE users; --",
    '") OR ("1"="1',
    '\\',
    '\\%',
    '@@',
    '~*',
    '"unbalanced',
    '(((',
    'MATCH AGAINST',
    '\u0000',
    '+-><()~*:""&|@'.repeat(14),
  ];

  it.each(hostile)('%j never errors on any route and matches nothing here', async (text) => {
    for (const route of ROUTES) {
      const res = await h.get(`${route}?q=${q(text)}`);
      expect(res.status).toBe(200);
      if (route === '/api/v1/search') expect(res.body).toEqual({ users: [], posts: [], hashtags: [] });
      else expect(res.body.items).toEqual([]);
    }
  });

  it('takes operators literally rather than as syntax', async () => {
    // As boolean syntax `-alice` would exclude alice; here it is the word alice.
    expect(ids((await h.get(`/api/v1/search/users?q=${q('-alice')}`).expect(200)).body)).toEqual([alice.id]);
    // As syntax, `-racer` would exclude the racer post; as words, both are required.
    expect(ids((await h.get(`/api/v1/search/posts?q=${q('"cafe" -racer')}`).expect(200)).body)).toEqual([racer.id]);
    expect(ids((await h.get(`/api/v1/search/users?q=${q("alice' OR '1'='1")}`).expect(200)).body)).toEqual([]);
  });

  it('takes % and _ literally in prefix matches', async () => {
    // Unescaped, `a_` would match `axbxc` and `%` everything.
    const underscored = await h.get(`/api/v1/search/suggest?q=${q('a_')}`).expect(200);
    expect(underscored.body.items).toEqual([
      expect.objectContaining({ type: 'user', username: 'a_b_c' }),
      { type: 'hashtag', tag: 'a_b', postCount: 1 },
    ]);
    expect((await h.get(`/api/v1/search/suggest?q=${q('#a_')}`).expect(200)).body.items).toEqual([
      { type: 'hashtag', tag: 'a_b', postCount: 1 },
    ]);
    expect((await h.get(`/api/v1/search/suggest?q=${q('a%')}`).expect(200)).body.items).toEqual([]);
    expect((await h.get(`/api/v1/search/hashtags?q=${q('a_')}`).expect(200)).body.items).toEqual([{ tag: 'a_b', postCount: 1 }]);
  });

  it('leaves the tables intact', async () => {
    const [users] = await tableRows(h.service, 'SELECT COUNT(*) AS n FROM users');
    const [posts] = await tableRows(h.service, 'SELECT COUNT(*) AS n FROM posts');
    expect(Number(users?.n)).toBe(4);
    expect(Number(posts?.n)).toBe(11);
  });
});

describe('matching', () => {
  it('is case- and accent-insensitive', async () => {
    const cafes = (s: string) =>
      h
        .get(`/api/v1/search/posts?q=${q(s)}`)
        .expect(200)
        .then((r) => ids(r.body).sort());
    expect(await cafes('café')).toEqual([cafe.id, racer.id, cafeteria.id].sort());
    expect(await cafes('CAFE')).toEqual([cafe.id, racer.id, cafeteria.id].sort());
    expect(ids((await h.get(`/api/v1/search/posts?q=${q('ZURICH')}`).expect(200)).body)).toEqual([zurich.id]);
    expect(ids((await h.get(`/api/v1/search/users?q=${q('zoe kravitz')}`).expect(200)).body)).toEqual([zoe.id]);
    const suggest = await h.get(`/api/v1/search/suggest?q=${q('Zoe K')}`).expect(200);
    expect(suggest.body.items).toEqual([{ type: 'user', id: zoe.id, username: 'zoe.k', displayName: 'Zoë Kravitz', avatar: null }]);
  });

  it('ranks a whole-word match above a prefix match', async () => {
    // `cafe` is a whole word in two captions (café, Cafe) and only the start of `cafeteria`.
    const res = await h.get(`/api/v1/search/posts?q=${q('cafe')}`).expect(200);
    expect(ids(res.body)).toHaveLength(3);
    expect(ids(res.body)[2]).toBe(cafeteria.id);
    const users = await h.get(`/api/v1/search/users?q=${q('alice')}`).expect(200);
    expect(ids(users.body)[0]).toBe(alice.id);
  });

  it('requires every word, and has no stopwords', async () => {
    expect(ids((await h.get(`/api/v1/search/posts?q=${q('the corner')}`).expect(200)).body)).toEqual([cafe.id]);
    expect(ids((await h.get(`/api/v1/search/posts?q=${q('the zebra')}`).expect(200)).body)).toEqual([]);
  });

  it('searches two-letter words as prefixes and one-letter words by exact hashtag or username prefix', async () => {
    expect(ids((await h.get(`/api/v1/search/posts?q=go`).expect(200)).body)).toEqual([golang.id]);
    expect(ids((await h.get(`/api/v1/search/posts?q=x`).expect(200)).body)).toEqual([golang.id]);
    expect(ids((await h.get(`/api/v1/search/users?q=a`).expect(200)).body).sort()).toEqual([alice.id, abc.id, axb.id].sort());
    const combined = await h.get(`/api/v1/search?q=${q('#go')}`).expect(200);
    expect(combined.body.hashtags).toEqual([{ tag: 'go', postCount: 1 }]);
    expect(ids(combined.body.posts)).toEqual([golang.id]);
  });
});

describe('suggestions', () => {
  it('suggests users and hashtags by prefix, or one kind with @ or #', async () => {
    const both = await h.get('/api/v1/search/suggest?q=a').expect(200);
    expect(both.body.items.map((i: { type: string; username?: string; tag?: string }) => `${i.type}:${i.username ?? i.tag}`)).toEqual([
      'user:a_b_c',
      'user:alice',
      'user:axbxc',
      'hashtag:a_b',
      'hashtag:axb',
    ]);
    expect((await h.get(`/api/v1/search/suggest?q=${q('@co')}`).expect(200)).body.items).toEqual([]);
    expect((await h.get(`/api/v1/search/suggest?q=${q('#co')}`).expect(200)).body.items).toEqual([
      { type: 'hashtag', tag: 'coffee', postCount: 1 },
    ]);
    expect((await h.get(`/api/v1/search/suggest?q=${q('@ali')}`).expect(200)).body.items).toEqual([
      { type: 'user', id: alice.id, username: 'alice', displayName: 'Alice Martin', avatar: null },
    ]);
  });

  it('answers from B-tree range scans on username and tag', async () => {
    const [users] = await tableRows(
      h.service,
      "EXPLAIN SELECT id FROM users WHERE username LIKE 'al%' ESCAPE '!' AND deleted = 0 ORDER BY username LIMIT 5",
    );
    const [tags] = await tableRows(
      h.service,
      "EXPLAIN SELECT tag FROM hashtags WHERE tag LIKE 'co%' ESCAPE '!' AND post_count > 0 ORDER BY tag LIMIT 200",
    );
    expect(users).toMatchObject({ key: 'users_username', type: 'range' });
    expect(tags).toMatchObject({ key: 'PRIMARY', type: 'range' });
  });
});

describe('cursors', () => {
  async function allPages(path: string): Promise<string[][]> {
    const pages: string[][] = [];
    let cursor: string | null = null;
    do {
      const res: { body: { items: Array<{ id?: string; tag?: string }>; nextCursor: string | null } } = await h
        .get(`${path}${cursor ? `&cursor=${cursor}` : ''}`)
        .expect(200);
      pages.push(res.body.items.map((i) => i.id ?? i.tag ?? ''));
      cursor = res.body.nextCursor;
    } while (cursor && pages.length < 10);
    return pages;
  }

  it('pages through ranked posts without gaps or repeats', async () => {
    const pages = await allPages('/api/v1/search/posts?q=parrot&limit=2');
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(pages.flat().sort()).toEqual(parrots.map((p) => p.id).sort());
  });

  it('pages through a hashtag’s posts newest first', async () => {
    const pages = await allPages('/api/v1/search/hashtags/sequence/posts?limit=2');
    expect(pages.flat()).toEqual(parrots.map((p) => p.id).reverse());
    expect(pages).toHaveLength(3);
    const hashPrefixed = await h.get('/api/v1/search/hashtags/%23SEQUENCE/posts?limit=1').expect(200);
    expect(ids(hashPrefixed.body)).toEqual([parrots[4]!.id]);
  });

  it('pages through users and hashtags', async () => {
    expect((await allPages('/api/v1/search/users?q=a&limit=1')).flat().sort()).toEqual([alice.id, abc.id, axb.id].sort());
    expect(await allPages('/api/v1/search/hashtags?q=a&limit=1')).toEqual([['a_b'], ['axb']]);
  });
});

describe('table statistics', () => {
  it('never turn a search into an error, even when they say the tables are empty', async () => {
    // InnoDB's relevance divides by the row count in the table's statistics; at 0 MATCH yields
    // infinity (seen after RENAME TABLE of freshly filled tables). Reproduce it: zero the
    // persistent statistics and make InnoDB load them again.
    const pool = h.service.pool;
    await pool.query(
      "UPDATE mysql.innodb_table_stats SET n_rows = 0 WHERE database_name = DATABASE() AND table_name IN ('users', 'posts')",
    );
    await pool.query('RENAME TABLE users TO users_reload, users_reload TO users, posts TO posts_reload, posts_reload TO posts');
    try {
      const [[raw]] = await pool.query<RowDataPacket[]>(
        "SELECT LEAST(MATCH(username, display_name, bio) AGAINST ('+alice*' IN BOOLEAN MODE), 1e6) AS r FROM users WHERE username = 'alice'",
      );
      expect(Number(raw?.r)).toBe(1e6); // the condition really is there
      expect(ids((await h.get('/api/v1/search/users?q=alice').expect(200)).body)).toEqual([alice.id]);
      expect(ids((await h.get(`/api/v1/search/posts?q=${q('café')}`).expect(200)).body)).toHaveLength(3);
      expect((await h.get('/api/v1/search?q=alice').expect(200)).body.users).toHaveLength(1);
    } finally {
      await pool.query('ANALYZE TABLE users, posts');
    }
  });
});

test('answers are not cached by default: private, no-store', async () => {
  const res = await h.get('/api/v1/search?q=coffee').expect(200);
  expect(res.headers['cache-control']).toBe('private, no-store');
});

test('serves its OpenAPI 3.1 document (valid, every mounted route in it) and Swagger UI, on its port and under /api/v1/search', async () => {
  expect(await apiDocsProblems(h.service.running.server, '/api/v1/search')).toEqual([]);
});
