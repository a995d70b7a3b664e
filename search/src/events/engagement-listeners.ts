/** Likes and comments → the counts that weigh in post ranking, kept by engagement version. */
import { Events, Listener, type EnvelopeOf, type EventBus, type EventData, type ListenerOptions } from '@lumina/common';
import type { IndexWriter } from '../store/index-writer';
import { applyToIndex } from './apply';

type Options = Omit<ListenerOptions, 'service'>;

export class PostLikedListener extends Listener<typeof Events.postLiked> {
  readonly event = Events.postLiked;
  constructor(
    bus: EventBus,
    private readonly index: IndexWriter,
    options: Options = {},
  ) {
    super(bus, { ...options, service: 'search' });
  }
  protected async handle(_data: EventData<typeof Events.postLiked>, envelope: EnvelopeOf<typeof Events.postLiked>): Promise<void> {
    await applyToIndex(this.index, envelope);
  }
}

export class PostUnlikedListener extends Listener<typeof Events.postUnliked> {
  readonly event = Events.postUnliked;
  constructor(
    bus: EventBus,
    private readonly index: IndexWriter,
    options: Options = {},
  ) {
    super(bus, { ...options, service: 'search' });
  }
  protected async handle(_data: EventData<typeof Events.postUnliked>, envelope: EnvelopeOf<typeof Events.postUnliked>): Promise<void> {
    await applyToIndex(this.index, envelope);
  }
}

export class CommentCreatedListener extends Listener<typeof Events.commentCreated> {
  readonly event = Events.commentCreated;
  constructor(
    bus: EventBus,
    private readonly index: IndexWriter,
    options: Options = {},
  ) {
    super(bus, { ...options, service: 'search' });
  }
  protected async handle(
    _data: EventData<typeof Events.commentCreated>,
    envelope: EnvelopeOf<typeof Events.commentCreated>,
  ): Promise<void> {
    await applyToIndex(this.index, envelope);
  }
}

export class CommentDeletedListener extends Listener<typeof Events.commentDeleted> {
  readonly event = Events.commentDeleted;
  constructor(
    bus: EventBus,
    private readonly index: IndexWriter,
    options: Options = {},
  ) {
    super(bus, { ...options, service: 'search' });
  }
  protected async handle(
    _data: EventData<typeof Events.commentDeleted>,
    envelope: EnvelopeOf<typeof Events.commentDeleted>,
  ): Promise<void> {
    await applyToIndex(this.index, envelope);
  }
}
