/**
 * What posts publishes, and how: every event is built here and written into the post's outbox by
 * the same single-document update that makes the change; the relay publishes it afterwards.
 * Post events carry the post's version; like and comment events its engagement version.
 */
import { Events, outboxEvent, type EnvelopeOf } from '@lumina/common';
import type { CommentDoc, PostDoc, PostMediaSnapshot } from '../store/models';
import { postState } from '../render';

/** post.created, with the correlation id the post's later events trace back to. */
export function postCreated(post: PostDoc, media: PostMediaSnapshot[], correlationId: string): EnvelopeOf<typeof Events.postCreated> {
  return outboxEvent(Events.postCreated, postState(post, media), { correlationId });
}

/** post.updated: the post's full new state (`next` already carries the new version). */
export function postUpdated(next: PostDoc, media: PostMediaSnapshot[]): EnvelopeOf<typeof Events.postUpdated> {
  return outboxEvent(Events.postUpdated, postState(next, media));
}

/** post.deleted, at the version after the post's current one. */
export function postDeleted(post: PostDoc): EnvelopeOf<typeof Events.postDeleted> {
  return outboxEvent(Events.postDeleted, { id: post._id, authorId: post.authorId, version: post.version + 1 });
}

/** post.liked or post.unliked, with the like count it leaves. */
export function likeChanged(
  liked: boolean,
  post: Pick<PostDoc, '_id' | 'authorId'>,
  userId: string,
  likeCount: number,
  engagementVersion: number,
): EnvelopeOf<typeof Events.postLiked> | EnvelopeOf<typeof Events.postUnliked> {
  const data = { postId: post._id, postAuthorId: post.authorId, userId, likeCount, version: engagementVersion };
  return liked ? outboxEvent(Events.postLiked, data) : outboxEvent(Events.postUnliked, data);
}

/** comment.created, with the comment count it leaves. */
export function commentCreated(
  comment: CommentDoc,
  post: Pick<PostDoc, 'authorId'>,
  commentCount: number,
  engagementVersion: number,
): EnvelopeOf<typeof Events.commentCreated> {
  return outboxEvent(Events.commentCreated, {
    id: comment._id,
    postId: comment.postId,
    postAuthorId: post.authorId,
    authorId: comment.authorId,
    body: comment.body,
    mentions: comment.mentions,
    commentCount,
    createdAt: comment.createdAt.toISOString(),
    version: engagementVersion,
  });
}

/** comment.deleted, with the comment count it leaves. */
export function commentDeleted(
  commentId: string,
  postId: string,
  commentCount: number,
  engagementVersion: number,
): EnvelopeOf<typeof Events.commentDeleted> {
  return outboxEvent(Events.commentDeleted, { id: commentId, postId, commentCount, version: engagementVersion });
}
