/**
 * The real timeline service in this process, with nothing else of Lumina around it: its own
 * MongoDB database, Redis key prefix and event namespace, a signing key for its tokens, and an
 * event bus to publish to it. Shared by the fan-out component and the home-page benchmark;
 * `stop()` removes everything it made.
 */
import { closeEventBus, connectEventBus, generateSigningKeyPair, provisionStreams, type EventBus } from '@lumina/common';
import { freePort, testLogger, uniqueTag } from '@lumina/common/testing';
import { loadConfig, startTimelineService } from '@lumina/timeline/testing';
import { mongo } from 'mongoose';

export interface TimelineAloneOptions {
  /** Names the run's database, prefix and namespace (`fanout`, `home`). */
  name: string;
  natsUrl: string;
  /** NATS's `admin` password, when it has users: the namespace is the run's own, which the timeline user may not use. */
  natsAdminPassword?: string;
  mongoUrl: string;
  redisUrl: string;
  /** More of timeline's environment (thresholds, batch sizes, TTLs). */
  env?: Record<string, string>;
}

export interface TimelineAlone {
  svc: Awaited<ReturnType<typeof startTimelineService>>;
  bus: EventBus;
  key: ReturnType<typeof generateSigningKeyPair>;
  ns: { subjectPrefix: string; streamPrefix: string };
  stop(): Promise<void>;
}

const STREAMS = ['USERS', 'POSTS', 'DLQ'] as const;

export async function startTimelineAlone(options: TimelineAloneOptions): Promise<TimelineAlone> {
  const tag = `${options.name}${uniqueTag()}`;
  const ns = { subjectPrefix: tag, streamPrefix: `${tag.toUpperCase()}_` };
  const database = `timeline_${tag}`;
  const mongoUrl = new URL(options.mongoUrl);
  mongoUrl.pathname = `/${database}`;
  const key = generateSigningKeyPair('bench');
  const admin = options.natsAdminPassword;
  const config = loadConfig({
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    PORT: String(await freePort()),
    MONGO_URL: mongoUrl.toString(),
    REDIS_URL: options.redisUrl,
    REDIS_KEY_PREFIX: `${tag}:timeline:`,
    NATS_URL: options.natsUrl,
    ...(admin ? { NATS_USER: 'admin', NATS_PASSWORD: admin } : {}),
    EVENT_SUBJECT_PREFIX: ns.subjectPrefix,
    EVENT_STREAM_PREFIX: ns.streamPrefix,
    JWT_PUBLIC_KEYS: JSON.stringify({ [key.kid]: key.publicKeyPem }),
    ...options.env,
  });
  const svc = await startTimelineService(config, { log: testLogger });
  let bus: EventBus | undefined;
  const stop = async () => {
    await svc.running.shutdown('bench done');
    if (bus) {
      for (const stream of STREAMS) await bus.jsm.streams.delete(`${ns.streamPrefix}${stream}`).catch(() => undefined);
      await closeEventBus(bus);
    }
    const client = await mongo.MongoClient.connect(options.mongoUrl);
    await client
      .db(database)
      .dropDatabase()
      .catch(() => undefined);
    await client.close();
  };
  try {
    bus = await connectEventBus({
      servers: options.natsUrl,
      name: `${options.name}-bench`,
      ns,
      log: testLogger,
      ...(admin ? { user: 'admin', pass: admin } : {}),
    });
    await provisionStreams(bus, [...STREAMS], { replicas: 1 });
  } catch (err) {
    await stop();
    throw err;
  }
  return { svc, bus, key, ns, stop };
}
