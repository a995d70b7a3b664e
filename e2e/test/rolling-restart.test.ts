/**
 * A rolling restart under load fails no request: while a few people read and write through
 * NGINX, every service is restarted one replica at a time (two replicas of auth and search; one
 * of the MongoDB-backed services on FerretDB, whose requests the entry point holds meanwhile).
 * `npm run rolling-restart` is the long version, with a report (bench/results/).
 */
import { preparePeople, restartEveryReplica, startMixedLoad } from '@lumina/bench/rolling';
import { uniqueTag } from '@lumina/common/testing';
import { startE2eSystem, type E2eSystem } from './support';

jest.setTimeout(600_000);

let e2e: E2eSystem;
beforeAll(async () => {
  // Seven processes starting at once on a busy shared machine: give them time.
  e2e = await startE2eSystem({}, { replicas: 2, readyTimeoutMs: 300_000 });
});
afterAll(async () => {
  await e2e?.stop();
});

test('every service restarted one replica at a time under a mixed load: no request fails, every old process exits cleanly', async () => {
  const { system } = e2e;
  // Two where a service can run two; MongoDB-backed ones stay at one on FerretDB (infra/local/system.ts).
  expect(system.replicas.auth).toBe(2);
  expect(system.replicas.search).toBe(2);

  const actors = await preparePeople(e2e.url, 3, uniqueTag().slice(0, 8));
  const load = startMixedLoad(actors, { workers: 3, pauseMs: 20 });
  const restarts = await restartEveryReplica(system);
  await load.stop();

  expect(restarts.map((r) => `${r.service} ${r.replica}`)).toEqual(
    Object.entries(system.replicas).flatMap(([service, n]) => Array.from({ length: n }, (_, i) => `${service} ${i}`)),
  );
  expect(restarts.filter((r) => r.exitCode !== 0)).toEqual([]);
  // Requests were in flight throughout, and none failed.
  for (const r of restarts) expect(load.samples.some((s) => s.at >= r.startedAt && s.at < r.endedAt)).toBe(true);
  expect(load.samples.length).toBeGreaterThan(50);
  expect(load.samples.filter((s) => !s.ok)).toEqual([]);
});
