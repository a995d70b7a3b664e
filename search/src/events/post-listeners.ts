/** post.created / .updated / .deleted → posts, post_hashtags and hashtag counts. */
import { Events, Listener, type EnvelopeOf, type EventBus, type EventData, type ListenerOptions } from '@lumina/common';
import type { IndexWriter } from '../store/index-writer';
import { applyToIndex } from './apply';

type Options = Omit<ListenerOptions, 'service'>;

export class PostCreatedListener extends Listener<typeof Events.postCreated> {
  readonly event = Events.postCreated;
  constructor(
    bus: EventBus,
    private readonly index: IndexWriter,
    options: Options = {},
  ) {
    super(bus, { ...options, service: 'search' });
  }
  protected async handle(_data: EventData<typeof Events.postCreated>, envelope: EnvelopeOf<typeof Events.postCreated>): Promise<void> {
    await applyToIndex(this.index, envelope);
  }
}

export class PostUpdatedListener extends Listener<typeof Events.postUpdated> {
  readonly event = Events.postUpdated;
  constructor(
    bus: EventBus,
    private readonly index: IndexWriter,
    options: Options = {},
  ) {
    super(bus, { ...options, service: 'search' });
  }
  protected async handle(_data: EventData<typeof Events.postUpdated>, envelope: EnvelopeOf<typeof Events.postUpdated>): Promise<void> {
    await applyToIndex(this.index, envelope);
  }
}

export class PostDeletedListener extends Listener<typeof Events.postDeleted> {
  readonly event = Events.postDeleted;
  constructor(
    bus: EventBus,
    private readonly index: IndexWriter,
    options: Options = {},
  ) {
    super(bus, { ...options, service: 'search' });
  }
  protected async handle(_data: EventData<typeof Events.postDeleted>, envelope: EnvelopeOf<typeof Events.postDeleted>): Promise<void> {
    await applyToIndex(this.index, envelope);
  }
}
