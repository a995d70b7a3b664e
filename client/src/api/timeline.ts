/** timeline — /api/timeline: the home feed, explore, its live stream and notifications. */
import { api, query } from './http';
import type { NotificationPage, Page, Post } from './types';

export const timelineApi = {
  home: (cursor?: string | null, signal?: AbortSignal) => api<Page<Post>>(`/api/timeline${query({ cursor })}`, { signal }),
  explore: (cursor?: string | null, signal?: AbortSignal) => api<Page<Post>>(`/api/timeline/explore${query({ cursor })}`, { signal }),
  notifications: (cursor?: string | null, signal?: AbortSignal, limit?: number) =>
    api<NotificationPage>(`/api/timeline/notifications${query({ cursor, limit })}`, { signal }),
  markNotificationsRead: () => api<void>('/api/timeline/notifications/read', { method: 'POST' }),
};

export const TIMELINE_STREAM_URL = '/api/timeline/stream';
