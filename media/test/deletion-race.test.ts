/**
 * Deleting a media while its job is running: the job's final write (processing → ready) lands
 * between the deletion's read and its conditional write. Held there on purpose through the test
 * seams, so the race happens every time, not by timing luck.
 */
import { Events, type EventBus } from '@lumina/common';
import { collectEvents, eventually, TestContext, type EventCollector } from '@lumina/common/testing';
import { alice, bearer, filesUnder, startTestMedia, type TestMedia } from './helpers';
import * as images from './images';

/** A place where one piece of work stops until the test lets it go; says when it got there. */
class Gate {
  private arrived!: () => void;
  private release!: () => void;
  readonly reached = new Promise<void>((resolve) => (this.arrived = resolve));
  private readonly opened = new Promise<void>((resolve) => (this.release = resolve));

  async pass(): Promise<void> {
    this.arrived();
    await this.opened;
  }

  open(): void {
    this.release();
  }
}

const ctx = new TestContext();
let bus: EventBus;
let svc: TestMedia;
let deleted: EventCollector<typeof Events.mediaDeleted>;
/** Set, the next job (deletion) to reach its final write stops there until the test opens it. */
let jobGate: Gate | undefined;
let deleteGate: Gate | undefined;
const committed = new Map<string, () => void>();

/** Takes the gate out, so only one piece of work stops at it (a retry goes straight through). */
function take(gate: Gate | undefined, clear: () => void): Gate | undefined {
  clear();
  return gate;
}

beforeAll(async () => {
  bus = await ctx.eventBus();
  svc = await startTestMedia(
    ctx,
    ctx.mongoDatabase('media'),
    { MEDIA_ROLE: 'all' },
    {
      hooks: {
        beforeCommit: async () => take(jobGate, () => (jobGate = undefined))?.pass(),
        afterCommit: async (id) => committed.get(id)?.(),
        beforeDeleteWrite: async () => take(deleteGate, () => (deleteGate = undefined))?.pass(),
      },
    },
  );
  deleted = await collectEvents(bus, Events.mediaDeleted);
});
afterAll(async () => {
  await deleted.stop();
  await ctx.cleanup();
});

test('a deletion that loses the race to the job retries on its own: 204, never 409, and nothing is left', async () => {
  const job = (jobGate = new Gate());
  const res = await svc.http
    .post('/api/v1/media')
    .set('Authorization', bearer(alice))
    .attach('file', await images.png(123, 45), 'a.png');
  expect(res.status).toBe(202);
  const id: string = res.body.media.id;
  const ready = new Promise<void>((resolve) => committed.set(id, resolve));

  await job.reached; // the job has decoded and stored its variants; its write waits
  const removal = (deleteGate = new Gate());
  const deletion = svc.http
    .delete(`/api/v1/media/${id}`)
    .set('Authorization', bearer(alice))
    .then((r) => r);
  await removal.reached; // the deletion has read the media at version 1; its write waits
  job.open();
  await ready; // the job moved it to ready, version 2
  removal.open(); // the deletion's write, conditional on version 1, now loses

  const answer = await deletion;
  expect(answer.status).toBe(204);
  await deleted.waitFor((d) => d.id === id);
  expect(await svc.store.findById(id)).toMatchObject({ status: 'deleted', version: 3 });
  await eventually(async () => expect(filesUnder(svc.storageDir).filter((f) => f.includes(id))).toEqual([]));
});
