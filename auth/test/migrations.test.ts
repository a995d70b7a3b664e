import { createMysqlPool } from '@lumina/common';
import { TestContext } from '@lumina/common/testing';
import type { Pool, RowDataPacket } from 'mysql2/promise';
import { migrate, migrations } from '../src/store/migrations';

const ctx = new TestContext();
const pools: Pool[] = [];
afterAll(async () => {
  await Promise.all(pools.map((p) => p.end()));
  await ctx.cleanup();
});

let databases = 0;
async function freshDatabase(): Promise<string> {
  databases += 1;
  return ctx.mysqlDatabase(`authmig${databases}`);
}
function pool(url: string): Pool {
  const p = createMysqlPool(url, { connectionLimit: 2 });
  pools.push(p);
  return p;
}
async function tables(p: Pool): Promise<string[]> {
  const [rows] = await p.query<RowDataPacket[]>('SHOW TABLES');
  return rows.map((r) => String(Object.values(r)[0])).sort();
}

const ALL = migrations.map((m) => m.id);

test('a fresh database gets every step once; running again applies nothing', async () => {
  const p = pool(await freshDatabase());
  expect(await migrate(p)).toEqual(ALL);
  expect(await migrate(p)).toEqual([]);
  expect(await tables(p)).toEqual([
    'deleted_media',
    'follows',
    'outbox_events',
    'rate_limits',
    'ready_media',
    'refresh_families',
    'refresh_tokens',
    'schema_migrations',
    'signin_failures',
    'users',
  ]);
});

test('two replicas starting at once: one applies everything, the other finds it done', async () => {
  const url = await freshDatabase();
  const results = await Promise.all([migrate(pool(url)), migrate(pool(url)), migrate(pool(url))]);
  expect(results.flat().sort((a, b) => a - b)).toEqual(ALL);
  expect(results.filter((r) => r.length === 0)).toHaveLength(2);
  const [rows] = await pool(url).query<RowDataPacket[]>('SELECT id FROM schema_migrations ORDER BY id');
  expect(rows.map((r) => r.id)).toEqual(ALL);
});

test('a step cut off after its DDL but before it was recorded reruns cleanly', async () => {
  const p = pool(await freshDatabase());
  await migrate(p);
  await p.query('DELETE FROM schema_migrations WHERE id IN (2, 6, 7)');
  expect(await migrate(p)).toEqual([2, 6, 7]);
});
