/** timeline — its route table: the home feed, explore, its live stream and notifications. */
import { pathFor, timelineRoutes } from '@lumina/contract/client';
import { api } from './http';

export const timelineApi = {
  home: (cursor?: string | null, signal?: AbortSignal) => api(timelineRoutes.home, { query: { cursor: cursor ?? undefined } }, { signal }),
  explore: (cursor?: string | null, signal?: AbortSignal) =>
    api(timelineRoutes.explore, { query: { cursor: cursor ?? undefined } }, { signal }),
  notifications: (cursor?: string | null, signal?: AbortSignal, limit?: number) =>
    api(
      timelineRoutes.notifications,
      { query: { cursor: cursor ?? undefined, limit: limit === undefined ? undefined : String(limit) } },
      { signal },
    ),
  markNotificationsRead: () => api(timelineRoutes.markNotificationsRead),
};

/** The Server-Sent Events stream (an EventSource, not a fetch): the route's path, same-origin. */
export const TIMELINE_STREAM_URL = pathFor(timelineRoutes.stream);
