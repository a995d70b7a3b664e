import { Events, Listener, type EventBus, type EventData, type HandleResult } from '@lumina/common';
import type { MediaUsage } from '../usage';

/** A post shows these media: they are in use and may not be deleted. */
export class PostCreatedListener extends Listener<typeof Events.postCreated> {
  readonly event = Events.postCreated;

  constructor(
    bus: EventBus,
    private readonly usage: MediaUsage,
  ) {
    super(bus, { service: 'media' });
  }

  protected async handle(data: EventData<typeof Events.postCreated>): Promise<HandleResult> {
    await this.usage.postCreated(
      data.id,
      data.media.map((m) => m.id),
      data.version,
    );
  }
}
