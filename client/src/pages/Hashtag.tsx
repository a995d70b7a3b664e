import { useParams } from 'react-router';
import { searchApi } from '../api/search';
import type { SearchPost } from '../api/types';
import { PageTitle } from '../components/Layout';
import { PostGrid } from '../components/PostGrid';
import { EmptyState, LoadMore } from '../components/status';
import { usePagedList } from '../lib/usePagedList';

/** Every post with one hashtag, newest first. */
export default function Hashtag() {
  const { tag = '' } = useParams();
  const clean = tag.replace(/^#/, '').toLowerCase();
  const list = usePagedList<SearchPost>((cursor, signal) => searchApi.hashtagPosts(clean, cursor, signal), clean);
  return (
    <div>
      <PageTitle title={`#${clean}`}>#{clean}</PageTitle>
      {list.items.length === 0 && list.done && !list.error ? (
        <div className="px-4 md:px-0">
          <EmptyState title={`No posts with #${clean} yet`} />
        </div>
      ) : (
        <PostGrid posts={list.items} label={`Posts tagged #${clean}`} />
      )}
      <LoadMore onLoadMore={list.loadMore} loading={list.loading} done={list.done} error={list.error} itemCount={list.items.length} />
    </div>
  );
}
