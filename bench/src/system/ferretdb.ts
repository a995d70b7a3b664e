/**
 * The MongoDB-protocol server the benchmark runs Lumina on.
 *
 * FerretDB 1.24 over SQLite (what `npm start` uses here when there is no mongod) pushes only
 * `_id` lookups down to SQLite: every other query and every update reads the whole collection,
 * so each of them costs time in proportion to the collection's size (measured by the storage
 * probe in this folder). A Reed98-sized timeline then takes hours to load and seconds to read.
 * FerretDB 1.24 over PostgreSQL pushes equality filters and `_id` updates down, and PostgreSQL
 * uses the indexes, which is closer to the MongoDB 7 that production runs; so the benchmark
 * starts the same FerretDB release over the PostgreSQL on 127.0.0.1:5432, in a database of its
 * own that it drops afterwards.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binDir, freePort, waitForPort } from '@lumina/common/testing';

export type MongoBackend = 'postgresql' | 'sqlite';

export interface StartedFerret {
  url: string;
  backend: MongoBackend;
  /** The PostgreSQL database it keeps its data in (postgresql backend only). */
  database?: string;
  stop(): Promise<void>;
}

export interface FerretOptions {
  backend: MongoBackend;
  /** A name unique to this run (database names, folders). */
  tag: string;
  postgresUrl?: string;
}

const DEFAULT_POSTGRES = 'postgres://root@127.0.0.1:5432';

/** Servers still running, so an interrupted run leaves none behind (and no database). */
const running = new Set<{ child: ChildProcess; cleanUp: () => void }>();
process.on('exit', () => {
  for (const server of running) {
    server.child.kill('SIGKILL');
    server.cleanUp();
  }
});

function psql(serverUrl: string, sql: string): { ok: boolean; error: string } {
  const url = new URL(serverUrl);
  url.pathname = '/postgres';
  const result = spawnSync('psql', [url.toString(), '-v', 'ON_ERROR_STOP=1', '-Atc', sql], { encoding: 'utf8' });
  return { ok: result.status === 0, error: (result.stderr || result.error?.message || '').trim() };
}

/** Whether PostgreSQL answers at the URL (through psql, which the FerretDB set-up needs anyway). */
export function postgresAvailable(serverUrl = process.env.BENCH_POSTGRES_URL ?? DEFAULT_POSTGRES): boolean {
  return psql(serverUrl, 'SELECT 1').ok;
}

export async function startFerret(options: FerretOptions): Promise<StartedFerret> {
  const port = await freePort();
  const stateDir = mkdtempSync(join(tmpdir(), 'lumina-bench-ferretdb-'));
  const args = [
    `--listen-addr=127.0.0.1:${port}`,
    `--state-dir=${stateDir}`,
    '--debug-addr=127.0.0.1:0',
    '--telemetry=disable',
    '--log-level=ERROR',
  ];
  let database: string | undefined;
  const serverUrl = options.postgresUrl ?? process.env.BENCH_POSTGRES_URL ?? DEFAULT_POSTGRES;
  if (options.backend === 'postgresql') {
    database = `lumina_${options.tag}`;
    const created = psql(serverUrl, `CREATE DATABASE "${database}"`);
    if (!created.ok) throw new Error(`could not create PostgreSQL database ${database} at ${serverUrl}: ${created.error}`);
    const url = new URL(serverUrl);
    url.pathname = `/${database}`;
    args.push('--handler=postgresql', `--postgresql-url=${url.toString()}`);
  } else {
    args.push('--handler=sqlite', `--sqlite-url=file:${stateDir}/`);
  }
  const child: ChildProcess = spawn(join(binDir(), 'ferretdb'), args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2000);
  });
  try {
    await waitForPort(port);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`FerretDB (${options.backend}) did not start: ${(err as Error).message} ${stderr}`);
  }
  const cleanUp = () => {
    if (database) psql(serverUrl, `DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    rmSync(stateDir, { recursive: true, force: true });
  };
  const entry = { child, cleanUp };
  running.add(entry);
  return {
    url: `mongodb://127.0.0.1:${port}`,
    backend: options.backend,
    database,
    async stop() {
      running.delete(entry);
      await new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      });
      cleanUp();
    },
  };
}
