import mongoose from 'mongoose';
import { findAmong } from '../src';
import { TestContext } from '../src/testing';

const ctx = new TestContext();
let mongo: mongoose.Connection;

interface Like {
  _id: string;
  postId: string;
  userId: string;
  liked: boolean;
}

const likes = () => mongo.collection<Like>('likes');

beforeAll(async () => {
  mongo = await mongoose.createConnection(ctx.mongoDatabase('among')).asPromise();
  const docs: Like[] = [];
  for (let post = 0; post < 30; post += 1) {
    for (let user = 0; user < 4; user += 1) {
      docs.push({ _id: `p${post}:u${user}`, postId: `p${post}`, userId: `u${user}`, liked: (post + user) % 3 !== 0 });
    }
  }
  await likes().insertMany(docs);
});
afterAll(async () => {
  await mongo.close();
  await ctx.cleanup();
});

const ids = (docs: Array<{ _id: string }>) => docs.map((d) => d._id).sort();

test('by _id: exactly the documents named, each once, unknown ids ignored', async () => {
  const found = await findAmong(likes(), '_id', ['p1:u1', 'p2:u3', 'p1:u1', 'nope', 'p29:u0']);
  expect(ids(found)).toEqual(['p1:u1', 'p29:u0', 'p2:u3']);
  expect(found.find((d) => d._id === 'p2:u3')).toEqual({ _id: 'p2:u3', postId: 'p2', userId: 'u3', liked: true });
});

test('by another field, with a filter and a projection: the same answer as filtering everything', async () => {
  const postIds = ['p0', 'p4', 'p5', 'p17', 'p4', 'p99'];
  const found = await findAmong(likes(), 'postId', postIds, { filter: { userId: 'u2', liked: true }, projection: { postId: 1 } });
  const all = await likes().find({}).toArray();
  const expected = all.filter((d) => postIds.includes(d.postId) && d.userId === 'u2' && d.liked);
  expect(ids(found)).toEqual(ids(expected));
  expect(expected.length).toBeGreaterThan(1);
  for (const doc of found) expect(Object.keys(doc).sort()).toEqual(['_id', 'postId']);
});

test('a value matching several documents gives all of them', async () => {
  const found = await findAmong(likes(), 'postId', ['p3']);
  expect(ids(found)).toEqual(['p3:u0', 'p3:u1', 'p3:u2', 'p3:u3']);
});

test('no values, no query', async () => {
  expect(await findAmong(likes(), '_id', [])).toEqual([]);
});
