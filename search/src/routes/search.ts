/** `/api/v1/search`: every handler reads and checks its input, calls SearchService, answers. */
import { readPageRequest, timeIdCursor } from '@lumina/common';
import { Router } from 'express';
import { readQueryText } from '../query';
import { hashtagCursor, rankedCursor, readHashtag, type SearchService } from '../search';

export function searchRouter(search: SearchService): Router {
  const router = Router();

  router.get('/', async (req, res) => {
    res.json(await search.everything(readQueryText(req.query.q)));
  });

  router.get('/users', async (req, res) => {
    const text = readQueryText(req.query.q);
    res.json(await search.users(text, readPageRequest(req.query, rankedCursor)));
  });

  router.get('/posts', async (req, res) => {
    const text = readQueryText(req.query.q);
    res.json(await search.posts(text, readPageRequest(req.query, rankedCursor)));
  });

  router.get('/hashtags', async (req, res) => {
    const text = readQueryText(req.query.q);
    res.json(await search.hashtags(text, readPageRequest(req.query, hashtagCursor)));
  });

  router.get('/suggest', async (req, res) => {
    res.json(await search.suggest(readQueryText(req.query.q)));
  });

  router.get('/hashtags/:tag/posts', async (req, res) => {
    const tag = readHashtag(req.params.tag);
    res.json(await search.hashtagPosts(tag, readPageRequest(req.query, timeIdCursor)));
  });

  return router;
}
