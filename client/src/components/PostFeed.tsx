import type { ReactNode } from 'react';
import type { Post } from '../api/types';
import type { PagedList } from '../lib/usePagedList';
import { PostCard } from './PostCard';
import { ErrorState, LoadMore, Spinner } from './status';

/** A column of post cards that loads its next page as it scrolls. */
export function PostFeed({ label, posts, list, empty }: { label: string; posts: Post[]; list: PagedList<Post>; empty: ReactNode }) {
  if (posts.length === 0) {
    if (list.loading) return <Spinner label="Loading posts" />;
    if (list.error) return <ErrorState message={list.error} onRetry={list.loadMore} />;
    if (list.done) return <>{empty}</>;
  }
  return (
    <section aria-label={label} aria-busy={list.loading}>
      <div className="flex flex-col gap-3 sm:gap-5">
        {posts.map((post, i) => (
          <PostCard key={post.id} post={post} eager={i < 2} />
        ))}
      </div>
      <LoadMore
        onLoadMore={list.loadMore}
        loading={list.loading}
        done={list.done}
        error={list.error}
        itemCount={posts.length}
        doneLabel="You're all caught up."
      />
    </section>
  );
}
