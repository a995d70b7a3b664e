/** The one version prefix: every path of every route table is under it, and the alias helpers map both ways. */
import {
  API_PREFIX,
  aliasHeaders,
  contracts,
  LEGACY_DEPRECATED_AT,
  legacyPathOf,
  pathFor,
  postsRoutes,
  routeTables,
  successorPathOf,
} from '../src';

test('every route of every table, and every contract prefix, is under /api/v1', () => {
  expect(API_PREFIX).toBe('/api/v1');
  for (const [service, table] of Object.entries(routeTables)) {
    const { prefix } = contracts[service as keyof typeof contracts];
    expect(prefix.startsWith(`${API_PREFIX}/`)).toBe(true);
    for (const route of Object.values(table))
      expect({ service, path: route.path }).toEqual({ service, path: expect.stringMatching(new RegExp(`^${prefix}(/|$)`)) });
  }
});

test('the typed client calls the v1 path', () => {
  expect(pathFor(postsRoutes.listComments, { params: { id: 'p1' }, query: { limit: '5' } })).toBe('/api/v1/posts/p1/comments?limit=5');
});

test('an alias and its successor', () => {
  expect(legacyPathOf('/api/v1/posts/:id')).toBe('/api/posts/:id');
  expect(() => legacyPathOf('/api/posts')).toThrow();
  expect(successorPathOf('/api/posts/p1?limit=5&cursor=x')).toBe('/api/v1/posts/p1?limit=5&cursor=x');
  expect(successorPathOf('/api/v1/posts/p1')).toBe('/api/v1/posts/p1');
  expect(aliasHeaders('/api/users/me?x=1')).toEqual({
    Deprecation: `@${LEGACY_DEPRECATED_AT}`,
    Link: '</api/v1/users/me?x=1>; rel="successor-version"',
  });
  expect(Number.isInteger(LEGACY_DEPRECATED_AT)).toBe(true);
});
