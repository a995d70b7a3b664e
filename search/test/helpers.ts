/** Shared test kit for the search service: the real service in-process, real MySQL and NATS. */
import { Events, Publisher, type EventBus, type EventData, type EventDefinition, type PostState, type UserState } from '@lumina/common';
import { testLogger, type TestContext } from '@lumina/common/testing';
import type { RowDataPacket } from 'mysql2/promise';
import request from 'supertest';
import { loadConfig } from '../src/config';
import { startSearchService, type StartedSearchService } from '../src/server';

export interface SearchHarness {
  service: StartedSearchService;
  /** A bus of the test's own, in the same namespace, to publish what other services would. */
  bus: EventBus;
  get(path: string): request.Test;
  publish<E extends EventDefinition>(event: E, data: EventData<E>): Promise<void>;
  /** Resolves once every search consumer has handled (acked) everything published so far. */
  drained(): Promise<void>;
  stop(): Promise<void>;
}

export async function startSearch(ctx: TestContext): Promise<SearchHarness> {
  const bus = await ctx.eventBus('search-test', ['USERS', 'POSTS', 'DLQ']);
  const mysqlUrl = await ctx.mysqlDatabase('search');
  // Port 0 (any free port) is not a valid PORT for the environment, so it is set after parsing.
  const config = { ...loadConfig(ctx.serviceEnv('search', { MYSQL_URL: mysqlUrl, MYSQL_POOL_SIZE: '12' })), PORT: 0 };
  const service = await startSearchService(config, { log: testLogger });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await service.running.shutdown('test done');
  };
  ctx.onCleanup(stop);
  return {
    service,
    bus,
    get: (path) => request(service.running.server).get(path),
    publish: async (event, data) => {
      await new Publisher(bus, event).publish(data);
    },
    drained: () => ctx.drained({ services: ['search'] }),
    stop,
  };
}

let counter = 0;
export function uid(prefix: string): string {
  counter += 1;
  return `${prefix}${Date.now().toString(36)}${counter}`;
}

export function userState(overrides: Partial<UserState> & { id: string; username: string }): UserState {
  return { displayName: '', bio: '', avatar: null, version: 1, ...overrides };
}

export function postState(overrides: Partial<PostState> & { id: string; authorId: string }): PostState {
  return {
    caption: '',
    hashtags: [],
    mentions: [],
    media: [
      {
        id: `m-${overrides.id}`,
        alt: '',
        width: 1080,
        height: 1350,
        blurhash: 'LEHV6nWB2yk8pyo0adR*.7kCMdnj',
        variants: {
          thumb: { url: `/api/v1/media/m-${overrides.id}/thumb`, width: 320, height: 320 },
          feed: { url: `/api/v1/media/m-${overrides.id}/feed`, width: 1080, height: 1350 },
        },
      },
    ],
    likeCount: 0,
    commentCount: 0,
    createdAt: new Date().toISOString(),
    version: 1,
    ...overrides,
  };
}

/** The ids of a list answer, in order. */
export function ids(body: { items?: Array<{ id: string }> } | Array<{ id: string }>): string[] {
  const items = Array.isArray(body) ? body : (body.items ?? []);
  return items.map((i) => i.id);
}

export async function tableRows(service: StartedSearchService, sql: string): Promise<RowDataPacket[]> {
  const [rows] = await service.pool.query<RowDataPacket[]>(sql);
  return rows;
}

export { Events };
