/**
 * The MongoDB-protocol server the benchmark runs Lumina on.
 *
 * FerretDB 1.24 over SQLite pushes only `_id` lookups down to SQLite: every other query and every
 * update reads the whole collection, so each of them costs time in proportion to the
 * collection's size (measured by the storage probe in this folder). FerretDB 1.24 over PostgreSQL
 * pushes equality filters and `_id` updates down, which is closer to the MongoDB 7 that production
 * runs; so the benchmark starts the same FerretDB release (common's test kit starts it) over the
 * PostgreSQL on 127.0.0.1:5432, in a database of its own that it drops afterwards.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFerretDb, type FerretBackend, type StartedFerret } from '@lumina/common/testing';

export { postgresAvailable } from '@lumina/common/testing';
export type MongoBackend = FerretBackend;
export type { StartedFerret };

export interface FerretOptions {
  backend: MongoBackend;
  /** A name unique to this run (database names, folders). */
  tag: string;
  postgresUrl?: string;
}

/** Servers still running, so an interrupted run leaves none behind (and no database). */
const running = new Set<StartedFerret>();
process.on('exit', () => {
  for (const server of running) server.child.kill('SIGKILL');
});

export async function startFerret(options: FerretOptions): Promise<StartedFerret> {
  const ferret = await startFerretDb({
    backend: options.backend,
    data: { dir: mkdtempSync(join(tmpdir(), 'lumina-bench-ferretdb-')), temporary: true },
    database: `lumina_${options.tag}`.toLowerCase(),
    dropDatabase: true,
    postgresUrl: options.postgresUrl,
  });
  running.add(ferret);
  return {
    ...ferret,
    async stop() {
      running.delete(ferret);
      await ferret.stop();
    },
  };
}
