/**
 * The API's version in its paths. Every route table builds its paths from `API_PREFIX`
 * (`/api/v1/posts/:id`), so a v2 is a second prefix and a second set of tables, not an edit of
 * each path. The unversioned paths of before (`/api/posts/:id`, DESIGN.md's) still answer for one
 * release as deprecated aliases of the v1 ones: the services mount every route under both
 * (common's createHttpApp), and an alias's answer says it is one (`aliasHeaders`).
 */

/** The canonical prefix of every route: `/api/v1`. */
export const API_VERSION = 'v1';
export const API_PREFIX = `/api/${API_VERSION}`;

/** The unversioned prefix the deprecated aliases answer under. */
export const LEGACY_API_PREFIX = '/api';

/**
 * When the unversioned aliases were deprecated (the release that added /api/v1): 2026-12-02
 * 00:00 UTC, in Unix seconds. Sent as `Deprecation: @<seconds>` (RFC 9745). The aliases are
 * removed in the release after it.
 */
export const LEGACY_DEPRECATED_AT = Date.UTC(2026, 11, 2) / 1000;

/** `users` → `/api/v1/users`: a service's prefix under the current version. */
export function servicePrefix(segment: string): string {
  return `${API_PREFIX}/${segment}`;
}

/** `/api/v1/posts/:id` → `/api/posts/:id`: the deprecated alias of a v1 path (or prefix). */
export function legacyPathOf(path: string): string {
  if (path !== API_PREFIX && !path.startsWith(`${API_PREFIX}/`)) throw new Error(`${path} is not under ${API_PREFIX}`);
  return `${LEGACY_API_PREFIX}${path.slice(API_PREFIX.length)}`;
}

/**
 * `/api/posts/:id?x=1` → `/api/v1/posts/:id?x=1`: the v1 path an alias stands for; a path that is
 * not an alias (already versioned, or not under /api) is answered unchanged.
 */
export function successorPathOf(path: string): string {
  if (path === API_PREFIX || path.startsWith(`${API_PREFIX}/`) || path.startsWith(`${API_PREFIX}?`)) return path;
  if (!path.startsWith(`${LEGACY_API_PREFIX}/`)) return path;
  return `${API_PREFIX}${path.slice(LEGACY_API_PREFIX.length)}`;
}

/** The headers of an alias's answer: RFC 9745 `Deprecation` and the `successor-version` link. */
export function aliasHeaders(originalUrl: string): { Deprecation: string; Link: string } {
  return { Deprecation: `@${LEGACY_DEPRECATED_AT}`, Link: `<${successorPathOf(originalUrl)}>; rel="successor-version"` };
}
