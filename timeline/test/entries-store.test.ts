/**
 * The trim check's count of entries per owner, against the real server: a few owners are
 * counted one by one on FerretDB, many in one grouped pass; both must name the same owners.
 */
import { connectMongo } from '@lumina/common';
import { TestContext } from '@lumina/common/testing';
import type { Connection } from 'mongoose';
import { createStores, type Stores } from '../src/store';

const ctx = new TestContext();
let conn: Connection;
let stores: Stores;

beforeAll(async () => {
  conn = await connectMongo(ctx.mongoDatabase('entries'));
  stores = createStores(conn);
  // owner-i holds i entries, for i = 0..59.
  const entries = [];
  for (let i = 0; i < 60; i += 1) {
    for (let k = 0; k < i; k += 1) {
      entries.push({
        ownerId: `owner-${i}`,
        postId: `post-${k}`,
        authorId: 'a',
        createdAt: new Date(1_700_000_000_000 + k),
        seq: `s${i}-${k}`,
      });
    }
  }
  expect((await stores.entries.insert(entries)).length).toBe(entries.length);
});
afterAll(async () => {
  await conn.close();
  await ctx.cleanup();
});

const owners = (ids: number[]) => ids.map((i) => `owner-${i}`);

test('a few owners: exactly those over the bound', async () => {
  expect((await stores.entries.ownersOver(owners([3, 10, 11, 12, 59, 77]), 10)).sort()).toEqual(owners([11, 12, 59]).sort());
});

test('many owners (one grouped pass): exactly those over the bound', async () => {
  const all = Array.from({ length: 60 }, (_, i) => i);
  expect((await stores.entries.ownersOver(owners(all), 50)).sort()).toEqual(owners(all.filter((i) => i > 50)).sort());
});

test('no owners, none over', async () => {
  expect(await stores.entries.ownersOver([], 0)).toEqual([]);
});
