/**
 * How the test servers' FerretDB reaches PostgreSQL: without TLS on this machine (encrypting
 * every query between two local processes cost both CPU and protected nothing), as asked
 * anywhere else.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { ferretPostgresUrl, postgresAvailable, startFerretDb } from '../src/testing';

test('a loopback PostgreSQL is reached without TLS; a sslmode the URL names, or another host, is left alone', () => {
  expect(ferretPostgresUrl('postgres://root@127.0.0.1:5432', 'lumina')).toBe('postgres://root@127.0.0.1:5432/lumina?sslmode=disable');
  expect(ferretPostgresUrl('postgres://root@localhost:5432/postgres', 'x')).toBe('postgres://root@localhost:5432/x?sslmode=disable');
  expect(ferretPostgresUrl('postgres://root@127.0.0.1:5432?sslmode=require', 'lumina')).toBe(
    'postgres://root@127.0.0.1:5432/lumina?sslmode=require',
  );
  expect(ferretPostgresUrl('postgres://u:p@db.internal:5432', 'lumina')).toBe('postgres://u:p@db.internal:5432/lumina');
});

const serverUrl = new URL(process.env.POSTGRES_URL ?? 'postgres://root@127.0.0.1:5432');
const onThisMachine = ['127.0.0.1', 'localhost'].includes(serverUrl.hostname);
const withPostgres = onThisMachine && postgresAvailable(serverUrl.toString()) ? test : test.skip;

withPostgres('FerretDB over the local PostgreSQL holds only unencrypted connections', async () => {
  const database = `lumina_tls_${process.pid}`;
  const dir = mkdtempSync(join(tmpdir(), 'ferret-tls-'));
  const ferret = await startFerretDb({
    backend: 'postgresql',
    database,
    postgresUrl: process.env.POSTGRES_URL,
    dropDatabase: true,
    data: { dir, temporary: true },
  });
  const client = await MongoClient.connect(ferret.url);
  try {
    await client
      .db('probe')
      .collection('docs')
      .insertOne({ _id: 'one' } as never);
    expect(
      await client
        .db('probe')
        .collection('docs')
        .findOne({ _id: 'one' } as never),
    ).toEqual({ _id: 'one' });
    const sql = `SELECT count(*) || ' ' || count(*) FILTER (WHERE s.ssl) FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) WHERE a.datname = '${database}'`;
    serverUrl.pathname = '/postgres';
    const result = spawnSync('psql', [serverUrl.toString(), '-Atc', sql], { encoding: 'utf8' });
    const [connections, encrypted] = result.stdout.trim().split(' ').map(Number);
    expect(connections).toBeGreaterThan(0);
    expect(encrypted).toBe(0);
  } finally {
    await client.close();
    await ferret.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
