/**
 * The unread-notifications count behind the badge: read on start, on every navigation, when
 * the window regains focus and every 30 seconds while it is visible.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { useLocation } from 'react-router';
import { timelineApi } from './api/timeline';

interface UnreadState {
  unread: number;
  refresh: () => void;
  markAllRead: () => Promise<void>;
}

const UnreadContext = createContext<UnreadState>({ unread: 0, refresh: () => undefined, markAllRead: async () => undefined });

const POLL_MS = 30_000;

export function UnreadProvider({ children }: { children: ReactNode }) {
  const [unread, setUnread] = useState(0);
  const location = useLocation();

  const refresh = useCallback(() => {
    timelineApi
      .notifications(null, undefined, 1)
      .then((page) => setUnread(Math.max(0, page.unread ?? 0)))
      .catch(() => undefined);
  }, []);

  useEffect(refresh, [location.pathname, refresh]);

  useEffect(() => {
    const onFocus = () => refresh();
    window.addEventListener('focus', onFocus);
    const timer = setInterval(() => {
      if (document.visibilityState !== 'hidden') refresh();
    }, POLL_MS);
    return () => {
      window.removeEventListener('focus', onFocus);
      clearInterval(timer);
    };
  }, [refresh]);

  const markAllRead = useCallback(async () => {
    await timelineApi.markNotificationsRead();
    setUnread(0);
  }, []);

  const value = useMemo(() => ({ unread, refresh, markAllRead }), [unread, refresh, markAllRead]);
  return <UnreadContext.Provider value={value}>{children}</UnreadContext.Provider>;
}

export function useUnread(): UnreadState {
  return useContext(UnreadContext);
}
