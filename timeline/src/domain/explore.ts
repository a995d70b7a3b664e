/**
 * Explore: recent posts (the last EXPLORE_WINDOW_DAYS) ranked by engagement with time decay.
 *
 * The score (ranking.ts) does not change as time passes, only when a post's counts change, so it
 * is stored on the post and pages are a keyset over (score desc, id desc): no offsets, no
 * snapshot to keep. Pages neither skip nor repeat a post whose score stays put; a post whose score
 * changes between two page reads moves, and may be seen twice or not at all in that one walk —
 * the usual trade of a live ranking, and cheaper than a per-reader snapshot.
 */
import type { Page, PageRequest } from '@lumina/common';
import { readRounds } from './paging';
import type { ScorePosition } from '../positions';
import type { Post } from '@lumina/contract';
import type { Renderer } from '../render';
import type { Stores } from '../store';

export class Explore {
  constructor(
    private readonly stores: Stores,
    private readonly renderer: Renderer,
    private readonly windowDays: number,
  ) {}

  async page(viewerId: string | undefined, request: PageRequest<ScorePosition>, now = new Date()): Promise<Page<Post>> {
    const since = new Date(now.getTime() - this.windowDays * 24 * 3600_000);
    return readRounds(request, async (position, want) => {
      const posts = await this.stores.posts.ranked(since, position, want);
      const views = await this.renderer.posts(
        posts.map((p) => p._id),
        viewerId,
      );
      return posts.map((p) => ({ position: { h: p.hot as number, id: p._id }, item: views.get(p._id) }));
    });
  }
}
