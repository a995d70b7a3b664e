/** Public profiles and PATCH /me. */
import { parseWith, perUserRateLimit, requireAuth, signedInUser, USER_RATE_LIMIT_WINDOW_MS, type RateLimitStore } from '@lumina/common';
import type { Router } from 'express';
import { z } from 'zod';
import type { RateLimits } from '../config';
import type { Profiles } from '../profiles';
import { bioSchema, displayNameSchema, ownUser } from '../users';
import { usernameParam } from './params';

const avatarMediaId = z
  .string({ error: 'avatarMediaId must be a string or null' })
  .min(1, 'avatarMediaId must not be empty')
  .max(64, 'avatarMediaId is too long')
  .regex(/^[A-Za-z0-9_-]+$/, 'avatarMediaId is not a media id')
  .nullable();

/** Only these fields may change; anything else (username, email, id…) is refused, not ignored. */
const profileUpdateBody = z.strictObject(
  { displayName: displayNameSchema.optional(), bio: bioSchema.optional(), avatarMediaId: avatarMediaId.optional() },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `only displayName, bio and avatarMediaId can be changed (not ${issue.keys
            .slice(0, 5)
            .map((k) => k.slice(0, 40))
            .join(', ')})`
        : undefined,
  },
);

export function profileRoutes(router: Router, deps: { profiles: Profiles; rateLimits: RateLimitStore; limits: RateLimits }): void {
  const { profiles } = deps;
  const limited = perUserRateLimit(deps.rateLimits, {
    name: 'profile-edits',
    max: deps.limits.profileEditsPerMinute,
    windowMs: USER_RATE_LIMIT_WINDOW_MS,
  });

  router.patch('/me', requireAuth, limited, async (req, res) => {
    const changes = parseWith(profileUpdateBody, req.body ?? {});
    const user = await profiles.update(signedInUser(req).id, changes);
    res.json({ user: ownUser(user) });
  });

  router.get('/:username', async (req, res) => {
    const user = await profiles.byUsername(usernameParam(req.params.username), req.currentUser?.id);
    res.json({ user });
  });
}
