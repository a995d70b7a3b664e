/** Small listeners used by the common tests: they record what they handled. */
import { Events, Listener, PermanentError, type EventData, type EventBus, type HandleResult, type ListenerOptions } from '../src';

type UserCreated = typeof Events.userCreated;

export class RecordingListener extends Listener<UserCreated> {
  readonly event = Events.userCreated;
  readonly handled: Array<{ id: string; attempt: number; at: number }> = [];

  constructor(
    bus: EventBus,
    options: ListenerOptions,
    private readonly behaviour: (data: EventData<UserCreated>, attempt: number) => Promise<HandleResult> = async () => undefined,
  ) {
    super(bus, options);
  }

  protected async handle(data: EventData<UserCreated>, _envelope: unknown, ctx: { deliveryCount: number }): Promise<HandleResult> {
    const result = await this.behaviour(data, ctx.deliveryCount);
    this.handled.push({ id: data.id, attempt: ctx.deliveryCount, at: Date.now() });
    return result;
  }
}

export function user(id: string, version = 1): EventData<UserCreated> {
  return { id, username: `user_${id}`.slice(0, 30), displayName: 'A user', bio: '', avatar: null, version };
}

export { PermanentError };
