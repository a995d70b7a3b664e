/**
 * What media publishes, and how: every event is built here and written into the media
 * document's outbox by the same single-document update that makes the change; the relay
 * publishes it afterwards. Each carries the media's next version. The processing job goes the
 * same way, to the MEDIA_JOBS work queue.
 */
import { Events, outboxEvent, type EnvelopeOf, type EventData } from '@lumina/common';
import type { MediaRecord } from '../store/media-store';

type Media = Pick<MediaRecord, '_id' | 'ownerId' | 'version'>;

/** The job that has a worker process a new upload. */
export function processingRequested(mediaId: string): EnvelopeOf<typeof Events.mediaProcessRequested> {
  return outboxEvent(Events.mediaProcessRequested, { mediaId });
}

/** media.ready, with the image's size, blurhash and public variants (their URLs and sizes). */
export function mediaReady(
  media: Media,
  image: Pick<EventData<typeof Events.mediaReady>, 'width' | 'height' | 'blurhash' | 'variants'>,
): EnvelopeOf<typeof Events.mediaReady> {
  return outboxEvent(Events.mediaReady, { id: media._id, ownerId: media.ownerId, ...image, version: media.version + 1 });
}

export function mediaFailed(media: Media, reason: string): EnvelopeOf<typeof Events.mediaFailed> {
  return outboxEvent(Events.mediaFailed, { id: media._id, ownerId: media.ownerId, reason, version: media.version + 1 });
}

export function mediaDeleted(media: Media): EnvelopeOf<typeof Events.mediaDeleted> {
  return outboxEvent(Events.mediaDeleted, { id: media._id, ownerId: media.ownerId, version: media.version + 1 });
}
