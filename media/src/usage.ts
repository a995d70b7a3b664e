/**
 * Which posts and avatars use a media, kept from other services' events. A media in use cannot
 * be deleted and is never swept. Every step is idempotent, and a post.deleted handled at the
 * same moment as its post.created still ends with the media released (see postCreated).
 */
import type { MediaStore } from './store/media-store';
import type { UsageStore } from './store/usage-store';

export class MediaUsage {
  constructor(
    private readonly media: MediaStore,
    private readonly usage: UsageStore,
  ) {}

  /**
   * The media are marked used before the post is recorded, so no look after is needed: a
   * post.deleted recorded before our record makes ours stale, and we release them ourselves; one
   * recorded after it releases them after reading the marks we made.
   */
  async postCreated(postId: string, mediaIds: string[], version: number): Promise<void> {
    const shown = [...new Set(mediaIds)];
    await this.media.addPostUse(shown, postId);
    if ((await this.usage.recordPostCreated(postId, shown, version)) !== 'applied') await this.reconcilePost(postId);
  }

  async postDeleted(postId: string, version: number): Promise<void> {
    await this.usage.recordPostDeleted(postId, version);
    await this.reconcilePost(postId);
  }

  async avatarChanged(userId: string, mediaId: string | null, version: number): Promise<void> {
    await this.usage.recordAvatar(userId, mediaId, version);
  }

  /** Makes the media's post sets agree with what is recorded of the post. */
  private async reconcilePost(postId: string): Promise<void> {
    const post = await this.usage.findPost(postId);
    if (!post) return;
    if (post.deleted) {
      await this.media.removePostUse(postId);
      return;
    }
    await this.usePostMedia(postId, post.mediaIds);
  }

  /** Marks the media used by a live post, then looks again: a post.deleted handled meanwhile releases them. */
  private async usePostMedia(postId: string, mediaIds: string[]): Promise<void> {
    await this.media.addPostUse(mediaIds, postId);
    const again = await this.usage.findPost(postId);
    if (again?.deleted) await this.media.removePostUse(postId);
  }
}
