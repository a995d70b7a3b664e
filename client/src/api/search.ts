/** search — /api/search: everything, per kind, autocomplete and hashtag pages. */
import { api, query } from './http';
import type { HashtagHit, Page, Post, SearchResults, Suggestion, UserSummary } from './types';

/** A hashtag as the search service may spell it: a bare string or an object naming the tag. */
type RawHashtag = string | { tag?: string; name?: string; hashtag?: string; postCount?: number; count?: number };

export function normalizeHashtag(raw: RawHashtag): HashtagHit | null {
  if (typeof raw === 'string') return raw ? { tag: raw.replace(/^#/, '') } : null;
  const tag = raw.tag ?? raw.name ?? raw.hashtag;
  if (!tag) return null;
  const postCount = raw.postCount ?? raw.count;
  return postCount === undefined ? { tag: tag.replace(/^#/, '') } : { tag: tag.replace(/^#/, ''), postCount };
}

function normalizeSuggestion(raw: Record<string, unknown>): Suggestion | null {
  if (raw.type === 'user' && typeof raw.username === 'string') {
    return {
      type: 'user',
      id: String(raw.id ?? raw.username),
      username: raw.username,
      displayName: typeof raw.displayName === 'string' ? raw.displayName : '',
      avatar: (raw.avatar as UserSummary['avatar']) ?? null,
    };
  }
  if (raw.type === 'hashtag') {
    const hit = normalizeHashtag(raw as RawHashtag);
    return hit ? { type: 'hashtag', ...hit } : null;
  }
  return null;
}

export const searchApi = {
  all: async (q: string, signal?: AbortSignal): Promise<SearchResults> => {
    const raw = await api<{ users?: UserSummary[]; posts?: Post[]; hashtags?: RawHashtag[] }>(`/api/search${query({ q })}`, { signal });
    return {
      users: raw.users ?? [],
      posts: raw.posts ?? [],
      hashtags: (raw.hashtags ?? []).map(normalizeHashtag).filter((h): h is HashtagHit => h !== null),
    };
  },
  suggest: async (q: string, signal?: AbortSignal): Promise<Suggestion[]> => {
    const raw = await api<{ items: Array<Record<string, unknown>> }>(`/api/search/suggest${query({ q })}`, { signal });
    return raw.items.map(normalizeSuggestion).filter((s): s is Suggestion => s !== null);
  },
  hashtagPosts: (tag: string, cursor?: string | null, signal?: AbortSignal) =>
    api<Page<Post>>(`/api/search/hashtags/${encodeURIComponent(tag)}/posts${query({ cursor })}`, { signal }),
};
