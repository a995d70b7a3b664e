/** /api/v1/posts/:id/comments: list (oldest first), create, delete. */
import { Router, type RequestHandler } from 'express';
import { parseWith, readPageRequest, requireAuth, signedInUser, timeIdCursor } from '@lumina/common';
import { CreateCommentBody } from '@lumina/contract';
import type { EngagementService } from '../engagement';
import { idParam } from './params';

/** `limited`: the per-user limit on comment writes, after requireAuth. */
export function commentsRouter(engagement: EngagementService, limited: RequestHandler): Router {
  const router = Router();

  router.get('/:id/comments', async (req, res) => {
    const postId = idParam(req.params, 'id');
    res.json(await engagement.listComments(postId, readPageRequest(req.query, timeIdCursor)));
  });

  router.post('/:id/comments', requireAuth, limited, async (req, res) => {
    const postId = idParam(req.params, 'id');
    const { body } = parseWith(CreateCommentBody, req.body ?? {});
    res.status(201).json({ comment: await engagement.addComment(postId, signedInUser(req), body) });
  });

  router.delete('/:id/comments/:commentId', requireAuth, limited, async (req, res) => {
    const postId = idParam(req.params, 'id');
    const commentId = idParam(req.params, 'commentId');
    await engagement.deleteComment(postId, commentId, signedInUser(req).id);
    res.status(204).end();
  });

  return router;
}
