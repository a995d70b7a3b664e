/**
 * Browser tests against the running one-machine system:
 *   LUMINA_URL=http://127.0.0.1:PORT npx tsx client/browser/run.ts [--two-tabs | --api-docs]
 * Screenshots go to test-artifacts/screenshots/ (or LUMINA_SCREENSHOTS). Without LUMINA_URL
 * there is nothing to test against, so it says so and exits 0.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runApiDocs } from './api-docs';
import { CHROMIUM } from './chromium';
import { runFlow } from './flow';
import { runTwoTabs } from './two-tabs';

async function main(): Promise<number> {
  const baseUrl = process.env.LUMINA_URL;
  if (!baseUrl) {
    console.log('browser tests skipped: LUMINA_URL is not set (start the system, then LUMINA_URL=http://127.0.0.1:PORT)');
    return 0;
  }
  if (!existsSync(CHROMIUM)) {
    console.error(`no browser at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
    return 1;
  }
  const artifacts = resolve(process.env.LUMINA_SCREENSHOTS ?? join(__dirname, '..', '..', 'test-artifacts', 'screenshots'));
  console.log(`browser flow against ${baseUrl}, screenshots in ${artifacts}`);
  const started = Date.now();
  try {
    if (process.argv.includes('--two-tabs')) {
      for (const webLocks of [true, false]) {
        console.log(`- two tabs refresh at once (${webLocks ? 'Web Locks' : 'BroadcastChannel fallback'})`);
        await runTwoTabs({ baseUrl, webLocks });
      }
      console.log(`two-tab refresh passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return 0;
    }
    if (process.argv.includes('--api-docs')) {
      mkdirSync(artifacts, { recursive: true });
      await runApiDocs({ baseUrl, artifacts });
      console.log(`api docs passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return 0;
    }
    await runFlow({ baseUrl, artifacts });
    console.log(`browser flow passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return 0;
  } catch (err) {
    console.error('browser flow failed:', err instanceof Error ? (err.stack ?? err.message) : err);
    return 1;
  }
}

void main().then((code) => process.exit(code));
