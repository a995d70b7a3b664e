/** timeline, `/api/v1/timeline`: home feeds, explore, live updates and notifications. */
import { z } from 'zod';
import { PageQuery } from './common-inputs';
import { defineRoutes, json, noContent, type ServiceContract } from './route';
import { servicePrefix } from './version';
import { NotificationPage, PostPage } from './shapes';

export const StreamHeaders = z.object({
  'last-event-id': z.string().optional().meta({ description: 'Resume after this event (EventSource sends it on reconnecting)' }),
});

/** Every path of this table is under it: `/api/v1/timeline`. */
export const TIMELINE_PREFIX = servicePrefix('timeline');

export const timelineRoutes = defineRoutes({
  home: {
    method: 'get',
    path: TIMELINE_PREFIX,
    summary: 'Your home timeline, newest first',
    description: 'Your own posts and those of whom you follow.',
    auth: 'required',
    request: { query: PageQuery },
    responses: { 200: json('A page of posts', PostPage) },
    errors: [400, 401],
  },
  explore: {
    method: 'get',
    path: `${TIMELINE_PREFIX}/explore`,
    summary: 'Posts ranked by recent engagement',
    auth: 'optional',
    request: { query: PageQuery },
    responses: { 200: json('A page of posts', PostPage) },
    errors: [400],
  },
  stream: {
    method: 'get',
    path: `${TIMELINE_PREFIX}/stream`,
    summary: 'Live updates of your home timeline (Server-Sent Events)',
    description: 'An event `post` with `{post}` whenever one lands in your home timeline.',
    auth: 'required',
    request: { headers: StreamHeaders },
    responses: { 200: { description: 'The event stream', contentType: 'text/event-stream' } },
    errors: [400, 401, 429, 503],
  },
  notifications: {
    method: 'get',
    path: `${TIMELINE_PREFIX}/notifications`,
    summary: 'Your notifications, newest first, and how many are unread',
    auth: 'required',
    request: { query: PageQuery },
    responses: { 200: json('A page of notifications', NotificationPage) },
    errors: [400, 401],
  },
  markNotificationsRead: {
    method: 'post',
    path: `${TIMELINE_PREFIX}/notifications/read`,
    summary: 'Mark every notification read',
    auth: 'required',
    responses: { 204: noContent('Marked') },
    errors: [401, 429],
  },
});

export const timelineContract: ServiceContract = {
  service: 'timeline',
  title: 'Lumina timeline',
  description: 'Home timelines (fan-out on write), explore, live updates and notifications.',
  prefix: TIMELINE_PREFIX,
  routes: timelineRoutes,
};
