/**
 * `npm start`: the whole system on one machine. Ctrl-C stops everything cleanly.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { MissingServerError } from '@lumina/common/testing';
import { DEFAULT_PORT } from './entry-point';
import { REPO_ROOT, defaultDataDir, startLocalSystem } from './system';

const started = Date.now();
const step = (message: string) => process.stdout.write(`  \u2022 ${message} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);

async function main(): Promise<void> {
  const port = Number(process.env.LUMINA_PORT ?? DEFAULT_PORT);
  const dataDir = defaultDataDir();
  process.stdout.write(`Starting Lumina (data in ${dataDir})\n`);

  if (!existsSync(join(REPO_ROOT, 'client', 'dist', 'index.html')) && existsSync(join(REPO_ROOT, 'client', 'package.json'))) {
    step('building the web client (first start only)');
    const build = spawnSync('npm', ['run', 'build', '-w', 'client'], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    if (build.status !== 0) step('the client did not build; the API still runs (see the error above)');
  }

  const system = await startLocalSystem({ port, dataDir, onProgress: step, inheritLogs: process.env.LUMINA_LOGS === '1' });
  process.stdout.write(`\nLumina is running: open ${system.url}\n`);
  process.stdout.write(`Service logs: ${join(dataDir, 'logs')} (LUMINA_LOGS=1 prints them here). Ctrl-C stops everything.\n`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\nStopping Lumina…\n');
    await system.stop();
    process.stdout.write('Stopped.\n');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((err: unknown) => {
  // One clear line for what is missing, not a stack trace.
  const message = err instanceof MissingServerError || err instanceof Error ? err.message : String(err);
  process.stderr.write(`\nLumina could not start: ${message}\n`);
  process.exit(1);
});
