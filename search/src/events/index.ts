/**
 * Every listener of the search service: one per consumed event, each applying its event to the
 * index through applyToIndex (apply.ts), the mapping the rebuild's replay goes through too:
 *   user.*                      → the users table (and the author fields copied into their posts)
 *   post.created/.updated/.deleted → posts, post_hashtags and hashtag counts
 *   post.liked/.unliked, comment.* → the counts that weigh in post ranking, by engagement version
 */
import { listeners, type EventBus, type ListenerOptions } from '@lumina/common';
import type { IndexWriter } from '../store/index-writer';
import { applyToIndex, INDEXED_EVENTS, type IndexedEnvelope } from './apply';

export function searchListeners(bus: EventBus, index: IndexWriter, options: Omit<ListenerOptions, 'service'> = {}) {
  const on = listeners(bus, { ...options, service: 'search' });
  return INDEXED_EVENTS.map((event) =>
    on(event, async (_data, envelope) => {
      await applyToIndex(index, envelope as IndexedEnvelope);
    }),
  );
}
