/**
 * The names of timeline's Redis keys, under the service's key prefix. Every key that belongs to
 * one viewer carries the viewer's id as its hash tag (`{…}`), so on Redis Cluster a viewer's
 * feed, the stream's landing log, whom they follow and what they like live on one shard and a
 * script may touch them together. Cards (one per post) and an author's posts are keyed by their
 * own ids and are read with one command each, never with a multi-key command across shards.
 */

/** A hash tag: braces in an id would end the tag early, so they are escaped. */
const tag = (id: string): string => `{${id.replace(/[{}%]/g, (c) => `%${c.charCodeAt(0).toString(16)}`)}}`;

export const keys = {
  /** The home feed: post id → createdAt (ms), newest 800, with the FEED_SENTINEL member. */
  feed: (viewerId: string) => `feed:${tag(viewerId)}`,
  /**
   * What landed in the feed, for the live stream: members `<seq>:<postId>`, all scored 0 (lexical
   * order), and the sentinel. Only while the viewer streams, and for a resume window after.
   */
  landed: (viewerId: string) => `landed:${tag(viewerId)}`,
  /** Whom the viewer follows: followee id → edge version, negative once unfollowed. */
  following: (viewerId: string) => `following:${tag(viewerId)}`,
  /** Who follows an author: follower id → edge version, negative once unfollowed (fan-out reads it). */
  followers: (authorId: string) => `followers:${tag(authorId)}`,
  /** What the viewer likes: post id → engagement version, negative once unliked. */
  liked: (viewerId: string) => `liked:${tag(viewerId)}`,
  /** An author's live posts: post id → createdAt (ms), newest 800, with the sentinel. */
  authored: (authorId: string) => `authored:${tag(authorId)}`,
  /** What a merged-at-read author posted, for the stream: members `<seq>:<postId>`. */
  authoredLanded: (authorId: string) => `authored-landed:${tag(authorId)}`,
  /** An author as cards show them, at its user version (a card's author group, kept per author). */
  author: (authorId: string) => `author:${tag(authorId)}`,
  /** The rendered card of a post (a hash of field groups, each with its version). */
  card: (postId: string) => `card:${tag(postId)}`,
  /** Authors over the fan-out threshold, merged in at read time (a small set). */
  pulled: () => 'pulled',
  /** The viewer's assembled first pages: page size → pulled generation, newline, JSON; and `#`, the stamp. */
  page: (viewerId: string) => `page:${tag(viewerId)}`,
  /** The viewers whose kept first page lists the post (on the card's shard). */
  onPage: (postId: string) => `on-page:${tag(postId)}`,
  /** Moves on whenever an author merged at read time posts: pages kept before are stale. */
  pulledGen: () => 'pulled-gen',
};

/**
 * Present in every feed and author's list that is complete (scored -1, below every post): a key
 * without it was never built or was evicted, and is built again from MongoDB. It also keeps an
 * empty feed in existence, so "no key" always means "build me". A landing log holds it too
 * (scored 0 like its members, and before them in lexical order): an open log with nothing in it.
 */
export const SENTINEL = '!';

/** A landing-log member: the sequence first (fixed width, so members sort by it), then the post. */
export const landedMember = (seq: string, postId: string): string => `${seq}:${postId}`;
const SEQ_WIDTH = 17;
export function parseLanded(member: string): { seq: string; postId: string } {
  return { seq: member.slice(0, SEQ_WIDTH), postId: member.slice(SEQ_WIDTH + 1) };
}
/** The smallest member after every member of this sequence (';' sorts right after ':'). */
export const afterLandedSeq = (seq: string): string => `(${seq};`;
