/** posts — its route table: posts, likes and comments. */
import { postsRoutes, type RouteInput } from '@lumina/contract/client';
import { afterOwnWrites, ownWrite } from '../lib/own-writes';
import { api } from './http';

/** What the viewer's likes and comments change: a read of the post waits for those in flight (own-writes.ts). */
const postKey = (id: string) => `post:${id}`;

type NewPostMedia = NonNullable<RouteInput<typeof postsRoutes.createPost>['body']>['media'];

export const postsApi = {
  create: (caption: string, media: NewPostMedia) => api(postsRoutes.createPost, { body: { caption, media } }).then((r) => r.post),
  get: (id: string, signal?: AbortSignal) =>
    afterOwnWrites(postKey(id))
      .then(() => api(postsRoutes.getPost, { params: { id } }, { signal }))
      .then((r) => r.post),
  remove: (id: string) => api(postsRoutes.deletePost, { params: { id } }),
  byAuthor: (authorId: string, cursor?: string | null, signal?: AbortSignal) =>
    api(postsRoutes.postsByAuthor, { query: { authorId, cursor: cursor ?? undefined } }, { signal }),
  like: (id: string) => ownWrite(postKey(id), () => api(postsRoutes.like, { params: { id } })),
  unlike: (id: string) => ownWrite(postKey(id), () => api(postsRoutes.unlike, { params: { id } })),
  comments: (id: string, cursor?: string | null, signal?: AbortSignal) =>
    api(postsRoutes.listComments, { params: { id }, query: { cursor: cursor ?? undefined } }, { signal }),
  addComment: (id: string, body: string) =>
    ownWrite(postKey(id), () => api(postsRoutes.addComment, { params: { id }, body: { body } })).then((r) => r.comment),
  removeComment: (id: string, commentId: string) => api(postsRoutes.deleteComment, { params: { id, commentId } }),
};
