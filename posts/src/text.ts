/**
 * What a caption or comment says besides its words: #hashtags and @mentions. Pure functions;
 * resolving a mention against the users copy happens in the domain.
 */

import { HASHTAG_MAX, MAX_HASHTAGS, MAX_MENTIONS, MAX_RESOLVED_MENTIONS } from '@lumina/contract';

export { MAX_HASHTAGS, MAX_MENTIONS };
export const MAX_HASHTAG_LENGTH = HASHTAG_MAX;
/**
 * At most MAX_RESOLVED_MENTIONS users become mentions of one post or comment (the first, in text
 * order), so one caption cannot notify a crowd; later names stay plain text.
 */
export { MAX_RESOLVED_MENTIONS };

/**
 * `#` then Unicode letters, digits and `_` (plus combining marks, which many scripts need
 * inside a word: without them #हिन्दी would stop at its first vowel sign). The `#` must not
 * follow a letter, digit, `_` or `&` (`a#b`, `&#123;` are not tags).
 */
const HASHTAG = /(?<![\p{L}\p{M}\p{N}_&])#([\p{L}\p{N}_][\p{L}\p{M}\p{N}_]*)/gu;

/**
 * `@` then the characters a username may hold (a-z 0-9 _ .). The `@` must not follow a word
 * character or a dot, so e-mail addresses are not mentions.
 */
const MENTION = /(?<![\p{L}\p{M}\p{N}_.@])@([A-Za-z0-9_.]+)/gu;
const USERNAME = /^[a-z0-9_.]{3,30}$/;

/** Hashtags of a text: lower-cased, NFC-normalised, de-duplicated, in order of appearance. */
export function extractHashtags(text: string): string[] {
  const tags = new Set<string>();
  for (const match of text.normalize('NFC').matchAll(HASHTAG)) {
    const tag = match[1]!.toLowerCase();
    if (tag.length <= MAX_HASHTAG_LENGTH) tags.add(tag);
  }
  return [...tags];
}

/**
 * The usernames a text may mention, each as the names to try in order: `@alice.` at the end of
 * a sentence tries `alice.` (a username may hold dots) and then `alice`.
 */
export function extractMentionCandidates(text: string): string[][] {
  const seen = new Set<string>();
  const candidates: string[][] = [];
  for (const match of text.matchAll(MENTION)) {
    const written = match[1]!.toLowerCase();
    const names = [written, written.replace(/\.+$/, '')].filter((n, i, all) => USERNAME.test(n) && all.indexOf(n) === i);
    const key = names.join(' ');
    if (names.length === 0 || seen.has(key)) continue;
    seen.add(key);
    candidates.push(names);
  }
  return candidates;
}
