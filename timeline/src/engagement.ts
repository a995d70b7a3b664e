/** Likes and comment counts on the posts copy, each kept by the engagement version it came from. */
import type { EventData, Events } from '@lumina/common';
import { applyEngagement } from './post-copy';
import type { Stores } from './store';

type LikeChange = EventData<typeof Events.postLiked>;

export class Engagement {
  constructor(private readonly stores: Pick<Stores, 'posts' | 'likes'>) {}

  async likeChanged(data: LikeChange, liked: boolean): Promise<void> {
    await this.stores.posts.mutate(data.postId, applyEngagement('like', data.likeCount, data.version, data.postAuthorId));
    await this.stores.likes.apply(data.postId, data.userId, liked, data.version);
  }

  async commentCountChanged(postId: string, commentCount: number, version: number, postAuthorId?: string): Promise<void> {
    await this.stores.posts.mutate(postId, applyEngagement('comment', commentCount, version, postAuthorId));
  }
}
