/**
 * The end-to-end story in a real browser against the running system: Ada signs up, uploads a
 * photo (watching its progress bar), posts it; Ben signs up, follows Ada, finds the post in his
 * feed and likes it; Ada sees the notification. Screenshots of the compose screen, a profile
 * and the feed (desktop and phone) are saved as test artifacts.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { launch, type Session } from './chromium';
import { makePhoto } from './png';

export interface FlowOptions {
  baseUrl: string;
  artifacts: string;
  log?: (line: string) => void;
}

const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };
const PASSWORD = 'correct-horse-battery-7';
/** Events cross services asynchronously: how long to wait for fan-out, notifications and media. */
const EVENTUAL_MS = 45_000;

interface Person {
  email: string;
  username: string;
  displayName: string;
}

function person(role: string, displayName: string, run: string): Person {
  const username = `${role}_${run}`.slice(0, 30);
  return { email: `${username}@example.test`, username, displayName };
}

async function firstPage(context: BrowserContext): Promise<Page> {
  return context.pages()[0] ?? (await context.newPage());
}

/** Retries `check` (reloading between tries when asked) until it passes or time runs out. */
async function eventually(page: Page, what: string, check: () => Promise<boolean>, { reload = true, timeoutMs = EVENTUAL_MS } = {}) {
  const deadline = Date.now() + timeoutMs;
  let delay = 1000;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    // Reload first, then give the fresh page time to fetch before looking again.
    if (reload) await page.reload({ waitUntil: 'domcontentloaded' });
    await page.waitForTimeout(delay);
    delay = Math.min(delay * 1.5, 3000);
  }
}

async function signUp(page: Page, who: Person) {
  await page.goto('/signup');
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Username').fill(who.username);
  await page.getByLabel('Display name (optional)').fill(who.displayName);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.getByRole('heading', { name: 'Home', level: 1 }).waitFor();
}

function watchConsole(page: Page, name: string, log: (l: string) => void) {
  page.on('pageerror', (err) => log(`  [${name}] page error: ${err.message}`));
  page.on('console', (m) => {
    // A signed-out first load tries the refresh cookie and gets 401: expected, not worth a line.
    if (m.type() === 'error' && !/status of 401/.test(m.text())) log(`  [${name}] console error: ${m.text()}`);
  });
}

export async function runFlow({ baseUrl, artifacts, log = console.log }: FlowOptions): Promise<void> {
  mkdirSync(artifacts, { recursive: true });
  const shot = (page: Page, name: string) => page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: false });
  const run = Date.now().toString(36);
  const ada = person('ada', 'Ada Lumen', run);
  const ben = person('ben', 'Ben Follower', run);
  const caption = `Evening light over the coast #lumina${run}`;
  const alt = 'A colour gradient from violet to teal, grainy like film';
  const sessions: Session[] = [];
  let current: { page: Page; step: string } | null = null;

  const step = async <T>(page: Page, name: string, body: () => Promise<T>): Promise<T> => {
    current = { page, step: name };
    const started = Date.now();
    log(`- ${name}`);
    const result = await body();
    log(`  ok (${Date.now() - started} ms)`);
    return result;
  };

  try {
    const a = await launch({ viewport: DESKTOP, baseURL: baseUrl });
    sessions.push(a);
    const adaPage = await firstPage(a.context);
    watchConsole(adaPage, 'ada', log);

    await step(adaPage, `Ada signs up as @${ada.username}`, () => signUp(adaPage, ada));

    await step(adaPage, 'Ada uploads a photo and watches its progress bar', async () => {
      await adaPage.getByRole('link', { name: 'Create', exact: true }).click();
      await adaPage.getByRole('heading', { name: 'New post' }).waitFor();
      // Slow the upload down (as on a phone network) so the bar has something to show.
      const cdp = await a.context.newCDPSession(adaPage);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', {
        offline: false,
        latency: 20,
        downloadThroughput: -1,
        uploadThroughput: 2 * 1024 * 1024,
      });
      await adaPage.evaluate(() => {
        const seen: string[] = [];
        (window as unknown as { __progress: string[] }).__progress = seen;
        new MutationObserver(() => {
          for (const bar of document.querySelectorAll('[role=progressbar]')) seen.push(bar.getAttribute('aria-valuenow') ?? '');
        }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['aria-valuenow'] });
      });

      await adaPage
        .getByLabel('Choose photos')
        .setInputFiles({ name: 'coast.png', mimeType: 'image/png', buffer: makePhoto(1200, 900, 42) });
      const bar = adaPage.getByRole('progressbar', { name: 'Upload of coast.png' });
      await bar.waitFor({ state: 'visible' });
      await adaPage
        .locator('[data-testid=compose-photo][data-status=processing], [data-testid=compose-photo][data-status=ready]')
        .waitFor({ timeout: 60_000 });
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });

      const seen = [...new Set(await adaPage.evaluate(() => (window as unknown as { __progress: string[] }).__progress))].map(Number);
      log(`  progress seen: ${seen.join(', ')}`);
      assert.ok(
        seen.some((p) => p > 0 && p < 100),
        'the progress bar showed partial progress',
      );
      assert.equal(Math.max(...seen), 100);

      // The media service makes the variants; the row turns ready (or shows why not).
      const row = adaPage.getByTestId('compose-photo');
      await eventually(adaPage, 'the photo to be processed', async () => (await row.getAttribute('data-status')) !== 'processing', {
        reload: false,
      });
      assert.equal(await row.getAttribute('data-status'), 'ready', `upload failed: ${await row.textContent()}`);
    });

    await step(adaPage, 'Ada adds alt text and a caption and posts', async () => {
      await adaPage.getByLabel('Alt text for photo 1').fill(alt);
      await adaPage.getByLabel('Caption').fill(caption);
      await shot(adaPage, 'compose');
      await adaPage.setViewportSize(PHONE);
      await shot(adaPage, 'compose-phone');
      await adaPage.setViewportSize(DESKTOP);
      await adaPage.getByRole('button', { name: 'Post', exact: true }).click();
      await adaPage.waitForURL((url) => url.pathname === '/');
      const card = adaPage.getByTestId('post-card').first();
      await card.getByText(caption.split(' #')[0]!).waitFor();
      await card.getByRole('img', { name: alt }).waitFor();
    });

    const b = await launch({ viewport: DESKTOP, baseURL: baseUrl });
    sessions.push(b);
    const benPage = await firstPage(b.context);
    watchConsole(benPage, 'ben', log);

    await step(benPage, `Ben signs up as @${ben.username}`, () => signUp(benPage, ben));

    await step(benPage, `Ben opens Ada's profile and follows her`, async () => {
      await benPage.goto(`/u/${ada.username}`);
      await benPage.getByRole('heading', { name: ada.displayName, level: 1 }).waitFor();
      await benPage.getByRole('button', { name: `Follow ${ada.username}` }).click();
      await benPage.getByRole('button', { name: `Unfollow ${ada.username}` }).waitFor();
      await benPage.getByTestId('follower-count').getByText('1').waitFor();
      // Her post reaches her profile grid through the posts service.
      await eventually(benPage, "Ada's post on her profile", () =>
        benPage
          .getByRole('list', { name: `Posts by ${ada.displayName}` })
          .getByRole('link')
          .first()
          .isVisible(),
      );
      await benPage
        .locator('[data-testid=blurhash]')
        .first()
        .waitFor({ state: 'detached', timeout: 15_000 })
        .catch(() => undefined);
      await shot(benPage, 'profile');
      await benPage.setViewportSize(PHONE);
      await shot(benPage, 'profile-phone');
      await benPage.setViewportSize(DESKTOP);
    });

    const card = benPage.getByTestId('post-card').filter({ hasText: caption.split(' #')[0]! });
    await step(benPage, "Ben finds Ada's post in his home feed", async () => {
      await benPage.goto('/');
      await eventually(benPage, "Ada's post in Ben's feed", () => card.first().isVisible());
      const img = card.getByRole('img', { name: alt });
      await eventually(
        benPage,
        'the feed image to load',
        () => img.evaluate((el) => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalWidth > 0),
        { reload: false },
      );
      const size = await img.evaluate((el) => [(el as HTMLImageElement).naturalWidth, (el as HTMLImageElement).naturalHeight]);
      log(`  feed image ${size.join('×')}`);
      assert.ok(size[0]! <= 1080, 'the feed variant fits 1080 wide');
      await shot(benPage, 'feed');
      await benPage.setViewportSize(PHONE);
      await shot(benPage, 'feed-phone');
      await benPage.setViewportSize(DESKTOP);
    });

    await step(benPage, 'Ben likes it', async () => {
      const like = card.getByRole('button', { name: 'Like' });
      await like.click();
      await card.getByTestId('like-count').getByText('1 like', { exact: true }).waitFor();
      assert.equal(await like.getAttribute('aria-pressed'), 'true');
      // Opened at once, while the like may still be on its way, the post shows it: the client reads
      // the post only after the viewer's own write to it is answered (client/src/lib/own-writes.ts).
      await card
        .getByRole('link', { name: /ago|just now/ })
        .first()
        .click();
      await benPage.waitForURL(/\/p\//);
      await benPage.getByTestId('like-count').getByText('1 like', { exact: true }).waitFor();
      assert.equal(await benPage.getByRole('button', { name: 'Like' }).getAttribute('aria-pressed'), 'true');
      // It stuck: a fresh load of the post (the posts service's own record, not the timeline's copy)
      // shows the like as his.
      await benPage.reload({ waitUntil: 'domcontentloaded' });
      await benPage.getByTestId('like-count').getByText('1 like', { exact: true }).waitFor();
      assert.equal(await benPage.getByRole('button', { name: 'Like' }).getAttribute('aria-pressed'), 'true');
    });

    await step(adaPage, 'Ada sees the unread badge and the notification', async () => {
      await adaPage.goto('/');
      const badge = adaPage.getByTestId('unread-badge');
      await eventually(adaPage, "Ada's unread badge", () => badge.first().isVisible());
      log(`  badge shows ${await badge.first().textContent()}`);
      await adaPage.getByRole('link', { name: /^Notifications, \d+ unread$/ }).click();
      const liked = adaPage.getByTestId('notification').filter({ hasText: `${ben.displayName} liked your post` });
      await eventually(adaPage, 'the like notification', () => liked.first().isVisible());
      await adaPage
        .getByTestId('notification')
        .filter({ hasText: `${ben.displayName} started following you` })
        .first()
        .waitFor();
      await shot(adaPage, 'notifications');
      // Seen: the badge clears.
      await badge.first().waitFor({ state: 'detached', timeout: 10_000 });
    });
  } catch (err) {
    if (current) {
      const { page, step: failed } = current as { page: Page; step: string };
      const file = `failure-${failed.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}`;
      await shot(page, file).catch(() => undefined);
      log(`  FAILED at "${failed}" (screenshot ${file}.png, page ${page.url()})`);
    }
    throw err;
  } finally {
    for (const s of sessions) await s.close();
  }
}
