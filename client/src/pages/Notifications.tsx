/** Notifications, newest first; opening the screen marks them read and clears the badge. */
import { useEffect, useRef } from 'react';
import { Link } from 'react-router';
import { timelineApi } from '../api/timeline';
import type { Notification } from '../api/types';
import { Avatar } from '../components/Avatar';
import { PageTitle } from '../components/Layout';
import { EmptyState, LoadMore } from '../components/status';
import { displayNameOf, timeAgo } from '../lib/format';
import { usePagedList } from '../lib/usePagedList';
import { useUnread } from '../notifications';

const VERB: Record<Notification['type'], string> = {
  follow: 'started following you',
  like: 'liked your post',
  comment: 'commented on your post',
  mention: 'mentioned you',
};

export default function Notifications() {
  const list = usePagedList<Notification>((cursor, signal) => timelineApi.notifications(cursor, signal), 'notifications');
  const { markAllRead, unread } = useUnread();
  const marked = useRef(false);

  // Once the first page is on screen the person has seen them: mark read, clear the badge.
  useEffect(() => {
    if (marked.current || list.loading || list.error) return;
    if (list.items.some((n) => !n.read) || unread > 0) {
      marked.current = true;
      void markAllRead().catch(() => {
        marked.current = false;
      });
    }
  }, [list.loading, list.error, list.items, unread, markAllRead]);

  return (
    <div className="px-4 md:px-0">
      <PageTitle inset={false}>Notifications</PageTitle>
      {list.items.length === 0 && list.done && !list.error ? (
        <EmptyState title="No notifications yet">When people follow you, like or comment on your posts, you will see it here.</EmptyState>
      ) : (
        <ul className="flex flex-col divide-y divide-stone-100 rounded-xl bg-white md:border md:border-stone-200">
          {list.items.map((n) => (
            <NotificationRow key={n.id} n={n} />
          ))}
        </ul>
      )}
      <LoadMore onLoadMore={list.loadMore} loading={list.loading} done={list.done} error={list.error} itemCount={list.items.length} />
    </div>
  );
}

function NotificationRow({ n }: { n: Notification }) {
  const thumb = n.post?.media?.[0]?.variants?.thumb?.url;
  const href = n.post && n.type !== 'follow' ? `/p/${n.post.id}` : `/u/${n.actor.username}`;
  return (
    <li className={`flex items-center gap-3 px-3 py-3 ${n.read ? '' : 'bg-violet-50/60'}`} data-testid="notification" data-type={n.type}>
      <Avatar user={n.actor} size="md" />
      <p className="min-w-0 flex-1 text-sm">
        <Link to={`/u/${n.actor.username}`} className="font-semibold hover:underline">
          {displayNameOf(n.actor)}
        </Link>{' '}
        <Link to={href} className="hover:underline">
          {VERB[n.type] ?? 'did something'}
        </Link>{' '}
        <time dateTime={n.createdAt} className="text-stone-500">
          {timeAgo(n.createdAt)}
        </time>
        {!n.read && <span className="sr-only"> (new)</span>}
      </p>
      {thumb && (
        <Link to={href} tabIndex={-1} aria-hidden="true">
          <img src={thumb} alt="" className="h-11 w-11 rounded object-cover" loading="lazy" />
        </Link>
      )}
    </li>
  );
}
