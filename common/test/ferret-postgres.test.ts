/**
 * How the test servers' FerretDB reaches PostgreSQL: without TLS on this machine (encrypting
 * every query between two local processes cost both CPU and protected nothing), as asked
 * anywhere else; committing as MongoDB acknowledges a w:1 write (see ferretPostgresUrl). The
 * servers reject a connection whose parameter they do not take, so the FerretDB test below
 * also shows that PostgreSQL accepted the one set here.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { ferretPostgresUrl, postgresAvailable, startFerretDb } from '../src/testing';

test('a loopback PostgreSQL is reached without TLS; a sslmode the URL names, or another host, is left alone', () => {
  const url = (server: string, database: string) => new URL(ferretPostgresUrl(server, database));
  expect(url('postgres://root@127.0.0.1:5432', 'lumina').searchParams.get('sslmode')).toBe('disable');
  expect(url('postgres://root@localhost:5432/postgres', 'x').searchParams.get('sslmode')).toBe('disable');
  expect(url('postgres://root@localhost:5432/postgres', 'x').pathname).toBe('/x');
  expect(url('postgres://root@127.0.0.1:5432?sslmode=require', 'lumina').searchParams.get('sslmode')).toBe('require');
  expect(url('postgres://u:p@db.internal:5432', 'lumina').searchParams.has('sslmode')).toBe(false);
  expect(url('postgres://u:p@db.internal:5432', 'lumina').host).toBe('db.internal:5432');
});

test("FerretDB's sessions commit without waiting for the disk, unless the URL names synchronous_commit", () => {
  const commit = (server: string) => new URL(ferretPostgresUrl(server, 'lumina')).searchParams.get('synchronous_commit');
  expect(commit('postgres://root@127.0.0.1:5432')).toBe('off');
  expect(commit('postgres://u:p@db.internal:5432')).toBe('off');
  expect(commit('postgres://root@127.0.0.1:5432?synchronous_commit=on')).toBe('on');
  const asOptions = new URL(ferretPostgresUrl('postgres://root@127.0.0.1:5432?options=-csynchronous_commit%3Don', 'lumina'));
  expect(asOptions.searchParams.has('synchronous_commit')).toBe(false);
  expect(asOptions.searchParams.get('options')).toBe('-csynchronous_commit=on');
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
