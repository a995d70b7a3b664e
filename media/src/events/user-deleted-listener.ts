import { Events, Listener, type EventBus, type EventData, type HandleResult } from '@lumina/common';
import type { MediaUsage } from '../usage';

/** A deleted user has no avatar any more: the media is released. */
export class UserDeletedListener extends Listener<typeof Events.userDeleted> {
  readonly event = Events.userDeleted;

  constructor(
    bus: EventBus,
    private readonly usage: MediaUsage,
  ) {
    super(bus, { service: 'media' });
  }

  protected async handle(data: EventData<typeof Events.userDeleted>): Promise<HandleResult> {
    await this.usage.avatarChanged(data.id, null, data.version);
  }
}
