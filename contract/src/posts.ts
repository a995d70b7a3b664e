/** posts, `/api/v1/posts`: posts, likes and comments. */
import { z } from 'zod';
import { idSchema, noNul, PageQuery } from './common-inputs';
import { ALT_TEXT_MAX, CAPTION_MAX, COMMENT_MAX, MAX_MEDIA_PER_POST } from './limits';
import { defineRoutes, json, noContent, type ServiceContract } from './route';
import { servicePrefix } from './version';
import { Comment, LikeState, pageOf, Post, PostPage } from './shapes';

const thousands = (n: number) => n.toLocaleString('en-US');

/** Lengths count UTF-16 code units, as the event schemas do. */
export const captionSchema = z
  .string({ error: 'must be a string' })
  .max(CAPTION_MAX, `at most ${thousands(CAPTION_MAX)} characters`)
  .refine(noNul, 'must not contain NUL characters');

export const altSchema = z
  .string({ error: 'must be a string' })
  .max(ALT_TEXT_MAX, `at most ${thousands(ALT_TEXT_MAX)} characters`)
  .refine(noNul, 'must not contain NUL characters');

export const commentBodySchema = z
  .string({ error: 'must be a string' })
  .trim()
  .min(1, 'must not be empty')
  .max(COMMENT_MAX, `at most ${thousands(COMMENT_MAX)} characters`)
  .refine(noNul, 'must not contain NUL characters');

export const CreatePostBody = z
  .strictObject({
    caption: captionSchema.default(''),
    media: z
      .array(z.strictObject({ id: idSchema, alt: altSchema.default('') }), { error: 'must be a list of media items' })
      .min(1, 'a post needs at least one media item')
      .max(MAX_MEDIA_PER_POST, `a post holds at most ${MAX_MEDIA_PER_POST} media items`),
  })
  .superRefine((body, ctx) => {
    const seen = new Set<string>();
    body.media.forEach((item, i) => {
      if (seen.has(item.id)) ctx.addIssue({ code: 'custom', message: 'the same media item twice', path: ['media', i, 'id'] });
      seen.add(item.id);
    });
  })
  .meta({
    id: 'CreatePostBody',
    description: 'Each media item is a ready upload of yours; hashtags and @mentions are taken from the caption',
  });

export const EditPostBody = z.strictObject({ caption: captionSchema }).meta({ id: 'EditPostBody' });
export const CreateCommentBody = z.strictObject({ body: commentBodySchema }).meta({ id: 'CreateCommentBody' });

export const PostParams = z.object({ id: idSchema });
export const CommentParams = z.object({ id: idSchema, commentId: idSchema });
export const PostsByAuthorQuery = PageQuery.extend({ authorId: idSchema });

const postAnswer = z.strictObject({ post: Post });
const limited = [400, 401, 404, 429];

/** Every path of this table is under it: `/api/v1/posts`. */
export const POSTS_PREFIX = servicePrefix('posts');

export const postsRoutes = defineRoutes({
  createPost: {
    method: 'post',
    path: POSTS_PREFIX,
    summary: 'Publish a post',
    auth: 'required',
    request: { body: CreatePostBody },
    responses: { 201: json('The new post', postAnswer) },
    errors: [400, 401, 429],
  },
  postsByAuthor: {
    method: 'get',
    path: POSTS_PREFIX,
    summary: "An author's posts, newest first",
    auth: 'optional',
    request: { query: PostsByAuthorQuery },
    responses: { 200: json('A page of posts', PostPage) },
    errors: [400],
  },
  getPost: {
    method: 'get',
    path: `${POSTS_PREFIX}/:id`,
    summary: 'One post',
    auth: 'optional',
    request: { params: PostParams },
    responses: { 200: json('The post', postAnswer) },
    errors: [400, 404],
  },
  editPost: {
    method: 'patch',
    path: `${POSTS_PREFIX}/:id`,
    summary: "Change a post's caption (author only)",
    auth: 'required',
    request: { params: PostParams, body: EditPostBody },
    responses: { 200: json('The changed post', postAnswer) },
    errors: [...limited, 403],
  },
  deletePost: {
    method: 'delete',
    path: `${POSTS_PREFIX}/:id`,
    summary: 'Delete a post (author only)',
    auth: 'required',
    request: { params: PostParams },
    responses: { 204: noContent('Deleted') },
    errors: [...limited, 403],
  },
  like: {
    method: 'put',
    path: `${POSTS_PREFIX}/:id/like`,
    summary: 'Like a post (idempotent)',
    auth: 'required',
    request: { params: PostParams },
    responses: { 200: json('Whether you like it, and the count', LikeState) },
    errors: limited,
  },
  unlike: {
    method: 'delete',
    path: `${POSTS_PREFIX}/:id/like`,
    summary: 'Unlike a post (idempotent)',
    auth: 'required',
    request: { params: PostParams },
    responses: { 200: json('Whether you like it, and the count', LikeState) },
    errors: limited,
  },
  listComments: {
    method: 'get',
    path: `${POSTS_PREFIX}/:id/comments`,
    summary: "A post's comments, oldest first",
    request: { params: PostParams, query: PageQuery },
    responses: { 200: json('A page of comments', pageOf(Comment).meta({ id: 'CommentPage' })) },
    errors: [400, 404],
  },
  addComment: {
    method: 'post',
    path: `${POSTS_PREFIX}/:id/comments`,
    summary: 'Comment on a post',
    auth: 'required',
    request: { params: PostParams, body: CreateCommentBody },
    responses: { 201: json('The new comment', z.strictObject({ comment: Comment })) },
    errors: limited,
  },
  deleteComment: {
    method: 'delete',
    path: `${POSTS_PREFIX}/:id/comments/:commentId`,
    summary: "Delete a comment (the comment's or the post's author)",
    auth: 'required',
    request: { params: CommentParams },
    responses: { 204: noContent('Deleted') },
    errors: [...limited, 403],
  },
});

export const postsContract: ServiceContract = {
  service: 'posts',
  title: 'Lumina posts',
  description: 'Posts, likes and comments.',
  prefix: POSTS_PREFIX,
  routes: postsRoutes,
};
