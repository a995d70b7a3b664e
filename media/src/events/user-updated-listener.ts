import { Events, Listener, type EventBus, type EventData, type HandleResult } from '@lumina/common';
import type { MediaUsage } from '../usage';

/** A user's avatar is a media in use: it is never swept nor deleted while it is the avatar. */
export class UserUpdatedListener extends Listener<typeof Events.userUpdated> {
  readonly event = Events.userUpdated;

  constructor(
    bus: EventBus,
    private readonly usage: MediaUsage,
  ) {
    super(bus, { service: 'media' });
  }

  protected async handle(data: EventData<typeof Events.userUpdated>): Promise<HandleResult> {
    await this.usage.avatarChanged(data.id, data.avatar?.mediaId ?? null, data.version);
  }
}
