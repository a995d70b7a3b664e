/**
 * Two tabs of one person whose access token has expired reload at the same moment: both find the
 * session gone and want to refresh it with the one refresh cookie they share. The server revokes a
 * refresh family when a used token comes back, so the tabs must take turns, and the second must
 * notice the first already renewed the cookies. Run once with the Web Locks API and once without
 * it (as on plain HTTP to a LAN address, where browsers do not offer it), where the client falls
 * back to a BroadcastChannel.
 */
import assert from 'node:assert/strict';
import { authRoutes, pathFor, type RouteAnswer } from '@lumina/contract';
import type { Page, Route } from 'playwright-core';
import { launch } from './chromium';

export interface TwoTabsOptions {
  baseUrl: string;
  webLocks: boolean;
  log?: (line: string) => void;
}

/** How long a refresh is held back waiting for the other tab's, to make the race certain. */
const HOLD_MS = 3000;

async function homeShown(page: Page): Promise<void> {
  await page.getByRole('heading', { name: 'Home', level: 1 }).waitFor({ timeout: 30_000 });
}

export async function runTwoTabs({ baseUrl, webLocks, log = console.log }: TwoTabsOptions): Promise<void> {
  const session = await launch({ baseURL: baseUrl });
  const { context } = session;
  try {
    if (!webLocks) {
      // A string, not a function: tsx's compiled functions call helpers the page does not have.
      await context.addInitScript({
        content: "Object.defineProperty(Navigator.prototype, 'locks', { get: () => undefined, configurable: true });",
      });
    }
    const run = `${Date.now().toString(36)}${webLocks ? 'l' : 'b'}`;
    const username = `tabs_${run}`.slice(0, 30);
    // The context's own request client: its cookies are the tabs' cookies. Same origin, like the client.
    const signup = await context.request.post(pathFor(authRoutes.signUp), {
      data: { email: `${username}@example.test`, username, password: 'correct-horse-battery-7' },
      headers: { Origin: new URL(baseUrl).origin },
    });
    assert.equal(signup.status(), 201, `sign-up answered ${signup.status()}`);

    const tabA = context.pages()[0] ?? (await context.newPage());
    const tabB = await context.newPage();
    await Promise.all([tabA.goto('/'), tabB.goto('/')]);
    await Promise.all([homeShown(tabA), homeShown(tabB)]);
    const hasLocks = await tabA.evaluate(() => typeof navigator.locks !== 'undefined');
    assert.equal(hasLocks, webLocks, 'Web Locks present as intended');

    // Fifteen minutes later: the access token is gone, the refresh cookie is still good.
    await context.clearCookies({ name: 'session' });

    // Every refresh is held until the other tab's arrives too (or HOLD_MS passes), so that two
    // refreshes that were not serialised would certainly present the same token.
    const presented: string[] = [];
    const origins: Array<string | undefined> = [];
    const refreshes = `**${pathFor(authRoutes.refresh)}`;
    await context.route(refreshes, async (route: Route) => {
      const headers = await route.request().allHeaders();
      presented.push(/(?:^|;\s*)refresh=([^;]+)/.exec(headers.cookie ?? '')?.[1] ?? '');
      origins.push(headers.origin);
      const deadline = Date.now() + HOLD_MS;
      while (presented.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      await route.continue();
    });

    await Promise.all([tabA.reload(), tabB.reload()]);
    await Promise.all([homeShown(tabA), homeShown(tabB)]);
    log(`  refreshes sent: ${presented.length}, Origin: ${origins.join(', ')}`);
    assert.ok(presented.length >= 1, 'the tabs renewed the session');
    assert.equal(new Set(presented).size, presented.length, 'no refresh token was presented twice');

    // Still signed in afterwards, and the refresh family is alive: a reload and a refresh both work.
    await context.unroute(refreshes);
    const me = await context.request.get(pathFor(authRoutes.currentUser));
    assert.equal(((await me.json()) as RouteAnswer<typeof authRoutes.currentUser>).currentUser?.username, username);
    const again = await context.request.post(pathFor(authRoutes.refresh), { headers: { Origin: new URL(baseUrl).origin } });
    assert.equal(again.status(), 200, 'the refresh family survived');
    await tabB.reload();
    await homeShown(tabB);
  } finally {
    await session.close();
  }
}
