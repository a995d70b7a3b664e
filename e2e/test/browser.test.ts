/**
 * The client's browser flow (client/browser/flow.ts) in real headless Chromium (Debian's
 * package, driven by playwright-core) against the one-machine system: sign up, upload with a
 * progress bar, post, a follower sees it and likes it, the author is notified. Screenshots of
 * the feed, a profile and the compose screen land in test-artifacts/screenshots/, and one of each
 * service's Swagger UI (<prefix>/docs/ through NGINX) as docs-<service>.png.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startE2eSystem, type E2eSystem } from './support';

const root = join(__dirname, '..', '..');
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let e2e: E2eSystem;
beforeAll(async () => {
  if (!existsSync(join(root, 'client', 'dist', 'index.html'))) {
    // The entry point (NGINX) serves the production build; make it once if it is missing.
    // NODE_ENV=production: Jest sets `test`, which would bundle React's development build.
    const build = spawnSync('npm', ['run', 'build', '-w', 'client'], {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, NODE_ENV: 'production' },
    });
    if (build.status !== 0) throw new Error('the client did not build');
  }
  e2e = await startE2eSystem();
}, 240_000);
afterAll(() => e2e?.stop(), 60_000);

/** Runs the flow as its own process, asynchronously: this process supervises the services and must stay responsive. */
function runBrowserFlow(url: string, args: string[] = []): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    // `node --import tsx`, one process: the `tsx` wrapper would pass the SIGKILL below to nobody,
    // leaving the flow (and its Chromium) running after the test gave up on it.
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'client', 'browser', 'run.ts'), ...args], {
      cwd: root,
      env: { ...process.env, LUMINA_URL: url },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

test('a person signs up, posts a photo, a follower sees and likes it, and the author is notified — in Chromium', async () => {
  if (!existsSync(chromium)) throw new Error(`no Chromium at ${chromium}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  const run = await runBrowserFlow(e2e.url);
  if (run.code !== 0) throw new Error(`browser flow failed (exit ${run.code}):\n${run.output}`);
  expect(run.output).toContain('browser flow passed');
  for (const shot of ['feed.png', 'profile.png', 'compose.png']) {
    expect(existsSync(join(root, 'test-artifacts', 'screenshots', shot))).toBe(true);
  }
}, 200_000);

test('two tabs whose session expired reload at once: one refresh at a time, and both stay signed in — in Chromium', async () => {
  if (!existsSync(chromium)) throw new Error(`no Chromium at ${chromium}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  const run = await runBrowserFlow(e2e.url, ['--two-tabs']);
  if (run.code !== 0) throw new Error(`two-tab flow failed (exit ${run.code}):\n${run.output}`);
  expect(run.output).toContain('two-tab refresh passed');
}, 200_000);

test("every service's Swagger UI opens through the entry point and shows each of its operations — in Chromium", async () => {
  if (!existsSync(chromium)) throw new Error(`no Chromium at ${chromium}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  const run = await runBrowserFlow(e2e.url, ['--api-docs']);
  if (run.code !== 0) throw new Error(`api docs flow failed (exit ${run.code}):\n${run.output}`);
  expect(run.output).toContain('api docs passed');
  for (const service of ['auth', 'posts', 'media', 'search', 'timeline']) {
    expect(existsSync(join(root, 'test-artifacts', 'screenshots', `docs-${service}.png`))).toBe(true);
  }
}, 200_000);
