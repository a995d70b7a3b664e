/**
 * Listens to GET /api/v1/timeline/stream (Server-Sent Events) and calls `onPost` for every `post`
 * event. The browser reconnects a dropped stream by itself; a refused one (401 once the access
 * token expired) is closed for good, so then the session is refreshed and the stream reopened.
 */
import { useEffect, useRef } from 'react';
import { refreshSession } from '../api/http';
import { TIMELINE_STREAM_URL } from '../api/timeline';
import type { Post } from '../api/types';

export function parsePostEvent(data: string): Post | null {
  try {
    const parsed = JSON.parse(data) as { post?: Post } | Post;
    const post = 'post' in parsed && parsed.post ? parsed.post : (parsed as Post);
    return post && typeof post.id === 'string' ? post : null;
  } catch {
    return null;
  }
}

export function useTimelineStream(onPost: (post: Post) => void, enabled = true): void {
  const handler = useRef(onPost);
  useEffect(() => {
    handler.current = onPost;
  });

  useEffect(() => {
    if (!enabled || typeof EventSource === 'undefined') return;
    let source: EventSource | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let backoff = 1000;
    let stopped = false;

    const connect = () => {
      source = new EventSource(TIMELINE_STREAM_URL, { withCredentials: true });
      source.addEventListener('open', () => {
        backoff = 1000;
      });
      source.addEventListener('post', (event) => {
        const post = parsePostEvent((event as MessageEvent<string>).data);
        if (post) handler.current(post);
      });
      source.addEventListener('error', () => {
        if (!source || source.readyState !== EventSource.CLOSED || stopped) return;
        source.close();
        timer = setTimeout(() => {
          void refreshSession().then(() => {
            if (!stopped) connect();
          });
        }, backoff);
        backoff = Math.min(backoff * 2, 30_000);
      });
    };

    connect();
    return () => {
      stopped = true;
      clearTimeout(timer);
      source?.close();
    };
  }, [enabled]);
}
