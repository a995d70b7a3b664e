/**
 * Query hygiene: how the text a user typed becomes search terms. The text never reaches SQL as
 * syntax. It is cut into words (runs of Unicode letters, marks, digits and `_`, the characters
 * InnoDB's FULLTEXT parser treats as word characters), and only those words are used: in a
 * BOOLEAN MODE string we build ourselves (`+word*` per word), in a NATURAL LANGUAGE MODE string
 * (the words separated by spaces) and in LIKE patterns with `!`, `%` and `_` escaped. None of
 * FULLTEXT's operator characters (`+ - < > ( ) ~ * : " & | @`) can be part of a word, and every
 * value is bound as a parameter, so neither the FULLTEXT grammar nor SQL sees the user's syntax.
 *
 * Short words: InnoDB indexes words of at least `innodb_ft_min_token_size` characters (3 by
 * default on both servers). A word shorter than that is still searched as a prefix (`go*` finds
 * `golang`; InnoDB keeps truncated words however short), but a one-character word is not sent to
 * FULLTEXT at all. When no word of two or more characters remains, the search falls back to
 * B-tree prefix matches (usernames, display names, hashtags) and exact hashtag/author matches
 * for posts; see SearchService.
 */
import { BadRequestError } from '@lumina/common';
import { MAX_QUERY_LENGTH } from '@lumina/contract';

export { MAX_QUERY_LENGTH };
/** Words beyond this many are ignored: a query is a few words, not a document. */
export const MAX_WORDS = 10;
/** InnoDB's innodb_ft_max_token_size default: longer words are never indexed. */
export const MAX_WORD_LENGTH = 84;
/** The shortest word sent to FULLTEXT (as a prefix). */
export const MIN_PREFIX_LENGTH = 2;

const WORD = /[\p{L}\p{M}\p{N}_]+/gu;

export interface SearchTerms {
  /** The query as typed, NFC, lower-case, trimmed. */
  text: string;
  /** Distinct words, in order, at most MAX_WORDS. */
  words: string[];
  /** `+w1* +w2*`: every word must match, each as a prefix. Empty when no word qualifies. */
  booleanQuery: string;
  /** The words long enough to be indexed, for NATURAL LANGUAGE MODE relevance. May be empty. */
  naturalQuery: string;
}

function characterCount(s: string): number {
  return [...s].length;
}

/** Reads `q` from a query string: a string of 1–200 characters after trimming, else 400. */
export function readQueryText(value: unknown): string {
  if (value === undefined) throw new BadRequestError('q is required', 'q');
  if (typeof value !== 'string') throw new BadRequestError('q must be a single string', 'q');
  // Checked before any other work, so a huge query costs nothing.
  if (value.length > MAX_QUERY_LENGTH * 2) throw new BadRequestError(`q must be at most ${MAX_QUERY_LENGTH} characters`, 'q');
  const text = value.normalize('NFC').trim();
  if (text.length === 0) throw new BadRequestError('q must not be empty', 'q');
  if (characterCount(text) > MAX_QUERY_LENGTH) throw new BadRequestError(`q must be at most ${MAX_QUERY_LENGTH} characters`, 'q');
  return text;
}

export function wordsOf(text: string): string[] {
  const words = text.normalize('NFC').toLowerCase().match(WORD) ?? [];
  return [...new Set(words)].slice(0, MAX_WORDS);
}

export function searchTerms(text: string, minTokenSize: number): SearchTerms {
  const words = wordsOf(text);
  const usable = words.filter((w) => characterCount(w) <= MAX_WORD_LENGTH);
  return {
    text: text.normalize('NFC').toLowerCase().trim(),
    words,
    booleanQuery: usable
      .filter((w) => characterCount(w) >= MIN_PREFIX_LENGTH)
      .map((w) => `+${w}*`)
      .join(' '),
    naturalQuery: usable.filter((w) => characterCount(w) >= minTokenSize).join(' '),
  };
}

/** A LIKE pattern matching values that start with `prefix`, taken literally (`ESCAPE '!'`). */
export function likePrefix(prefix: string): string {
  return `${prefix.replace(/[!%_]/g, (c) => `!${c}`)}%`;
}

/** What an autocomplete box sent: the prefix, and whether it asked for one kind only. */
export interface SuggestTerms {
  prefix: string;
  kinds: { users: boolean; hashtags: boolean };
}

export function suggestTerms(text: string): SuggestTerms {
  const lowered = text.normalize('NFC').toLowerCase().trim();
  if (lowered.startsWith('@')) return { prefix: lowered.slice(1).trim(), kinds: { users: true, hashtags: false } };
  if (lowered.startsWith('#')) return { prefix: lowered.slice(1).trim(), kinds: { users: false, hashtags: true } };
  return { prefix: lowered, kinds: { users: true, hashtags: true } };
}
