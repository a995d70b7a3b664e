import { timelineApi } from '../api/timeline';
import type { Post } from '../api/types';
import { PageTitle } from '../components/Layout';
import { PostFeed } from '../components/PostFeed';
import { EmptyState } from '../components/status';
import { usePagedList } from '../lib/usePagedList';

/** Posts ranked by recent engagement, for finding people to follow. */
export default function Explore() {
  const list = usePagedList<Post>(timelineApi.explore, 'explore');
  return (
    <div>
      <PageTitle>Explore</PageTitle>
      <PostFeed label="Popular posts" posts={list.items} list={list} empty={<EmptyState title="Nothing to explore yet" />} />
    </div>
  );
}
