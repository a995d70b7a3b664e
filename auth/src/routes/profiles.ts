/** Public profiles and PATCH /me. */
import { parseWith, perUserRateLimit, requireAuth, signedInUser, type RateLimitStore } from '@lumina/common';
import type { Router } from 'express';
import { ProfileUpdateBody } from '@lumina/contract';
import type { RateLimits } from '../config';
import type { Profiles } from '../profiles';
import { ownUser } from '../users';
import { usernameParam } from './params';

export function profileRoutes(router: Router, deps: { profiles: Profiles; rateLimits: RateLimitStore; limits: RateLimits }): void {
  const { profiles } = deps;
  const limited = perUserRateLimit(deps.rateLimits, { name: 'profile-edits', max: deps.limits.profileEditsPerMinute });

  router.patch('/me', requireAuth, limited, async (req, res) => {
    const changes = parseWith(ProfileUpdateBody, req.body ?? {});
    const user = await profiles.update(signedInUser(req).id, changes);
    res.json({ user: ownUser(user) });
  });

  router.get('/:username', async (req, res) => {
    const user = await profiles.byUsername(usernameParam(req.params.username), req.currentUser?.id);
    res.json({ user });
  });
}
