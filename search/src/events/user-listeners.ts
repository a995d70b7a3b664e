/** user.* → the users table (and the author fields copied into that user's posts). */
import { Events, Listener, type EnvelopeOf, type EventBus, type EventData, type ListenerOptions } from '@lumina/common';
import type { IndexWriter } from '../store/index-writer';
import { applyToIndex } from './apply';

type Options = Omit<ListenerOptions, 'service'>;

export class UserCreatedListener extends Listener<typeof Events.userCreated> {
  readonly event = Events.userCreated;
  constructor(
    bus: EventBus,
    private readonly index: IndexWriter,
    options: Options = {},
  ) {
    super(bus, { ...options, service: 'search' });
  }
  protected async handle(_data: EventData<typeof Events.userCreated>, envelope: EnvelopeOf<typeof Events.userCreated>): Promise<void> {
    await applyToIndex(this.index, envelope);
  }
}

export class UserUpdatedListener extends Listener<typeof Events.userUpdated> {
  readonly event = Events.userUpdated;
  constructor(
    bus: EventBus,
    private readonly index: IndexWriter,
    options: Options = {},
  ) {
    super(bus, { ...options, service: 'search' });
  }
  protected async handle(_data: EventData<typeof Events.userUpdated>, envelope: EnvelopeOf<typeof Events.userUpdated>): Promise<void> {
    await applyToIndex(this.index, envelope);
  }
}

export class UserDeletedListener extends Listener<typeof Events.userDeleted> {
  readonly event = Events.userDeleted;
  constructor(
    bus: EventBus,
    private readonly index: IndexWriter,
    options: Options = {},
  ) {
    super(bus, { ...options, service: 'search' });
  }
  protected async handle(_data: EventData<typeof Events.userDeleted>, envelope: EnvelopeOf<typeof Events.userDeleted>): Promise<void> {
    await applyToIndex(this.index, envelope);
  }
}
