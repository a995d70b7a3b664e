/** The API's listeners: which media are in use (by a post or as an avatar), so none is swept or deleted while it is. */
import { Events, listeners, type EventBus, type ListenerOptions } from '@lumina/common';
import type { MediaUsage } from '../usage';

export function usageListeners(bus: EventBus, usage: MediaUsage, options: Omit<ListenerOptions, 'service'> = {}) {
  const on = listeners(bus, { ...options, service: 'media' });
  return [
    // A post shows these media: they are in use and may not be deleted.
    on(Events.postCreated, (data) =>
      usage.postCreated(
        data.id,
        data.media.map((m) => m.id),
        data.version,
      ),
    ),
    // The post is gone: its media are released (deletable, and swept once old enough).
    on(Events.postDeleted, (data) => usage.postDeleted(data.id, data.version)),
    // A user's avatar is a media in use: never swept nor deleted while it is the avatar; a
    // deleted user has none any more.
    on(Events.userCreated, (data) => usage.avatarChanged(data.id, data.avatar?.mediaId ?? null, data.version)),
    on(Events.userUpdated, (data) => usage.avatarChanged(data.id, data.avatar?.mediaId ?? null, data.version)),
    on(Events.userDeleted, (data) => usage.avatarChanged(data.id, null, data.version)),
  ];
}
