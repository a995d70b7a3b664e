/**
 * End-to-end support: the one-machine system started for a test file, and a person calling its
 * API through the entry point only (NGINX, as `npm start` runs it) with the contract's typed
 * client, keeping cookies as a browser would.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { uniqueTag } from '@lumina/common/testing';
import {
  authRoutes,
  mediaRoutes,
  pathFor,
  searchRoutes,
  timelineRoutes,
  type ApiRoute,
  type CallArgs,
  type NotificationType,
  type Post,
} from '@lumina/contract';
import { ApiClient, type TimedResult } from '@lumina/datasets';
import { deleteStreamsUnder, dropSystemDatabases, type LocalSystem, startLocalSystem } from '@lumina/local';

export interface E2eSystem {
  system: LocalSystem;
  url: string;
  stop(): Promise<void>;
}

/**
 * `env`: more environment for every service (a test that needs tighter limits, say);
 * `replicas`: processes per service (the rolling restart runs two where it can).
 */
export async function startE2eSystem(
  env: Record<string, string> = {},
  options: { replicas?: number | Record<string, number>; readyTimeoutMs?: number } = {},
): Promise<E2eSystem> {
  const tag = uniqueTag();
  const prefix = `e2e_${tag}_`;
  const dataDir = mkdtempSync(join(tmpdir(), 'lumina-e2e-'));
  const system = await startLocalSystem({
    port: 0,
    // Real NGINX in front, never the Node fallback: a missing NGINX fails here, saying how to install it.
    entryPoint: 'nginx',
    dataDir,
    databasePrefix: prefix,
    replicas: options.replicas,
    readyTimeoutMs: options.readyTimeoutMs,
    extraEnv: {
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      // Isolated from other runs on the same NATS server.
      EVENT_SUBJECT_PREFIX: tag,
      EVENT_STREAM_PREFIX: `${tag.toUpperCase()}_`,
      // (Sign-up and sign-in limits per address: the one-machine mode's own, as `npm start` has them.)
      // Small sleeps keep the pipeline quick to notice work after a restart.
      OUTBOX_POLL_INTERVAL_MS: '200',
      ...env,
    },
  });
  return {
    system,
    url: system.url,
    async stop() {
      await system.stop();
      await dropSystemDatabases(system.servers, prefix);
      await deleteStreamsUnder(system.servers, `${tag.toUpperCase()}_`);
      // LUMINA_E2E_KEEP=1 keeps the services' logs to read after a failure.
      if (process.env.LUMINA_E2E_KEEP === '1') process.stderr.write(`e2e: logs kept in ${join(dataDir, 'logs')}\n`);
      else rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** One person using Lumina through the entry point: the benchmark's API client (a cookie jar, typed calls) with a name. */
export class Person {
  private readonly client: ApiClient;
  id = '';

  constructor(
    baseUrl: string,
    readonly username: string,
  ) {
    // No quiet refresh on a 401, so a story sees every answer as it came; and every successful
    // answer is checked against its route's schema, from outside, through NGINX.
    this.client = new ApiClient(baseUrl, { refreshOnExpiry: false, checkAnswers: true });
  }

  /** One call of a route of the contract as this person: its typed outcome, whatever the status. */
  send<R extends ApiRoute>(route: R, ...args: CallArgs<R>): Promise<TimedResult<R>> {
    return this.client.send(route, ...args);
  }

  async signUp(): Promise<void> {
    const res = await this.send(authRoutes.signUp, {
      body: {
        email: `${this.username}@example.com`,
        username: this.username,
        password: 'a long enough password',
        displayName: this.username.replace(/^./, (c) => c.toUpperCase()),
      },
    });
    if (!res.ok) throw new Error(`sign-up of ${this.username} answered ${res.status}: ${JSON.stringify(res.body)}`);
    this.id = res.body.user.id;
  }

  /** Uploads a generated photo and waits until its variants are ready; answers the media id. */
  async uploadPhoto(seed: number): Promise<string> {
    const jpeg = await sharp({ create: { width: 640, height: 480, channels: 3, background: { r: (seed * 40) % 255, g: 120, b: 200 } } })
      .jpeg()
      .toBuffer();
    const form = new FormData();
    form.append('alt', 'A generated photo');
    form.append('file', new Blob([new Uint8Array(jpeg)], { type: 'image/jpeg' }), `photo-${seed}.jpg`);
    const res = await this.send(mediaRoutes.upload, { form });
    if (!res.ok) throw new Error(`upload answered ${res.status}: ${JSON.stringify(res.body)}`);
    const id = res.body.media.id;
    await eventually(async () => {
      const media = await this.send(mediaRoutes.getMedia, { params: { id } });
      const status = media.ok ? media.body.media.status : `answered ${media.status}`;
      if (status !== 'ready') throw new Error(`media is ${status}`);
    }, 30_000);
    return id;
  }
}

/**
 * Asserts an answer's status, as `expect(res.status).toBe(status)` does, and narrows the answer
 * to that status: its body is then the route's typed body for it.
 */
export function expectStatus<T extends { status: number }, S extends T['status']>(
  res: T,
  status: S,
): asserts res is Extract<T, { status: S }> {
  expect(res.status).toBe(status);
}

export async function eventually<T>(assertion: () => Promise<T>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      return await assertion();
    } catch (err) {
      last = err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw last instanceof Error ? last : new Error(String(last));
}

/** A search for posts: by words (search's posts route), or a hashtag's page. */
export type PostSearch = { q: string } | { tag: string };

function searchPosts(person: Person, search: PostSearch) {
  return 'q' in search
    ? person.send(searchRoutes.posts, { query: { q: search.q } })
    : person.send(searchRoutes.hashtagPosts, { params: { tag: search.tag } });
}

const described = (search: PostSearch) =>
  'q' in search ? pathFor(searchRoutes.posts, { query: search }) : pathFor(searchRoutes.hashtagPosts, { params: search });

/**
 * How long an event may take once a consumer is back after a crash: JetStream redelivers a
 * message the killed process had taken but not acknowledged when the consumer's ack_wait (30 s,
 * common's Listener) runs out.
 */
export const AFTER_A_CRASH_MS = 45_000;

/** Every check the story makes, shared by the plain run and the run with crashes. */
export const expectations = {
  async inHomeTimeline(person: Person, postId: string): Promise<Post> {
    return eventually(async () => {
      const res = await person.send(timelineRoutes.home);
      const found = res.ok ? res.body.items.find((i) => i.id === postId) : undefined;
      if (!found) throw new Error(`post ${postId} not yet in ${person.username}'s home (${res.status})`);
      return found;
    });
  },
  async goneFromHomeTimeline(person: Person, postId: string, timeoutMs?: number): Promise<void> {
    await eventually(async () => {
      const res = await person.send(timelineRoutes.home);
      if (!res.ok || res.body.items.some((i) => i.id === postId)) throw new Error(`still in ${person.username}'s home (${res.status})`);
    }, timeoutMs);
  },
  async searchFinds(person: Person, search: PostSearch, postId: string): Promise<void> {
    await eventually(async () => {
      const res = await searchPosts(person, search);
      if (!res.ok || !res.body.items.some((i) => i.id === postId))
        throw new Error(`${described(search)} does not find ${postId} (${res.status}: ${JSON.stringify(res.body).slice(0, 200)})`);
    });
  },
  async searchMisses(person: Person, search: PostSearch, postId: string): Promise<void> {
    await eventually(async () => {
      const res = await searchPosts(person, search);
      if (!res.ok || res.body.items.some((i) => i.id === postId)) throw new Error(`${described(search)} still finds ${postId}`);
    });
  },
  async notified(person: Person, type: NotificationType, postId: string): Promise<void> {
    await eventually(async () => {
      const res = await person.send(timelineRoutes.notifications);
      if (!res.ok || !res.body.items.some((n) => n.type === type && n.post?.id === postId)) throw new Error(`no ${type} notification yet`);
      if (!(res.body.unread > 0)) throw new Error('unread count is 0');
    });
  },
};
