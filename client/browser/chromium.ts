/**
 * Debian's chromium driven by playwright-core (no browser download), with the flags this
 * project's machines need and a fresh profile directory each launch.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Session {
  context: BrowserContext;
  close: () => Promise<void>;
}

/** A browser with its own profile: cookies of one user never leak into another's. */
export async function launch(options: { viewport?: { width: number; height: number }; baseURL?: string } = {}): Promise<Session> {
  const profile = mkdtempSync(join(tmpdir(), 'lumina-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: options.viewport ?? { width: 1280, height: 900 },
    baseURL: options.baseURL,
  });
  return {
    context,
    close: async () => {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
