/**
 * "Killed right after the commit": the app runs with no relay at all, so every write leaves its
 * event in the outbox unpublished. A fresh relay (a restarted process) then publishes each one
 * exactly once; a relay that dies after publishing and before clearing causes no duplicate.
 */
import { Events, MySqlOutboxRelay, streamNameFor } from '@lumina/common';
import { testLogger } from '@lumina/common/testing';
import request from 'supertest';
import { bearer, count, eventsIn, setUpAuth, signUp, type Harness } from './helpers';

let h: Harness;
beforeAll(async () => {
  h = await setUpAuth({ relay: false });
});
afterAll(() => h.close());

const usersStreamSize = async () => Number((await h.bus.jsm.streams.info(streamNameFor(h.bus.ns, 'USERS'))).state.messages);
const outbox = () => count(h.pool, 'SELECT COUNT(*) FROM outbox_events');

async function writeOneOfEach() {
  const a = await signUp(h.app); // user.created
  const b = await signUp(h.app); // user.created
  await request(h.app).patch('/api/v1/users/me').set('Authorization', bearer(a)).send({ bio: 'hello' }).expect(200); // user.updated
  await request(h.app).put(`/api/v1/users/${b.id}/follow`).set('Authorization', bearer(a)).expect(204); // user.followed
  await request(h.app).delete(`/api/v1/users/${b.id}/follow`).set('Authorization', bearer(a)).expect(204); // user.unfollowed
  return { a, b };
}

async function allUserEvents() {
  const lists = await Promise.all(
    [Events.userCreated, Events.userUpdated, Events.userFollowed, Events.userUnfollowed].map((e) => eventsIn(h.bus, e)),
  );
  return lists.flat();
}

test('committed with no relay running: the events wait in the outbox, and a fresh relay publishes each once', async () => {
  const streamBefore = await usersStreamSize();
  const { a, b } = await writeOneOfEach();
  await h.ctx.drained(); // with no relay, nothing reaches the stream however long one waits
  expect(await outbox()).toBe(5);
  expect(await usersStreamSize()).toBe(streamBefore); // nothing left the process before it "died"

  const restarted = new MySqlOutboxRelay(h.pool, h.bus, { log: testLogger });
  await restarted.drain();
  await restarted.drain(); // a second pass finds nothing more
  expect(await outbox()).toBe(0);
  expect(await usersStreamSize()).toBe(streamBefore + 5);

  const mine = (await allUserEvents()).filter((e) => [a.id, b.id].includes(String(e.data.id ?? e.data.followerId)));
  expect(
    mine.map((e) => (e.data.followerId ? `edge v${e.data.version}` : `${e.data.id === a.id ? 'a' : 'b'} v${e.data.version}`)).sort(),
  ).toEqual(['a v1', 'a v2', 'b v1', 'edge v1', 'edge v2'].sort());
  expect(new Set(mine.map((e) => e.id)).size).toBe(5);
});

test('a relay that dies after publishing and before clearing: the next one republishes, JetStream drops the copies', async () => {
  const streamBefore = await usersStreamSize();
  await writeOneOfEach();
  const dying = new MySqlOutboxRelay(h.pool, h.bus, {
    log: testLogger,
    afterPublish: () => {
      throw new Error('killed between publish and clear');
    },
  });
  await expect(dying.drainOnce()).rejects.toThrow('killed between publish and clear');
  expect(await outbox()).toBe(5); // still there: the clear never committed
  expect(await usersStreamSize()).toBe(streamBefore + 5); // but published

  await new MySqlOutboxRelay(h.pool, h.bus, { log: testLogger }).drain();
  expect(await outbox()).toBe(0);
  expect(await usersStreamSize()).toBe(streamBefore + 5); // the second publish stored nothing new
});

test('a write that fails (a duplicate sign-up) leaves no event behind', async () => {
  const a = await signUp(h.app);
  const before = await outbox();
  const res = await request(h.app)
    .post('/api/v1/users/signup')
    .send({ username: a.username, email: `x${a.email}`, password: 'another password' });
  expect(res.status).toBe(409);
  expect(await outbox()).toBe(before);
});
