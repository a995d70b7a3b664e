/** Every event auth consumes, one listener each; what it publishes is built in publishing.ts. */
import { Events, listeners, type EventBus, type ListenerOptions } from '@lumina/common';
import type { Profiles } from '../profiles';
import type { ReadyMediaStore } from '../store/ready-media-store';

export interface ListenerDeps {
  readyMedia: ReadyMediaStore;
  profiles: Profiles;
}

export function createListeners(bus: EventBus, { readyMedia, profiles }: ListenerDeps, options: Omit<ListenerOptions, 'service'> = {}) {
  const on = listeners(bus, { ...options, service: 'auth' });
  return [
    // media.ready → the copy of ready media that PATCH /me checks avatars against, applied by
    // version: a redelivered or older event leaves the newer copy alone.
    on(Events.mediaReady, async (data) => {
      await readyMedia.save({
        mediaId: data.id,
        ownerId: data.ownerId,
        thumbUrl: data.variants.thumb.url,
        blurhash: data.blurhash,
        version: data.version,
      });
    }),
    // media.deleted → a tombstone in the media copy, and no profile keeps showing the image.
    on(Events.mediaDeleted, async (data) => {
      // Tombstone first: from then on PATCH /me refuses the image, so the sweep below is final.
      await readyMedia.tombstone(data.id, data.version);
      await profiles.dropDeletedAvatar(data.id);
    }),
  ] as const;
}
