/**
 * Likes and comment counts on the posts copy, each kept by the engagement version it came from,
 * and on the post's card; who likes what in MongoDB and, for likedByViewer, in Redis.
 */
import type { EventData, Events } from '@lumina/common';
import { applyEngagement } from './post-copy';
import type { Stores } from '../store';

type LikeChange = EventData<typeof Events.postLiked>;

export class EngagementCounts {
  constructor(private readonly stores: Pick<Stores, 'posts' | 'likes' | 'cards' | 'liked'>) {}

  async likeChanged(data: LikeChange, liked: boolean): Promise<void> {
    const { post } = await this.stores.posts.mutate(data.postId, applyEngagement('like', data.likeCount, data.version, data.postAuthorId));
    if (post) await this.stores.cards.putPost(post);
    await this.stores.likes.apply(data.postId, data.userId, liked, data.version);
    await this.stores.liked.apply(data.userId, [{ id: data.postId, on: liked, version: data.version }]);
  }

  async commentCountChanged(postId: string, commentCount: number, version: number, postAuthorId?: string): Promise<void> {
    const { post } = await this.stores.posts.mutate(postId, applyEngagement('comment', commentCount, version, postAuthorId));
    if (post) await this.stores.cards.putPost(post);
  }
}
