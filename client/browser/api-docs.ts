/**
 * Every service's Swagger UI (`<prefix>/docs/`, through the entry point) in Chromium: the page
 * renders one operation per operation of the service's /openapi.json, under the document's
 * title, with no error in the console (Swagger UI runs under the docs page's CSP); a screenshot
 * of each lands in the artifacts as docs-<service>.png.
 */
import { join } from 'node:path';
import { contracts } from '@lumina/contract';
import { launch } from './chromium';

/** Each service's API prefix (its contract's, which infra/routes.json routes), by service. */
const SERVICES: Record<string, string> = Object.fromEntries(Object.entries(contracts).map(([service, c]) => [service, c.prefix]));

export async function runApiDocs(options: { baseUrl: string; artifacts: string; log?: (line: string) => void }): Promise<void> {
  const log = options.log ?? console.log;
  const session = await launch({ viewport: { width: 1280, height: 1400 } });
  try {
    for (const [service, prefix] of Object.entries(SERVICES)) {
      const spec = (await (await fetch(`${options.baseUrl}${prefix}/openapi.json`)).json()) as {
        info: { title: string };
        paths: Record<string, Record<string, unknown>>;
      };
      const operations = Object.values(spec.paths).reduce((n, ops) => n + Object.keys(ops).length, 0);
      const page = await session.context.newPage();
      const errors: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(message.text());
      });
      page.on('pageerror', (err) => errors.push(err.message));
      // Without the trailing slash: the service's redirect must keep the prefix.
      await page.goto(`${options.baseUrl}${prefix}/docs`);
      await page.waitForFunction((n) => document.querySelectorAll('.opblock').length === n, operations, { timeout: 30_000 });
      const title = (await page.locator('.info .title').first().innerText()).trim();
      if (!title.startsWith(spec.info.title)) throw new Error(`${service}: Swagger UI shows "${title}", not "${spec.info.title}"`);
      if (errors.length > 0) throw new Error(`${service}: the docs page logged errors: ${errors.join('; ')}`);
      await page.screenshot({ path: join(options.artifacts, `docs-${service}.png`), fullPage: false });
      log(`  ${service}: ${prefix}/docs/ shows ${operations} operations`);
      await page.close();
    }
  } finally {
    await session.close();
  }
}
