import mongoose from 'mongoose';
import type { Pool, RowDataPacket } from 'mysql2/promise';
import { applyIfNewerMongo, createMysqlPool, upsertIfNewerMySql, upsertIfNewerMySqlRow, type ApplyOptions } from '../src';
import { TestContext } from '../src/testing';

const ctx = new TestContext();
let pool: Pool;
let mongo: mongoose.Connection;

beforeAll(async () => {
  pool = createMysqlPool(await ctx.mysqlDatabase('apply'));
  await pool.query('CREATE TABLE people (id VARCHAR(64) PRIMARY KEY, name VARCHAR(100) NOT NULL, version INT NOT NULL)');
  mongo = await mongoose.createConnection(ctx.mongoDatabase('apply')).asPromise();
});
afterAll(async () => {
  await pool.end();
  await mongo.close();
  await ctx.cleanup();
});

describe('MySQL', () => {
  const read = async (id: string) => {
    const [rows] = await pool.query<RowDataPacket[]>('SELECT name, version FROM people WHERE id = ?', [id]);
    return rows[0];
  };

  test('inserts, applies newer, ignores older and repeated versions', async () => {
    expect(await upsertIfNewerMySql(pool, 'people', { id: 'p1', name: 'v2', version: 2 }, ['id'])).toBe('applied');
    expect(await upsertIfNewerMySql(pool, 'people', { id: 'p1', name: 'v1', version: 1 }, ['id'])).toBe('stale');
    expect(await upsertIfNewerMySql(pool, 'people', { id: 'p1', name: 'v2 again', version: 2 }, ['id'])).toBe('stale');
    expect(await read('p1')).toEqual({ name: 'v2', version: 2 });
    expect(await upsertIfNewerMySql(pool, 'people', { id: 'p1', name: 'v3', version: 3 }, ['id'])).toBe('applied');
    expect(await read('p1')).toEqual({ name: 'v3', version: 3 });
  });

  test('tells an insert from an update (what a caller may skip for a new row)', async () => {
    expect(await upsertIfNewerMySqlRow(pool, 'people', { id: 'p3', name: 'v1', version: 1 }, ['id'])).toBe('inserted');
    expect(await upsertIfNewerMySqlRow(pool, 'people', { id: 'p3', name: 'v2', version: 2 }, ['id'])).toBe('updated');
    expect(await upsertIfNewerMySqlRow(pool, 'people', { id: 'p3', name: 'v2', version: 3 }, ['id'])).toBe('updated'); // only the version moves
    expect(await upsertIfNewerMySqlRow(pool, 'people', { id: 'p3', name: 'old', version: 1 }, ['id'])).toBe('stale');
    expect(await read('p3')).toEqual({ name: 'v2', version: 3 });
  });

  test('any delivery order of versions 1..20 ends at version 20', async () => {
    const versions = Array.from({ length: 20 }, (_, i) => i + 1).sort(() => Math.random() - 0.5);
    await Promise.all(versions.map((v) => upsertIfNewerMySql(pool, 'people', { id: 'p2', name: `v${v}`, version: v }, ['id'])));
    expect(await read('p2')).toEqual({ name: 'v20', version: 20 });
  });
});

describe.each<[string, ApplyOptions]>([
  ['an upsert', {}],
  ['an insert first (likelyNew)', { likelyNew: true }],
])('MongoDB, %s', (_how, options) => {
  const people = () =>
    mongo.collection<{ _id: string; name: string; version: number }>(`people_${options.likelyNew ? 'insert' : 'upsert'}`);
  const apply = (id: string, version: number, fields: { name: string }) => applyIfNewerMongo(people(), id, version, fields, options);

  test('inserts, applies newer, ignores older and repeated versions', async () => {
    expect(await apply('p1', 2, { name: 'v2' })).toBe('applied');
    expect(await apply('p1', 1, { name: 'v1' })).toBe('stale');
    expect(await apply('p1', 2, { name: 'v2 again' })).toBe('stale');
    expect(await people().findOne({ _id: 'p1' })).toEqual({ _id: 'p1', name: 'v2', version: 2 });
    expect(await apply('p1', 3, { name: 'v3' })).toBe('applied');
    expect(await people().findOne({ _id: 'p1' })).toEqual({ _id: 'p1', name: 'v3', version: 3 });
  });

  test('any delivery order of versions 1..20, concurrently, ends at version 20', async () => {
    const versions = Array.from({ length: 20 }, (_, i) => i + 1).sort(() => Math.random() - 0.5);
    await Promise.all(versions.map((v) => apply('p2', v, { name: `v${v}` })));
    expect(await people().findOne({ _id: 'p2' })).toEqual({ _id: 'p2', name: 'v20', version: 20 });
  });
});
