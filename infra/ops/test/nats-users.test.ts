/**
 * The cluster's NATS users: the authorization block in infra/k8s's nats.conf is the one common's
 * permission tables give, every password reaches the NATS pods and each Deployment only its own,
 * and the block, run by the real nats-server, refuses what it should.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import {
  createEnvelope,
  DEFAULT_NAMESPACE,
  Events,
  closeEventBus,
  connectEventBus,
  provisionStreams,
  publishEnvelope,
} from '@lumina/common';
import { startNatsServer, testLogger } from '@lumina/common/testing';
import {
  authorizationBlockIn,
  clusterAuthorizationBlock,
  clusterNatsUsers,
  NATS_MANIFEST,
  passwordVariable,
} from '../src/nats-authorization';
import { named, renderAll, workloads, type K8sObject, type Loose } from './support/render';

/** Which NATS user each workload logs in as. */
const NATS_USER_OF: Record<string, string> = {
  auth: 'auth',
  posts: 'posts',
  media: 'media',
  'media-worker': 'media',
  search: 'search',
  timeline: 'timeline',
  'lumina-autoscaler': 'ops',
};

let base: K8sObject[];
let cleanup: () => void;
beforeAll(() => {
  const all = renderAll();
  base = all.rendered.base;
  cleanup = all.cleanup;
});
afterAll(() => cleanup?.());

const container = (w: K8sObject): Loose => (w.spec as Loose).template.spec.containers[0];

test('nats.conf holds the authorization block that common/src/events/permissions.ts gives (npm run nats-authorization)', () => {
  expect(authorizationBlockIn(readFileSync(NATS_MANIFEST, 'utf8'))).toBe(clusterAuthorizationBlock());
});

test('the NATS pods get every user’s password; each Deployment gets its own NATS login and no other', () => {
  const env = container(named(base, 'StatefulSet', 'nats')!).env as Loose[];
  for (const { user } of clusterNatsUsers()) {
    // kustomize appends the content hash to a generated Secret's name.
    expect(env.find((e) => e.name === passwordVariable(user))?.valueFrom).toEqual({
      secretKeyRef: { name: expect.stringMatching(new RegExp(`^nats-login-${user}-[a-z0-9]+$`)), key: 'NATS_PASSWORD' },
    });
  }
  const clients = workloads(base).filter((w) => w.spec?.template?.metadata?.labels?.['lumina.dev/nats-client'] === 'true');
  expect(clients.map((w) => w.metadata.name).sort()).toEqual(Object.keys(NATS_USER_OF).sort());
  for (const w of clients) {
    const logins = JSON.stringify(container(w)).match(/nats-login-[a-z]+/g);
    expect({ workload: w.metadata.name, logins }).toEqual({
      workload: w.metadata.name,
      logins: [`nats-login-${NATS_USER_OF[w.metadata.name]}`],
    });
  }
  const login = base.find((o) => o.kind === 'Secret' && o.metadata.name.startsWith('nats-login-posts-'))!;
  expect(Buffer.from((login.data as Record<string, string>).NATS_USER!, 'base64').toString()).toBe('posts');
});

test('run by nats-server, the block refuses anonymous clients and a forged user.updated, lets auth publish it, and lets the operator replay to one consumer only', async () => {
  const passwords = Object.fromEntries(clusterNatsUsers().map((u) => [u.user, `pw-${u.user}`]));
  const block = clusterAuthorizationBlock('').replace(/^#.*$/gm, '');
  const nats = await startNatsServer({
    data: { dir: mkdtempSync(join(tmpdir(), 'lumina-k8s-nats-')), temporary: true },
    users: block,
    env: Object.fromEntries(Object.entries(passwords).map(([user, pw]) => [passwordVariable(user), pw])),
  });
  const busAs = (user: string) =>
    connectEventBus({ servers: nats.url, name: user, ns: DEFAULT_NAMESPACE, log: testLogger, user, pass: passwords[user] });
  try {
    await expect(connect({ servers: nats.url, reconnect: false })).rejects.toThrow(/authorization/i);
    const auth = await busAs('auth');
    const posts = await busAs('posts');
    try {
      await provisionStreams(auth, ['USERS'], { replicas: 1, service: 'auth' });
      const forged = createEnvelope(Events.userUpdated, {
        id: 'u1',
        username: 'u1',
        displayName: 'x',
        bio: '',
        avatar: null,
        version: 2147483647,
      });
      await expect(publishEnvelope(posts, forged, { timeoutMs: 3000 })).rejects.toThrow(/permission/i);
      await expect(publishEnvelope(auth, { ...forged, id: 'genuine' })).resolves.toMatchObject({ seq: 1 });
      expect((await auth.jsm.streams.info('USERS')).state.messages).toBe(1);

      // lumina-ops dlq's user replays to one service's consumer, never to every consumer of an
      // event, and may purge the DLQ only.
      const operator = await busAs('operator');
      try {
        await expect(publishEnvelope(operator, { ...forged, id: 'by-operator' }, { timeoutMs: 3000 })).rejects.toThrow(/permission/i);
        await expect(
          operator.js.publish('lumina.user.updated.replay.timeline', JSON.stringify({ ...forged, id: 'replay' })),
        ).resolves.toMatchObject({
          seq: 2,
        });
        await expect(operator.js.publish('lumina.user.updated.replay.auth', '{}', { timeout: 3000 })).rejects.toThrow(/permission/i); // auth consumes no user.updated
        await expect(operator.jsm.streams.purge('USERS')).rejects.toThrow(/permission/i);
      } finally {
        await closeEventBus(operator);
      }
    } finally {
      await closeEventBus(auth);
      await closeEventBus(posts);
    }
  } finally {
    await nats.stop();
  }
});
