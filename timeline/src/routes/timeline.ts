/** GET /api/v1/timeline (home), /explore and /stream (Server-Sent Events). */
import {
  BadRequestError,
  readPageRequest,
  requireAuth,
  sendJsonText,
  ServiceUnavailableError,
  signedInUser,
  TooManyRequestsError,
} from '@lumina/common';
import { Router } from 'express';
import type { Explore } from '../domain/explore';
import type { HomeTimeline } from '../domain/home-timeline';
import { SEQ_PATTERN } from '../ids';
import type { StreamHub } from '../live/stream-hub';
import { scorePosition, timePosition } from '../positions';

/** The client's EventSource retries after its `retry:` (3 s); a 429 asks for a little longer. */
const STREAM_RETRY_AFTER_SECONDS = 10;

export interface TimelineRouteDeps {
  home: HomeTimeline;
  explore: Explore;
  streams: StreamHub;
}

export function timelineRouter({ home, explore, streams }: TimelineRouteDeps): Router {
  const router = Router();

  router.get('/', requireAuth, async (req, res) => {
    const viewer = signedInUser(req);
    const request = readPageRequest(req.query, timePosition);
    sendJsonText(res, await home.pageJson(viewer.id, request));
  });

  router.get('/explore', async (req, res) => {
    const request = readPageRequest(req.query, scorePosition);
    res.json(await explore.page(req.currentUser?.id, request));
  });

  router.get('/stream', requireAuth, async (req, res) => {
    const viewer = signedInUser(req);
    const lastEventId = req.get('last-event-id');
    if (lastEventId !== undefined && !SEQ_PATTERN.test(lastEventId)) throw new BadRequestError('Invalid Last-Event-ID', 'Last-Event-ID');
    const refuseIfFull = () => {
      if (streams.full) throw new ServiceUnavailableError('Too many open streams, try again later');
      // One token must not take every slot of the replica; a closed tab frees its slot at once.
      if (streams.fullFor(viewer.id)) throw new TooManyRequestsError(STREAM_RETRY_AFTER_SECONDS, 'Too many open streams for this account');
    };
    refuseIfFull();
    await streams.prepare(viewer.id);
    // The client may have gone meanwhile: a stream opened now would never see its 'close'.
    if (res.closed) return;
    refuseIfFull(); // again: other streams may have opened while the log was prepared
    streams.open(viewer.id, res, lastEventId);
  });

  return router;
}
