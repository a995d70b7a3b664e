import { Events, Listener, type EventBus, type EventData, type HandleResult } from '@lumina/common';
import type { MediaUsage } from '../usage';

/** The post is gone: its media are released (deletable, and swept once old enough). */
export class PostDeletedListener extends Listener<typeof Events.postDeleted> {
  readonly event = Events.postDeleted;

  constructor(
    bus: EventBus,
    private readonly usage: MediaUsage,
  ) {
    super(bus, { service: 'media' });
  }

  protected async handle(data: EventData<typeof Events.postDeleted>): Promise<HandleResult> {
    await this.usage.postDeleted(data.id, data.version);
  }
}
