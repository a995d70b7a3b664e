/**
 * The home feed: the viewer's timeline, newest first, growing as it scrolls. Posts that land
 * while it is open arrive over the timeline stream and wait behind a "new posts" banner, so
 * the list never jumps under the reader's eyes; the viewer's own new posts go straight in.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Link, useLocation, useNavigate } from 'react-router';
import { timelineApi } from '../api/timeline';
import type { Post } from '../api/types';
import { buttonClass } from '../components/forms';
import { ArrowUpIcon } from '../components/icons';
import { PageTitle } from '../components/Layout';
import { PostFeed } from '../components/PostFeed';
import { EmptyState } from '../components/status';
import { appendUnique, usePagedList } from '../lib/usePagedList';
import { useTimelineStream } from '../lib/useTimelineStream';
import { useViewer } from '../session';

export default function Home() {
  const viewer = useViewer();
  const location = useLocation();
  const navigate = useNavigate();
  const list = usePagedList<Post>(timelineApi.home, 'home');
  /** Posts shown above the loaded pages: accepted from the banner, or just posted. */
  const [top, setTop] = useState<Post[]>(() => {
    const justPosted = (location.state as { justPosted?: Post } | null)?.justPosted;
    return justPosted ? [justPosted] : [];
  });
  const [pending, setPending] = useState<Post[]>([]);
  const shown = useMemo(() => appendUnique(top, list.items), [top, list.items]);
  const shownIds = useRef(new Set<string>());
  useEffect(() => {
    shownIds.current = new Set(shown.map((p) => p.id));
  }, [shown]);

  // The just-posted hand-over is used once; a reload should not show it again.
  useEffect(() => {
    if ((location.state as { justPosted?: Post } | null)?.justPosted) navigate('.', { replace: true, state: null });
  }, [location.state, navigate]);

  const onLivePost = useCallback(
    (post: Post) => {
      if (shownIds.current.has(post.id)) return;
      if (post.author.id === viewer.id) {
        setTop((prev) => appendUnique([post], prev));
        return;
      }
      setPending((prev) => (prev.some((p) => p.id === post.id) ? prev : [post, ...prev]));
    },
    [viewer.id],
  );
  useTimelineStream(onLivePost);

  const showPending = () => {
    setTop((prev) => appendUnique(pending, prev));
    setPending([]);
    window.scrollTo({ top: 0, behavior: 'smooth' });
  };

  return (
    <div>
      <PageTitle title="Home">Home</PageTitle>
      <div
        aria-live="polite"
        className="pointer-events-none sticky top-14 z-10 flex h-0 items-start justify-center overflow-visible md:top-4"
      >
        {pending.length > 0 && (
          <button type="button" onClick={showPending} className={buttonClass('primary', 'pointer-events-auto mt-1 rounded-full shadow-lg')}>
            <ArrowUpIcon width={16} height={16} />
            {pending.length === 1 ? '1 new post' : `${pending.length} new posts`}
          </button>
        )}
      </div>
      <PostFeed
        label="Home feed"
        posts={shown}
        list={list}
        empty={
          <EmptyState title="Your feed is empty">
            <p>
              Follow people from{' '}
              <Link to="/explore" className="font-semibold text-violet-700 hover:underline">
                Explore
              </Link>{' '}
              or{' '}
              <Link to="/compose" className="font-semibold text-violet-700 hover:underline">
                share your first photo
              </Link>
              .
            </p>
          </EmptyState>
        }
      />
    </div>
  );
}
