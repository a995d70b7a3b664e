/** One post as the feeds show it: author, photos (blurhash while loading), like, caption. */
import { useEffect, useRef, useState } from 'react';
import { Link } from 'react-router';
import { postsApi } from '../api/posts';
import type { Post, PostMedia } from '../api/types';
import { count, displayNameOf, fullDate, plural, timeAgo } from '../lib/format';
import { Avatar } from './Avatar';
import { BlurhashImage } from './BlurhashImage';
import { CommentIcon, HeartIcon } from './icons';
import { RichText } from './RichText';

export function altFor(media: PostMedia, index: number, total: number, authorName: string): string {
  if (media.alt?.trim()) return media.alt.trim();
  return total > 1 ? `Photo ${index + 1} of ${total} by ${authorName}` : `Photo by ${authorName}`;
}

export function PostPhotos({ post, eager = false }: { post: Post; eager?: boolean }) {
  const strip = useRef<HTMLDivElement>(null);
  const [index, setIndex] = useState(0);
  const name = displayNameOf(post.author);
  const total = post.media.length;

  if (total === 1) {
    const m = post.media[0]!;
    return (
      <BlurhashImage
        src={m.variants.feed.url}
        width={m.variants.feed.width || m.width}
        height={m.variants.feed.height || m.height}
        blurhash={m.blurhash}
        alt={altFor(m, 0, 1, name)}
        loading={eager ? 'eager' : 'lazy'}
      />
    );
  }

  const go = (to: number) => {
    const el = strip.current;
    if (!el) return;
    const next = Math.max(0, Math.min(total - 1, to));
    el.scrollTo({ left: next * el.clientWidth, behavior: 'smooth' });
    setIndex(next);
  };
  // The tallest photo sets the box; the others are letter-boxed inside it.
  const ratio = Math.min(...post.media.map((m) => (m.width || 1) / (m.height || 1)));

  return (
    <div className="relative" role="group" aria-roledescription="carousel" aria-label={`${total} photos`}>
      <div
        ref={strip}
        tabIndex={0}
        aria-label={`Photos, ${index + 1} of ${total}. Use the arrow keys to move.`}
        className="flex snap-x snap-mandatory overflow-x-auto outline-none [scrollbar-width:none] focus-visible:ring-2 focus-visible:ring-violet-500"
        style={{ aspectRatio: `${Math.max(0.8, ratio)}` }}
        onScroll={(e) => setIndex(Math.round(e.currentTarget.scrollLeft / Math.max(1, e.currentTarget.clientWidth)))}
        onKeyDown={(e) => {
          if (e.key === 'ArrowRight') {
            e.preventDefault();
            go(index + 1);
          } else if (e.key === 'ArrowLeft') {
            e.preventDefault();
            go(index - 1);
          }
        }}
      >
        {post.media.map((m, i) => (
          <div key={m.id} className="flex w-full shrink-0 snap-center items-center bg-stone-100">
            <BlurhashImage
              className="w-full"
              src={m.variants.feed.url}
              width={m.variants.feed.width || m.width}
              height={m.variants.feed.height || m.height}
              blurhash={m.blurhash}
              alt={altFor(m, i, total, name)}
              loading={eager && i === 0 ? 'eager' : 'lazy'}
            />
          </div>
        ))}
      </div>
      <div className="pointer-events-none absolute inset-x-0 bottom-2 flex justify-center gap-1.5" aria-hidden="true">
        {post.media.map((m, i) => (
          <span key={m.id} className={`h-1.5 w-1.5 rounded-full ${i === index ? 'bg-white' : 'bg-white/50'}`} />
        ))}
      </div>
      {index > 0 && (
        <button
          type="button"
          onClick={() => go(index - 1)}
          className="absolute top-1/2 left-2 hidden h-8 w-8 -translate-y-1/2 rounded-full bg-white/90 text-stone-800 shadow md:block"
          aria-label="Previous photo"
        >
          ‹
        </button>
      )}
      {index < total - 1 && (
        <button
          type="button"
          onClick={() => go(index + 1)}
          className="absolute top-1/2 right-2 hidden h-8 w-8 -translate-y-1/2 rounded-full bg-white/90 text-stone-800 shadow md:block"
          aria-label="Next photo"
        >
          ›
        </button>
      )}
    </div>
  );
}

/** Like / unlike at once, then settle on the count the server answers. */
export function LikeButton({ post, onChange }: { post: Post; onChange?: (liked: boolean, likeCount: number) => void }) {
  const [liked, setLiked] = useState(post.likedByViewer);
  const [likeCount, setLikeCount] = useState(post.likeCount);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    setLiked(post.likedByViewer);
    setLikeCount(post.likeCount);
  }, [post.id, post.likedByViewer, post.likeCount]);

  const toggle = async () => {
    if (busy) return;
    const next = !liked;
    const before = { liked, likeCount };
    setBusy(true);
    setError(null);
    setLiked(next);
    setLikeCount((n) => Math.max(0, n + (next ? 1 : -1)));
    try {
      const result = next ? await postsApi.like(post.id) : await postsApi.unlike(post.id);
      setLiked(result.liked);
      setLikeCount(result.likeCount);
      onChange?.(result.liked, result.likeCount);
    } catch (err) {
      setLiked(before.liked);
      setLikeCount(before.likeCount);
      setError(err instanceof Error ? err.message : 'Could not like the post');
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="flex items-center gap-2">
      <button
        type="button"
        aria-pressed={liked}
        onClick={toggle}
        className={`-m-1 rounded-full p-1 outline-none focus-visible:ring-2 focus-visible:ring-violet-500 ${liked ? 'text-rose-600' : 'text-stone-800 hover:text-stone-500'}`}
      >
        <HeartIcon filled={liked} />
        <span className="sr-only">Like</span>
      </button>
      <span className="text-sm font-semibold text-stone-900" data-testid="like-count" aria-live="polite">
        {plural(likeCount, 'like', 'likes')}
      </span>
      {error && (
        <span role="alert" className="text-xs text-rose-700">
          {error}
        </span>
      )}
    </div>
  );
}

export function PostCard({ post, eager = false }: { post: Post; eager?: boolean }) {
  const name = displayNameOf(post.author);
  const headingId = `post-${post.id}-by`;
  return (
    <article
      aria-labelledby={headingId}
      className="overflow-hidden border-stone-200 bg-white sm:rounded-xl sm:border"
      data-testid="post-card"
    >
      <header className="flex items-center gap-3 px-3 py-2.5">
        <Link to={`/u/${post.author.username}`} tabIndex={-1} aria-hidden="true">
          <Avatar user={post.author} size="sm" />
        </Link>
        <div className="min-w-0 flex-1 leading-tight">
          <h2 id={headingId} className="truncate text-sm font-semibold text-stone-900">
            <Link to={`/u/${post.author.username}`} className="hover:underline">
              {name}
            </Link>
          </h2>
          <p className="truncate text-xs text-stone-500">@{post.author.username}</p>
        </div>
        <Link to={`/p/${post.id}`} className="text-xs text-stone-500 hover:underline">
          <time dateTime={post.createdAt} title={fullDate(post.createdAt)}>
            {timeAgo(post.createdAt)}
          </time>
        </Link>
      </header>
      <PostPhotos post={post} eager={eager} />
      <div className="flex flex-col gap-1.5 px-3 py-3">
        <div className="flex items-center gap-4">
          <LikeButton post={post} />
          <Link
            to={`/p/${post.id}`}
            className="flex items-center gap-1.5 rounded text-sm text-stone-700 outline-none hover:text-stone-500 focus-visible:ring-2 focus-visible:ring-violet-500"
          >
            <CommentIcon />
            <span>
              {count(post.commentCount)}
              <span className="sr-only"> comments</span>
            </span>
          </Link>
        </div>
        {post.caption && (
          <p className="text-sm break-words whitespace-pre-line text-stone-900">
            <Link to={`/u/${post.author.username}`} className="mr-1.5 font-semibold hover:underline">
              {post.author.username}
            </Link>
            <RichText text={post.caption} />
          </p>
        )}
        {post.commentCount > 0 && (
          <Link to={`/p/${post.id}`} className="text-sm text-stone-500 hover:underline">
            View {post.commentCount === 1 ? 'the comment' : `all ${count(post.commentCount)} comments`}
          </Link>
        )}
      </div>
    </article>
  );
}
