// Browser specs: Debian's Chromium driven by playwright-core against the real app (web/dist served by the server).
// Pages are found by role and label, as a user (or a screen reader) finds them.
import AxeBuilder from '@axe-core/playwright';
import { mkdirSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import type { TestApp } from '../helpers/app.js';
import type { TestUser } from '../helpers/factories.js';

export const SCREENSHOTS = join(import.meta.dirname, 'screenshots');

const ARGS = ['--no-sandbox', '--disable-gpu'];

/** Chromium's path (Debian's unless CHROMIUM_PATH says otherwise) or the features it starts without: global-setup.mjs. */
function fromGlobalSetup(name: 'CHROMIUM_PATH' | 'CHROMIUM_DISABLE_FEATURES'): string {
  const value = process.env[name];
  if (!value)
    throw new Error(`${name} is unset: the browser specs run in Jest's web project (test/web/global-setup.mjs)`);
  return value;
}

export async function launchBrowser(): Promise<Browser> {
  // A worker that ran other specs first has their lower priority (test/setup/beside-browsers.ts); the app and Chromium
  // go back to Jest's where allowed (root, as CI runs), else run at the others'.
  try {
    setPriority(getPriority(process.ppid));
  } catch {
    // Not allowed to lower the nice value again.
  }
  return chromium.launch({
    executablePath: fromGlobalSetup('CHROMIUM_PATH'),
    headless: true,
    args: [...ARGS, fromGlobalSetup('CHROMIUM_DISABLE_FEATURES')],
  });
}

/** Every target of the browser (pages, and Chromium's own, such as its windows' WebUI), by type and URL. */
export async function browserTargets(browser: Browser): Promise<Array<{ type: string; url: string }>> {
  const cdp = await browser.newBrowserCDPSession();
  try {
    const { targetInfos } = await cdp.send('Target.getTargets', { filter: [{}] });
    return targetInfos.map(({ type, url }) => ({ type, url }));
  } finally {
    await cdp.detach();
  }
}

/** A fresh context (its own storage, like another person's browser) in English, optionally signed in as `user`. */
export async function newContext(browser: Browser, user?: TestUser, locale = 'en-US'): Promise<BrowserContext> {
  const context = await browser.newContext({ locale, viewport: { width: 1280, height: 800 } });
  context.setDefaultTimeout(10_000);
  // What the app's Content-Security-Policy refuses on each page, for seriousViolations.
  await context.addInitScript(`{
    window.cspViolations = [];
    document.addEventListener('securitypolicyviolation', (event) =>
      window.cspViolations.push(event.effectiveDirective + ' refused ' + (event.blockedURI || 'inline code')));
  }`);
  if (user) {
    const session = JSON.stringify({
      token: user.token,
      user: { id: user.id, email: user.email, displayName: user.displayName, role: user.role, createdAt: '' },
    });
    const key = JSON.stringify('realtime-hub.session');
    await context.addInitScript(
      `if (!localStorage.getItem(${key})) localStorage.setItem(${key}, ${JSON.stringify(session)});`,
    );
  }
  return context;
}

/** Opens `path` and waits until the connection state says online. */
export async function openSignedIn(context: BrowserContext, baseUrl: string, path: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(baseUrl + path);
  await connectionIs(page, 'online');
  return page;
}

/**
 * Waits until the connection state says `state`. 15 s by default: on a CI machine whose cores the whole run keeps
 * busy, a page once took more than 10 s to show `reconnecting` after its connections were dropped.
 */
export async function connectionIs(page: Page, state: string, timeout = 15_000): Promise<void> {
  await connectionState(page, state).waitFor({ timeout });
}

/** The connection state's line of the page, when it says `state`. */
export function connectionState(page: Page, state: string): Locator {
  return page.locator('[role="status"][data-state]').and(page.locator(`[data-state="${state}"]`));
}

/**
 * Serious and critical axe-core violations of the page as it is now, and whatever its Content-Security-Policy refused
 * since it loaded (a page of a context made by newContext), with what failed, for the message.
 */
export async function seriousViolations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).analyze();
  const refused = (await page.evaluate(
    'window.cspViolations ?? ["no CSP listener: make the context with newContext"]',
  )) as string[];
  return [
    ...result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
    ...refused.map((what) => `CSP: ${what}`),
  ];
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
}

/** The app's script chunks the page has fetched so far, by name (`Dashboard-<hash>.js` → `Dashboard`). */
export async function loadedChunks(page: Page): Promise<string[]> {
  const names = await page.evaluate(() => performance.getEntriesByType('resource').map((entry) => entry.name));
  return names.flatMap((name) => /\/assets\/([A-Za-z]+)-[\w-]+\.js$/.exec(new URL(name).pathname)?.[1] ?? []);
}

/**
 * Lets the context's pages show desktop notifications, and keeps what each page showed in `window.__shown` (the
 * browser's own Notification does the showing; a headless browser has no desktop to look at).
 */
export async function recordDesktopNotifications(context: BrowserContext, origin: string): Promise<void> {
  await context.grantPermissions(['notifications'], { origin });
  await context.addInitScript(`{
    const Shown = window.Notification;
    const shown = (window.__shown = []);
    window.Notification = class extends Shown {
      constructor(title, options = {}) {
        super(title, options);
        shown.push({ title, body: options.body, tag: options.tag, notification: this });
      }
    };
  }`);
}

/** The desktop notifications the page showed, oldest first. */
export async function shownOnDesktop(page: Page): Promise<Array<{ title: string; body?: string; tag?: string }>> {
  return page.evaluate(`window.__shown.map(({ title, body, tag }) => ({ title, body, tag }))`) as Promise<
    Array<{ title: string; body?: string; tag?: string }>
  >;
}

/**
 * Puts the page behind another tab of its context, its window losing the focus as a real one does (Playwright
 * otherwise tells every page it has the focus); answers how to bring it back in front.
 */
export async function putBehind(page: Page): Promise<() => Promise<void>> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Emulation.setFocusEmulationEnabled', { enabled: false });
  const other = await page.context().newPage();
  await other.bringToFront();
  await until(async () => !(await page.evaluate('document.hasFocus()')), 'the page is behind another');
  return async () => {
    await other.close();
    await page.bringToFront();
    await until(async () => Boolean(await page.evaluate('document.hasFocus()')), 'the page is in front again');
  };
}

/**
 * Polls `check` until it holds, 50 ms after the first look and half as long again after each, up to 300 ms; fails
 * with `what` after `timeoutMs` (a last look comes after it). Each look is a query of the page (by role, most often:
 * every element's accessible name), and Chromium and the app do it: every 50 ms throughout, the screens spec took 144
 * and 147 CPU-seconds of the machine, 131 so (2026-12-02).
 */
export async function until(check: () => Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let pause = 50; !(await check()); pause = Math.min(pause * 1.5, 300)) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}

/**
 * Polls `check` as until() does, moving the page's clock (installed on its context before the page loaded) a second on
 * at each turn: the page's own timers (the client's 8 s before it polls, its polls every 5 s, Socket.IO's backoff) come
 * due at once, where waiting them out in real time made up most of a browser spec's length. What the server does on
 * its own time is not hurried.
 */
export async function hurryUntil(page: Page, check: () => Promise<boolean>, what: string): Promise<void> {
  await until(async () => (await check()) || (await page.clock.fastForward(1000).then(() => false)), what);
}

/** Waits until the connection state says `state`, the page's clock hurried (see hurryUntil). */
export async function hurriedConnectionIs(page: Page, state: string): Promise<void> {
  const shown = connectionState(page, state);
  await hurryUntil(page, async () => (await shown.count()) > 0, `the connection state says ${state}`);
}

/**
 * A browser spec's teardown: Chromium, then the app, each waited for at most a bound of its own (20 s, 30 s). The chat
 * spec's `afterAll` overran Jest's 60 s twice in loaded CI runs and never in a local one, even under the same load;
 * bounded, a slow exit costs the run time instead of failing a file whose tests passed, and stderr says which overran.
 */
export async function closeBrowserAndApp(browser?: Browser, app?: TestApp): Promise<void> {
  await closeWithin('Chromium', () => browser?.close(), 20_000);
  await closeWithin('The app', () => app?.close(), 30_000);
}

/** Waits for a teardown step at most `ms`, then goes on and says on stderr that it overran. */
async function closeWithin(what: string, step: () => Promise<unknown> | undefined, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const overran = new Promise<'overran'>((resolve) => (timer = setTimeout(() => resolve('overran'), ms)));
  const outcome = await Promise.race([Promise.resolve(step()).then(() => 'closed' as const), overran]);
  clearTimeout(timer);
  if (outcome === 'overran') process.stderr.write(`${what} did not close within ${ms} ms; going on without it\n`);
}
