/** posts — its route table: posts, likes and comments. */
import { postsRoutes, type RouteInput } from '@lumina/contract/client';
import { api } from './http';

type NewPostMedia = NonNullable<RouteInput<typeof postsRoutes.createPost>['body']>['media'];

export const postsApi = {
  create: (caption: string, media: NewPostMedia) => api(postsRoutes.createPost, { body: { caption, media } }).then((r) => r.post),
  get: (id: string, signal?: AbortSignal) => api(postsRoutes.getPost, { params: { id } }, { signal }).then((r) => r.post),
  remove: (id: string) => api(postsRoutes.deletePost, { params: { id } }),
  byAuthor: (authorId: string, cursor?: string | null, signal?: AbortSignal) =>
    api(postsRoutes.postsByAuthor, { query: { authorId, cursor: cursor ?? undefined } }, { signal }),
  like: (id: string) => api(postsRoutes.like, { params: { id } }),
  unlike: (id: string) => api(postsRoutes.unlike, { params: { id } }),
  comments: (id: string, cursor?: string | null, signal?: AbortSignal) =>
    api(postsRoutes.listComments, { params: { id }, query: { cursor: cursor ?? undefined } }, { signal }),
  addComment: (id: string, body: string) => api(postsRoutes.addComment, { params: { id }, body: { body } }).then((r) => r.comment),
  removeComment: (id: string, commentId: string) => api(postsRoutes.deleteComment, { params: { id, commentId } }),
};
