/** posts — /api/posts: posts, likes and comments. */
import { api, query } from './http';
import type { Comment, Page, Post, UserSummary } from './types';

/** A comment whose author the service did not expand still renders (as its id). */
function withAuthor(raw: Comment & { authorId?: string }): Comment {
  if (raw.author) return raw;
  const author: UserSummary = { id: raw.authorId ?? '', username: raw.authorId ?? 'unknown', displayName: '', avatar: null };
  return { ...raw, author };
}

export const postsApi = {
  create: (caption: string, media: Array<{ id: string; alt?: string }>) =>
    api<{ post: Post }>('/api/posts', { method: 'POST', body: { caption, media } }).then((r) => r.post),
  get: (id: string, signal?: AbortSignal) => api<{ post: Post }>(`/api/posts/${encodeURIComponent(id)}`, { signal }).then((r) => r.post),
  remove: (id: string) => api<void>(`/api/posts/${encodeURIComponent(id)}`, { method: 'DELETE' }),
  byAuthor: (authorId: string, cursor?: string | null, signal?: AbortSignal) =>
    api<Page<Post>>(`/api/posts${query({ authorId, cursor })}`, { signal }),
  like: (id: string) => api<{ liked: boolean; likeCount: number }>(`/api/posts/${encodeURIComponent(id)}/like`, { method: 'PUT' }),
  unlike: (id: string) => api<{ liked: boolean; likeCount: number }>(`/api/posts/${encodeURIComponent(id)}/like`, { method: 'DELETE' }),
  comments: (id: string, cursor?: string | null, signal?: AbortSignal) =>
    api<Page<Comment>>(`/api/posts/${encodeURIComponent(id)}/comments${query({ cursor })}`, { signal }).then((page) => ({
      ...page,
      items: page.items.map(withAuthor),
    })),
  addComment: (id: string, body: string) =>
    api<{ comment: Comment }>(`/api/posts/${encodeURIComponent(id)}/comments`, { method: 'POST', body: { body } }).then((r) =>
      withAuthor(r.comment),
    ),
  removeComment: (id: string, commentId: string) =>
    api<void>(`/api/posts/${encodeURIComponent(id)}/comments/${encodeURIComponent(commentId)}`, { method: 'DELETE' }),
};
