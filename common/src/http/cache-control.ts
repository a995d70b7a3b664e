/**
 * No cache may keep an API answer unless its route says so. Answers depend on who asks (the
 * session cookie or the Bearer header: `likedByViewer`, `isFollowing`, a home timeline, the
 * current user), so the default is `private, no-store` with `Vary: Cookie, Authorization`. A route
 * that sets its own Cache-Control keeps it (media's public variants stay `public, immutable`),
 * and then gets no Vary from here.
 */
import type { RequestHandler } from 'express';
import onHeaders from 'on-headers';

export const DEFAULT_API_CACHE_CONTROL = 'private, no-store';

export const privateByDefault: RequestHandler = (_req, res, next) => {
  // Decided as the headers go out, so whatever the route set (even via writeHead) wins.
  onHeaders(res, () => {
    if (res.getHeader('Cache-Control') !== undefined) return;
    res.setHeader('Cache-Control', DEFAULT_API_CACHE_CONTROL);
    res.vary('Cookie').vary('Authorization');
  });
  next();
};
