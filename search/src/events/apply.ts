/**
 * What each consumed event does to the index: the one mapping both the live listeners and the
 * rebuild's replay go through, so a rebuilt index is built exactly like the live one.
 */
import { Events, parseEnvelope, type ApplyOutcome, type EnvelopeOf } from '@lumina/common';
import { postDocument, userDocument } from '../indexing';
import type { IndexWriter } from '../store/index-writer';

export const INDEXED_EVENTS = [
  Events.userCreated,
  Events.userUpdated,
  Events.userDeleted,
  Events.postCreated,
  Events.postUpdated,
  Events.postDeleted,
  Events.postLiked,
  Events.postUnliked,
  Events.commentCreated,
  Events.commentDeleted,
] as const;

export type IndexedEvent = (typeof INDEXED_EVENTS)[number];
type EnvelopeUnion<E> = E extends IndexedEvent ? EnvelopeOf<E> : never;
export type IndexedEnvelope = EnvelopeUnion<IndexedEvent>;

export async function applyToIndex(index: IndexWriter, envelope: IndexedEnvelope): Promise<ApplyOutcome> {
  switch (envelope.type) {
    case 'user.created':
    case 'user.updated':
      return index.applyUser(userDocument(envelope.data));
    case 'user.deleted':
      return index.removeUser(envelope.data.id, envelope.data.version);
    case 'post.created':
    case 'post.updated':
      return index.applyPost(postDocument(envelope.data));
    case 'post.deleted':
      return index.removePost(envelope.data.id, envelope.data.authorId, envelope.data.version);
    case 'post.liked':
    case 'post.unliked':
      return index.applyLikeCount(envelope.data.postId, envelope.data.likeCount, envelope.data.version, envelope.data.postAuthorId);
    case 'comment.created':
      return index.applyCommentCount(envelope.data.postId, envelope.data.commentCount, envelope.data.version, envelope.data.postAuthorId);
    case 'comment.deleted':
      return index.applyCommentCount(envelope.data.postId, envelope.data.commentCount, envelope.data.version);
  }
}

/**
 * Parses a raw message from the USERS or POSTS stream: the envelope if it is an event the index
 * consumes, null if it is another kind (follows). Throws on an invalid payload.
 */
export function parseIndexedEvent(type: string, raw: Uint8Array): IndexedEnvelope | null {
  const definition = INDEXED_EVENTS.find((e) => e.type === type);
  if (!definition) return null;
  return parseEnvelope(definition, raw) as IndexedEnvelope;
}
