/**
 * Who may do what on NATS. Each service connects as its own NATS user whose permissions are
 * written from the tables below: it may publish only the events of the streams it owns, take
 * messages only from its own durable consumers, and create (not change) the streams it merely
 * reads. A leaked posts password can then not forge a `user.updated`, nor steal another
 * service's messages by pulling from its consumer.
 *
 * The NATS server configurations (infra/k8s's nats.conf, the test kit's and the one-machine
 * mode's generated one) are all rendered by natsAuthorization(), so the lists live here once.
 */
import { Events, STREAMS, type EventName, type StreamName } from './catalogue';
import { durableNameFor, inboxPrefixFor, streamNameFor, updatesStream, type EventNamespace } from './bus';

export const SERVICES = ['auth', 'posts', 'media', 'search', 'timeline'] as const;
export type ServiceName = (typeof SERVICES)[number];

/**
 * The events each service consumes, one durable consumer `<service>--<event>` each. A listener
 * missing here cannot create its consumer (the service's own tests run with its own user).
 */
export const SERVICE_CONSUMES: Record<ServiceName, readonly EventName[]> = {
  auth: ['mediaReady', 'mediaDeleted'],
  posts: ['userCreated', 'userUpdated', 'userDeleted', 'mediaReady', 'mediaFailed', 'mediaDeleted'],
  media: ['mediaProcessRequested', 'postCreated', 'postDeleted', 'userCreated', 'userUpdated', 'userDeleted'],
  search: [
    'userCreated',
    'userUpdated',
    'userDeleted',
    'postCreated',
    'postUpdated',
    'postDeleted',
    'postLiked',
    'postUnliked',
    'commentCreated',
    'commentDeleted',
  ],
  timeline: [
    'userCreated',
    'userUpdated',
    'userDeleted',
    'userFollowed',
    'userUnfollowed',
    'postCreated',
    'postUpdated',
    'postDeleted',
    'postLiked',
    'postUnliked',
    'commentCreated',
    'commentDeleted',
  ],
};

/** Streams a service replays with ordered (ephemeral, randomly named) consumers: search's rebuild. */
const ORDERED_REPLAY: Partial<Record<ServiceName, readonly StreamName[]>> = { search: ['USERS', 'POSTS'] };

/** Plain (not JetStream) subjects a service publishes and subscribes to, relative to the prefix. */
const PLAIN_SUBJECTS: Partial<Record<ServiceName, readonly string[]>> = { timeline: ['live.timeline'] };

/** The streams a service provisions: those it owns, those it consumes from, and the DLQ. */
export function streamsOf(service: ServiceName): StreamName[] {
  const consumed = SERVICE_CONSUMES[service].map((name) => Events[name].stream);
  const owned = (Object.keys(STREAMS) as StreamName[]).filter((s) => STREAMS[s].owner === service);
  return [...new Set<StreamName>([...owned, ...consumed, 'DLQ'])];
}

/**
 * The names a permission list uses for one namespace. exactNamespace is what production runs
 * with; ANY_NAMESPACE serves a NATS shared by test files, each with its own prefixes: the subject
 * prefix is a whole token and becomes `*`, a stream name (`<PREFIX>USERS`) is one token too, so
 * every stream becomes `*` — the stream-name narrowing holds only with exactNamespace.
 */
export interface NamespacePattern {
  subjectPrefix: string;
  stream(name: StreamName): string;
}

export function exactNamespace(ns: EventNamespace): NamespacePattern {
  return { subjectPrefix: ns.subjectPrefix, stream: (name) => streamNameFor(ns, name) };
}

export const ANY_NAMESPACE: NamespacePattern = { subjectPrefix: '*', stream: () => '*' };

export interface NatsPermissions {
  publish: { allow: string[]; deny?: string[] };
  subscribe: { allow: string[] };
}

const unique = (items: string[]): string[] => [...new Set(items)];

/** The permissions of a service's NATS user. */
export function servicePermissions(service: ServiceName, ns: NamespacePattern): NatsPermissions {
  const p = ns.subjectPrefix;
  const api = '$JS.API';
  const ownEvents = Object.values(Events).filter((e) => STREAMS[e.stream].owner === service);
  const allow: string[] = [
    ...ownEvents.map((e) => `${p}.${e.type}`),
    ...(PLAIN_SUBJECTS[service] ?? []).map((s) => `${p}.${s}`),
    `${p}.dlq.${service}.>`,
    // The account check jetstreamManager() makes on connecting.
    `${api}.INFO`,
  ];
  for (const stream of streamsOf(service)) {
    const name = ns.stream(stream);
    allow.push(`${api}.STREAM.INFO.${name}`, `${api}.STREAM.CREATE.${name}`);
    if (updatesStream(service, stream)) allow.push(`${api}.STREAM.UPDATE.${name}`);
  }
  for (const eventName of SERVICE_CONSUMES[service]) {
    const event = Events[eventName];
    const stream = ns.stream(event.stream);
    const durable = durableNameFor(service, event);
    allow.push(
      `${api}.CONSUMER.CREATE.${stream}.${durable}`,
      `${api}.CONSUMER.CREATE.${stream}.${durable}.>`,
      // A consumer with several filter subjects (the event's and its replay subject) is created
      // and updated through the older API subject, which names the durable too.
      `${api}.CONSUMER.DURABLE.CREATE.${stream}.${durable}`,
      `${api}.CONSUMER.INFO.${stream}.${durable}`,
      `${api}.CONSUMER.MSG.NEXT.${stream}.${durable}`,
      // The oldest unacknowledged message's age, for the retention warning (stream-limits.ts).
      `${api}.STREAM.MSG.GET.${stream}`,
      `$JS.ACK.${stream}.${durable}.>`,
    );
  }
  // Ordered consumers are named `<random>_<n>`, so they cannot be allowed by name: allow any name
  // on those streams and deny the names of every other service's durable consumers.
  const deny: string[] = [];
  for (const stream of ORDERED_REPLAY[service] ?? []) {
    const name = ns.stream(stream);
    allow.push(
      `${api}.CONSUMER.CREATE.${name}.*`,
      `${api}.CONSUMER.CREATE.${name}.*.>`,
      `${api}.CONSUMER.INFO.${name}.*`,
      `${api}.CONSUMER.DELETE.${name}.*`,
      `${api}.CONSUMER.MSG.NEXT.${name}.*`,
    );
    for (const other of SERVICES.filter((s) => s !== service)) {
      for (const eventName of SERVICE_CONSUMES[other].filter((e) => Events[e].stream === stream)) {
        const durable = durableNameFor(other, Events[eventName]);
        deny.push(
          `${api}.CONSUMER.CREATE.${name}.${durable}`,
          `${api}.CONSUMER.CREATE.${name}.${durable}.>`,
          `${api}.CONSUMER.DELETE.${name}.${durable}`,
          `${api}.CONSUMER.MSG.NEXT.${name}.${durable}`,
        );
      }
    }
  }
  return {
    publish: deny.length > 0 ? { allow: unique(allow), deny: unique(deny) } : { allow: unique(allow) },
    subscribe: { allow: unique([`${inboxPrefixFor(service)}.>`, ...(PLAIN_SUBJECTS[service] ?? []).map((s) => `${p}.${s}`)]) },
  };
}

/**
 * The operator's tool's reading user (lumina-ops status, the in-cluster autoscaler): stream and
 * consumer state, and single messages (the age of a consumer's oldest unacknowledged one); it
 * changes nothing.
 */
export function opsPermissions(): NatsPermissions {
  return {
    publish: {
      allow: [
        '$JS.API.INFO',
        '$JS.API.STREAM.NAMES',
        '$JS.API.STREAM.LIST',
        '$JS.API.STREAM.INFO.*',
        '$JS.API.STREAM.MSG.GET.*',
        '$JS.API.CONSUMER.LIST.*',
        '$JS.API.CONSUMER.INFO.*.*',
      ],
    },
    subscribe: { allow: [`${inboxPrefixFor('ops')}.>`] },
  };
}

/**
 * The operator's acting user (`lumina-ops dlq`): reads, replays and deletes dead letters. Its
 * replays go to one service's consumer each, on `<event subject>.replay.<service>`, and to no
 * other subject: it cannot publish an event every consumer takes. A user of its own so that the
 * in-cluster autoscaler's login (ops) cannot replay or purge.
 */
export function operatorPermissions(ns: NamespacePattern): NatsPermissions {
  const api = '$JS.API';
  const dlq = ns.stream('DLQ');
  const replays = SERVICES.flatMap((service) =>
    SERVICE_CONSUMES[service].map((eventName) => `${ns.subjectPrefix}.${Events[eventName].type}.replay.${service}`),
  );
  return {
    publish: {
      allow: unique([
        ...replays,
        `${api}.INFO`,
        `${api}.STREAM.NAMES`,
        `${api}.STREAM.LIST`,
        `${api}.STREAM.INFO.*`,
        `${api}.CONSUMER.LIST.*`,
        `${api}.CONSUMER.INFO.*.*`,
        `${api}.STREAM.MSG.GET.${dlq}`,
        `${api}.STREAM.MSG.DELETE.${dlq}`,
        `${api}.STREAM.PURGE.${dlq}`,
        // Reading the DLQ in order: ordered (ephemeral, randomly named) consumers on it.
        `${api}.CONSUMER.CREATE.${dlq}.*`,
        `${api}.CONSUMER.CREATE.${dlq}.*.>`,
        `${api}.CONSUMER.INFO.${dlq}.*`,
        `${api}.CONSUMER.DELETE.${dlq}.*`,
        `${api}.CONSUMER.MSG.NEXT.${dlq}.*`,
      ]),
    },
    subscribe: { allow: [`${inboxPrefixFor('operator')}.>`] },
  };
}

/** Everything: the test kit's own connections and the one-machine mode's tooling, never a service. */
export const ADMIN_PERMISSIONS: NatsPermissions = { publish: { allow: ['>'] }, subscribe: { allow: ['>'] } };

export interface NatsUser {
  user: string;
  /** A literal password, or `{ env: NAME }` for a variable the server reads from its environment. */
  password: string | { env: string };
  permissions: NatsPermissions;
}

/** The users of a Lumina NATS: the five services, ops and operator, each with a password from `passwordOf`. */
export function luminaNatsUsers(ns: NamespacePattern, passwordOf: (user: string) => NatsUser['password']): NatsUser[] {
  return [
    ...SERVICES.map((service) => ({ user: service, password: passwordOf(service), permissions: servicePermissions(service, ns) })),
    { user: 'ops', password: passwordOf('ops'), permissions: opsPermissions() },
    { user: 'operator', password: passwordOf('operator'), permissions: operatorPermissions(ns) },
  ];
}

/**
 * The `authorization` block of a nats-server configuration. Without `no_auth_user` a connection
 * without a known user and password is refused.
 */
export function natsAuthorization(users: NatsUser[]): string {
  const entries = users.map((u) => {
    const password = typeof u.password === 'string' ? JSON.stringify(u.password) : `$${u.password.env}`;
    // nats-server's configuration format reads JSON; a quoted "$JS.API…" is a string, not a variable.
    const permissions = JSON.stringify(u.permissions, null, 2).replace(/\n/g, '\n      ');
    return `    {\n      user: ${JSON.stringify(u.user)}\n      password: ${password}\n      permissions: ${permissions}\n    }`;
  });
  return `authorization {\n  users: [\n${entries.join('\n')}\n  ]\n}\n`;
}
