/** /api/v1/posts: create, read, edit, delete, list by author. */
import { Router, type RequestHandler } from 'express';
import { parseWith, readPageRequest, requireAuth, signedInUser, timeIdCursor } from '@lumina/common';
import { CreatePostBody, EditPostBody, PostsByAuthorQuery } from '@lumina/contract';
import type { PostsService } from '../posts';
import { idParam } from './params';

const authorQuery = PostsByAuthorQuery.pick({ authorId: true });

/** `limited`: the per-user limit on post writes, after requireAuth. */
export function postsRouter(posts: PostsService, limited: RequestHandler): Router {
  const router = Router();

  router.post('/', requireAuth, limited, async (req, res) => {
    const input = parseWith(CreatePostBody, req.body ?? {});
    res.status(201).json({ post: await posts.create(signedInUser(req), input) });
  });

  router.get('/', async (req, res) => {
    const { authorId } = parseWith(authorQuery, { authorId: req.query.authorId });
    const page = readPageRequest(req.query, timeIdCursor);
    res.json(await posts.listByAuthor(authorId, page, req.currentUser?.id));
  });

  router.get('/:id', async (req, res) => {
    res.json({ post: await posts.get(idParam(req.params, 'id'), req.currentUser?.id) });
  });

  router.patch('/:id', requireAuth, limited, async (req, res) => {
    const id = idParam(req.params, 'id');
    const { caption } = parseWith(EditPostBody, req.body ?? {});
    res.json({ post: await posts.editCaption(id, signedInUser(req).id, caption) });
  });

  router.delete('/:id', requireAuth, limited, async (req, res) => {
    await posts.remove(idParam(req.params, 'id'), { userId: signedInUser(req).id });
    res.status(204).end();
  });

  return router;
}
