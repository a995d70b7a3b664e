/** /api/posts: create, read, edit, delete, list by author. */
import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { parseWith, readPageRequest, requireAuth, signedInUser, timeIdCursor } from '@lumina/common';
import { MAX_MEDIA_PER_POST, type PostsService } from '../posts';
import { altSchema, captionSchema, idParam, idSchema } from './inputs';

const createBody = z
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
  });

const editBody = z.strictObject({ caption: captionSchema });

/** `limited`: the per-user limit on post writes, after requireAuth. */
export function postsRouter(posts: PostsService, limited: RequestHandler): Router {
  const router = Router();

  router.post('/', requireAuth, limited, async (req, res) => {
    const input = parseWith(createBody, req.body ?? {});
    res.status(201).json({ post: await posts.create(signedInUser(req), input) });
  });

  router.get('/', async (req, res) => {
    const { authorId } = parseWith(z.object({ authorId: idSchema }), { authorId: req.query.authorId });
    const page = readPageRequest(req.query, timeIdCursor);
    res.json(await posts.listByAuthor(authorId, page, req.currentUser?.id));
  });

  router.get('/:id', async (req, res) => {
    res.json({ post: await posts.get(idParam(req.params, 'id'), req.currentUser?.id) });
  });

  router.patch('/:id', requireAuth, limited, async (req, res) => {
    const id = idParam(req.params, 'id');
    const { caption } = parseWith(editBody, req.body ?? {});
    res.json({ post: await posts.editCaption(id, signedInUser(req).id, caption) });
  });

  router.delete('/:id', requireAuth, limited, async (req, res) => {
    await posts.remove(idParam(req.params, 'id'), { userId: signedInUser(req).id });
    res.status(204).end();
  });

  return router;
}
