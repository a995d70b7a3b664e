/** media.ready → the copy of ready media that PATCH /me checks avatars against. */
import { Events, Listener, type EventBus, type EventData, type HandleResult, type ListenerOptions } from '@lumina/common';
import type { ReadyMediaStore } from '../store/ready-media-store';

type MediaReady = typeof Events.mediaReady;

export class MediaReadyListener extends Listener<MediaReady> {
  readonly event = Events.mediaReady;

  constructor(
    bus: EventBus,
    private readonly readyMedia: ReadyMediaStore,
    options: Partial<ListenerOptions> = {},
  ) {
    super(bus, { service: 'auth', ...options });
  }

  protected async handle(data: EventData<MediaReady>): Promise<HandleResult> {
    // Applied by version: a redelivered or older event leaves the newer copy alone.
    await this.readyMedia.save({
      mediaId: data.id,
      ownerId: data.ownerId,
      thumbUrl: data.variants.thumb.url,
      blurhash: data.blurhash,
      version: data.version,
    });
  }
}
