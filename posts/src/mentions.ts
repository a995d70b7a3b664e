import { BadRequestError } from '@lumina/common';
import type { CopiesStore } from './store/copies-store';
import type { Mention } from './store/models';
import { extractHashtags, extractMentionCandidates, MAX_HASHTAGS, MAX_MENTIONS, MAX_RESOLVED_MENTIONS } from './text';

/**
 * The hashtags and resolved @mentions of a caption or comment. A mention of a name no user
 * holds (in this service's copy of users) stays plain text, and so do names after the first
 * MAX_RESOLVED_MENTIONS users: every mention is a notification.
 */
export async function analyseText(copies: CopiesStore, text: string, field: string): Promise<{ hashtags: string[]; mentions: Mention[] }> {
  const hashtags = extractHashtags(text);
  if (hashtags.length > MAX_HASHTAGS) throw new BadRequestError(`At most ${MAX_HASHTAGS} different hashtags`, field);
  const candidates = extractMentionCandidates(text);
  if (candidates.length > MAX_MENTIONS) throw new BadRequestError(`At most ${MAX_MENTIONS} different mentions`, field);
  const users = await copies.usersByUsernames(candidates.flat());
  const mentions: Mention[] = [];
  const seen = new Set<string>();
  for (const names of candidates) {
    if (mentions.length >= MAX_RESOLVED_MENTIONS) break;
    const user = names.map((n) => users.get(n)).find((u) => u !== undefined);
    if (!user || seen.has(user._id)) continue;
    seen.add(user._id);
    mentions.push({ id: user._id, username: user.username });
  }
  return { hashtags, mentions };
}
