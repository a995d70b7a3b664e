import { Link } from 'react-router';
import type { Post, SearchPost } from '../api/types';
import { displayNameOf } from '../lib/format';
import { BlurhashImage } from './BlurhashImage';
import { altFor } from './PostCard';

/** Square thumbnails of posts, three to a row, each a link to the post. */
export function PostGrid({ posts, label }: { posts: Array<Post | SearchPost>; label: string }) {
  return (
    <ul className="grid grid-cols-3 gap-0.5 sm:gap-1.5" aria-label={label}>
      {posts.map((post) => {
        const first = post.media[0];
        if (!first) return null;
        const thumb = first.variants.thumb;
        return (
          <li key={post.id} className="relative">
            <Link
              to={`/p/${post.id}`}
              className="block outline-none focus-visible:ring-2 focus-visible:ring-violet-500 focus-visible:ring-offset-2"
              aria-label={post.caption ? `Post: ${post.caption.slice(0, 80)}` : `Post by ${displayNameOf(post.author)}`}
            >
              <BlurhashImage
                src={thumb.url}
                width={thumb.width}
                height={thumb.height}
                blurhash={first.blurhash}
                alt={altFor(first, 0, post.media.length, displayNameOf(post.author))}
                square
              />
              {post.media.length > 1 && (
                <span className="absolute top-1.5 right-1.5 rounded bg-black/60 px-1.5 text-xs text-white" aria-hidden="true">
                  {post.media.length}
                </span>
              )}
            </Link>
          </li>
        );
      })}
    </ul>
  );
}
