/**
 * One real posts service per test file: its own MongoDB database (FerretDB here) and event
 * namespace on the real NATS, started with startPostsService exactly as index.ts does. Users
 * and media reach its copies the way they do in production: as events, published here with
 * common's Publisher.
 */
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { Events, Publisher, deleteKeysUnder, streamNameFor, type EventBus, type EventData, type RedisClient } from '@lumina/common';
import { TestContext, eventually, testLogger, tokenFor, type DrainedOptions } from '@lumina/common/testing';
import { loadConfig } from '../src/config';
import { startPostsService, type PostsServiceHandle, type StartOptions } from '../src/server';

export interface TestUser {
  id: string;
  username: string;
  displayName: string;
  token: string;
  version: number;
}

export type Agent = ReturnType<typeof request>;

/**
 * A process killed between an engagement write's post update and its like/comment write: once
 * armed, the next such write throws there (the hook runs where the process would have died).
 */
export class EngagementCrash {
  private armed = false;

  /** The hooks to start the service with. */
  readonly hooks: NonNullable<StartOptions['hooks']> = {
    afterPostUpdate: () => {
      if (!this.armed) return;
      this.armed = false;
      throw new Error('process killed after the post update');
    },
  };

  /** The next engagement write dies after its post update. */
  arm(): void {
    this.armed = true;
  }
}

export class Harness {
  readonly ctx = new TestContext();
  svc!: PostsServiceHandle;
  /** This file's Redis key prefix (the service's REDIS_KEY_PREFIX). */
  redisPrefix!: string;
  bus!: EventBus;
  private userCreated!: Publisher<typeof Events.userCreated>;
  private userUpdated!: Publisher<typeof Events.userUpdated>;
  private userDeleted!: Publisher<typeof Events.userDeleted>;
  private mediaReady!: Publisher<typeof Events.mediaReady>;
  private mediaFailed!: Publisher<typeof Events.mediaFailed>;
  private mediaDeleted!: Publisher<typeof Events.mediaDeleted>;

  async start(env: Record<string, string> = {}, options: StartOptions = {}): Promise<this> {
    this.bus = await this.ctx.eventBus('posts-test');
    this.redisPrefix = this.ctx.redisPrefix('posts');
    const config = loadConfig(
      this.ctx.serviceEnv('posts', {
        MONGO_URL: this.ctx.mongoDatabase('posts'),
        REDIS_URL: this.ctx.redisUrl,
        REDIS_KEY_PREFIX: this.redisPrefix,
        OUTBOX_POLL_INTERVAL_MS: '100',
        PENDING_SWEEP_INTERVAL_MS: '60000',
        // Files that are not about the per-user limits write faster than a person would (the
        // limits have their own file, write-limits.test.ts, which sets them low).
        POST_WRITES_MAX_PER_MINUTE: '100000',
        LIKES_MAX_PER_MINUTE: '100000',
        COMMENTS_MAX_PER_MINUTE: '100000',
        ...env,
      }),
    );
    this.svc = await startPostsService(config, {
      log: testLogger,
      port: 0,
      listenerOptions: { backoffMs: [100, 200], ackWaitMs: 5000 },
      ...options,
    });
    this.userCreated = new Publisher(this.bus, Events.userCreated);
    this.userUpdated = new Publisher(this.bus, Events.userUpdated);
    this.userDeleted = new Publisher(this.bus, Events.userDeleted);
    this.mediaReady = new Publisher(this.bus, Events.mediaReady);
    this.mediaFailed = new Publisher(this.bus, Events.mediaFailed);
    this.mediaDeleted = new Publisher(this.bus, Events.mediaDeleted);
    return this;
  }

  async stop(): Promise<void> {
    await this.svc?.running.shutdown('test done');
    await this.ctx.cleanup();
  }

  /**
   * Waits until the service has handled every event there is and its outbox has published
   * everything (and the collectors given have read it): before checking that nothing more happened.
   */
  drained(options: Omit<DrainedOptions, 'outboxes'> = {}): Promise<void> {
    return this.ctx.drained({ outboxes: [this.svc.relay], ...options });
  }

  /**
   * Empties the service's Redis (every key under its prefix), as a flush or a lost node would;
   * first the relay publishes what is pending, since it refreshes each post it publishes for (a
   * refresh landing after the flush would fill Redis again behind the test's back).
   */
  async flushCache(): Promise<void> {
    await this.drained();
    await deleteKeysUnder(this.svc.redis as unknown as RedisClient, '');
  }

  get http(): Agent {
    return request(this.svc.running.server);
  }

  // ---- feeding the copies ----------------------------------------------------------------

  /** A user as auth would announce it; waits until the posts service holds the copy. */
  async user(username = `u_${randomBytes(4).toString('hex')}`, displayName = 'Someone'): Promise<TestUser> {
    const id = `usr-${randomBytes(6).toString('hex')}`;
    await this.userCreated.publish({ id, username, displayName, bio: '', avatar: null, version: 1 });
    await eventually(async () => expect(await this.svc.models.UserCopy.exists({ _id: id })).not.toBeNull());
    return { id, username, displayName, token: tokenFor({ id, username }), version: 1 };
  }

  async users(count: number): Promise<TestUser[]> {
    const users: TestUser[] = [];
    for (let i = 0; i < count; i += 1) {
      const id = `usr-${randomBytes(6).toString('hex')}`;
      const username = `bulk_${randomBytes(4).toString('hex')}`;
      await this.userCreated.publish({ id, username, displayName: username, bio: '', avatar: null, version: 1 });
      users.push({ id, username, displayName: username, token: tokenFor({ id, username }), version: 1 });
    }
    await eventually(
      async () => expect(await this.svc.models.UserCopy.countDocuments({ _id: { $in: users.map((u) => u.id) } })).toBe(count),
      { timeoutMs: 20_000 },
    );
    return users;
  }

  publishUserUpdated(data: EventData<typeof Events.userUpdated>) {
    return this.userUpdated.publish(data);
  }

  publishUserCreated(data: EventData<typeof Events.userCreated>) {
    return this.userCreated.publish(data);
  }

  publishUserDeleted(data: EventData<typeof Events.userDeleted>) {
    return this.userDeleted.publish(data);
  }

  publishMediaReady(data: EventData<typeof Events.mediaReady>) {
    return this.mediaReady.publish(data);
  }

  publishMediaFailed(data: EventData<typeof Events.mediaFailed>) {
    return this.mediaFailed.publish(data);
  }

  publishMediaDeleted(data: EventData<typeof Events.mediaDeleted>) {
    return this.mediaDeleted.publish(data);
  }

  /** A ready image of the owner's, announced by media.ready; waits for the copy. */
  async readyMedia(ownerId: string, version = 1): Promise<string> {
    const id = `med-${randomBytes(6).toString('hex')}`;
    await this.mediaReady.publish(mediaReadyData(id, ownerId, version));
    await eventually(async () => expect(await this.svc.models.MediaCopy.exists({ _id: id, status: 'ready' })).not.toBeNull());
    return id;
  }

  /** Creates a post through the API; answers its body. */
  async post(author: TestUser, caption = 'a photo', mediaCount = 1): Promise<{ id: string; [k: string]: unknown }> {
    const media = [];
    for (let i = 0; i < mediaCount; i += 1) media.push({ id: await this.readyMedia(author.id), alt: `image ${i}` });
    const res = await this.http.post('/api/v1/posts').set(auth(author)).send({ caption, media });
    expect(res.status).toBe(201);
    return res.body.post;
  }

  /** How many documents the service's collections hold: to prove a refused request wrote nothing. */
  async counts(): Promise<Record<string, number>> {
    const { Post, Like, Comment } = this.svc.models;
    return { posts: await Post.countDocuments({}), likes: await Like.countDocuments({}), comments: await Comment.countDocuments({}) };
  }

  async streamMessages(): Promise<number> {
    return (await this.bus.jsm.streams.info(streamNameFor(this.bus.ns, 'POSTS'))).state.messages;
  }
}

export function mediaReadyData(
  id: string,
  ownerId: string,
  version = 1,
  size = { width: 1080, height: 1350 },
): EventData<typeof Events.mediaReady> {
  return {
    id,
    ownerId,
    width: size.width,
    height: size.height,
    blurhash: 'LEHV6nWB2yk8pyo0adR*.7kCMdnj',
    variants: {
      thumb: { url: `/api/v1/media/${id}/thumb`, width: 320, height: 320 },
      feed: { url: `/api/v1/media/${id}/feed`, width: size.width, height: size.height },
    },
    version,
  };
}

export function auth(user: { token: string }): Record<string, string> {
  return { Authorization: `Bearer ${user.token}` };
}
