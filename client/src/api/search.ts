/** search — its route table: everything, per kind, autocomplete and hashtag pages. */
import { searchRoutes } from '@lumina/contract/client';
import { api } from './http';

export const searchApi = {
  all: (q: string, signal?: AbortSignal) => api(searchRoutes.everything, { query: { q } }, { signal }),
  suggest: (q: string, signal?: AbortSignal) => api(searchRoutes.suggest, { query: { q } }, { signal }).then((r) => r.items),
  hashtagPosts: (tag: string, cursor?: string | null, signal?: AbortSignal) =>
    api(searchRoutes.hashtagPosts, { params: { tag }, query: { cursor: cursor ?? undefined } }, { signal }),
};
