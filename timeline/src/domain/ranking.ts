/**
 * Explore's ranking: engagement with time decay, as a score that does not change while time
 * passes (so it can be stored, indexed and paged through with a keyset cursor). A post's score is
 * log10(1 + likes + 2·comments) plus its creation time in units of DECAY: ten times the engagement
 * is worth DECAY_SECONDS of recency. Ordering by it equals ordering by engagement / 10^(age/DECAY),
 * an exponential decay, at any moment.
 */
export const DECAY_SECONDS = 45_000; // 12.5 hours

export function hotScore(likeCount: number, commentCount: number, createdAt: Date): number {
  const engagement = Math.max(0, likeCount) + 2 * Math.max(0, commentCount);
  return Math.log10(1 + engagement) + createdAt.getTime() / 1000 / DECAY_SECONDS;
}
