/** media.deleted → a tombstone in the media copy, and no profile keeps showing the image. */
import { Events, Listener, type EventBus, type EventData, type HandleResult, type ListenerOptions } from '@lumina/common';
import type { Profiles } from '../profiles';
import type { ReadyMediaStore } from '../store/ready-media-store';

type MediaDeleted = typeof Events.mediaDeleted;

export class MediaDeletedListener extends Listener<MediaDeleted> {
  readonly event = Events.mediaDeleted;

  constructor(
    bus: EventBus,
    private readonly readyMedia: ReadyMediaStore,
    private readonly profiles: Profiles,
    options: Partial<ListenerOptions> = {},
  ) {
    super(bus, { service: 'auth', ...options });
  }

  protected async handle(data: EventData<MediaDeleted>): Promise<HandleResult> {
    // Tombstone first: from then on PATCH /me refuses the image, so the sweep below is final.
    await this.readyMedia.tombstone(data.id, data.version);
    await this.profiles.dropDeletedAvatar(data.id);
  }
}
