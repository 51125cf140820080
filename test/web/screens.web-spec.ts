// Every screen in the browser: sign up and sign in through the forms; each signed-in screen loads live data, passes
// axe-core with no serious or critical violation, and is saved as a screenshot (test/web/screenshots, git-ignored).
// Also: the bell's live badge, mark read / all read and links; the unread counts of the tab's title and desktop
// notifications for a tab behind others; a screen whose code cannot be fetched; the admin's people screen; a document
// edit conflict with keep mine; a double click that acts once; unsaved text kept; a job's live progress and log, a
// list's next page (101 live jobs), the language switch; lists that cannot load offline (they say so, not "No … yet.":
// the user's lists, the conversations, the kiosks' admin), and the dashboard's chart: its first point at once, its
// width following the window's. A long job log scrolls from the keyboard; the people found are read again past 100;
// a refused total of pages is named in French.
import { jest } from '@jest/globals';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { startApp, type TestApp } from '../helpers/app.js';
import { createUsers, loginAdmin, registerUser, type TestUser, uniqueEmail } from '../helpers/factories.js';
import { http } from '../helpers/http.js';
import { createKiosk } from '../helpers/kiosk.js';
import { closeAllSockets, connect, emitAck } from '../helpers/sockets.js';
import {
  browserTargets,
  closeBrowserAndApp,
  connectionIs,
  launchBrowser,
  loadedChunks,
  newContext,
  openSignedIn,
  putBehind,
  recordDesktopNotifications,
  screenshot,
  seriousViolations,
  shownOnDesktop,
  until,
} from './browser.js';

jest.setTimeout(60_000);

/** The focused element, as a tag and its text: `BODY` when the focus was lost to the page. */
async function focused(page: Page): Promise<string> {
  return (await page.evaluate(
    `(document.activeElement?.tagName ?? 'none') + ': ' + (document.activeElement?.textContent ?? '').trim().slice(0, 60)`,
  )) as string;
}

/** Lets React settle after the press (the element that had the focus may go on the next render). */
async function settle(page: Page): Promise<void> {
  await page.waitForTimeout(300);
}

describe('Screens in the browser', () => {
  let app: TestApp;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  let admin: TestUser;
  let alice: TestUser;
  let bob: TestUser;
  let conversationId: string;
  let documentId: string;
  let jobId: string;
  let workerToken: string;

  beforeAll(async () => {
    [app, browser] = await Promise.all([startApp(), launchBrowser()]);
    admin = await loginAdmin(app);
    alice = await registerUser(app, 'Alice Martin');
    bob = await registerUser(app, 'Bob Durand');
    conversationId = (await api(alice.token, 'POST', '/api/v1/conversations', { memberIds: [bob.id] })).id;
    for (const [token, body] of [
      [alice.token, 'Morning Bob! Are the minutes of the council ready?'],
      [bob.token, 'Almost: I am adding the budget vote.'],
      [alice.token, 'Great, send them when done.'],
    ]) {
      await api(token, 'POST', `/api/v1/conversations/${conversationId}/messages`, { body });
    }
    const suggestion = await api(bob.token, 'POST', '/api/v1/suggestions', {
      title: 'More benches in the park',
      description: 'Near the playground',
    });
    await api(alice.token, 'PUT', `/api/v1/suggestions/${suggestion.id}/vote`, { value: 1 });
    await api(alice.token, 'POST', '/api/v1/suggestions', { title: 'A bike repair station', description: '' });
    documentId = (
      await api(alice.token, 'POST', '/api/v1/resources', {
        name: 'Council minutes',
        visibility: 'public',
        data: { text: 'Agenda: 1. Budget 2. Parks', attendees: ['Alice', 'Bob'] },
      })
    ).id;
    jobId = (await api(alice.token, 'POST', '/api/v1/jobs', { name: 'Scrape the events calendar', totalPages: 10 })).id;
    workerToken = (await api(alice.token, 'POST', `/api/v1/jobs/${jobId}/token`)).token;
    await api(workerToken, 'POST', `/api/v1/jobs/${jobId}/events`, { type: 'job_started', data: { totalPages: 10 } });
    await api(workerToken, 'POST', `/api/v1/jobs/${jobId}/events`, {
      type: 'job_progress',
      data: { pagesScraped: 3, currentPage: 4 },
    });
    await api(admin.token, 'POST', '/api/v1/kiosk/workstations', { name: 'Library PC 1' });
    await api(admin.token, 'POST', '/api/v1/kiosk/sessions', { durationSeconds: 3600, holderName: 'Camille' });
  });
  afterAll(() => closeBrowserAndApp(browser, app));
  // Each test's browsers closed as it ends: open, their pages went on rendering what the app pushed to them (the
  // admin's live statistics, each tick of a relative time) through every later test of the file.
  // A test that ends on a dismissed beforeunload prompt (the unsaved-text one) can leave its page closing as its
  // context closes; Playwright then says the context "has been closed", which is what was asked.
  afterEach(async () => {
    for (const context of contexts.splice(0)) {
      await context.close().catch((err: Error) => {
        if (!err.message.includes('has been closed')) throw err;
      });
    }
  });

  async function context(user?: TestUser, locale?: string) {
    const created = await newContext(browser, user, locale);
    contexts.push(created);
    return created;
  }

  /** A request that must succeed: its body. */
  async function api(token: string, method: string, path: string, body?: unknown) {
    const res = await http(app.url, method, path, { token, body });
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  async function open(user: TestUser, path: string, locale?: string) {
    return openSignedIn(await context(user, locale), app.url, path);
  }

  /**
   * The page's next read of the people list from its first page (a reload: no cursor) answered `ms` late, the server
   * having read it at once; answers where that read stands.
   */
  async function slowNextPeopleRead(page: Page, ms: number): Promise<() => 'no' | 'read' | 'handed over'> {
    let slowed: 'no' | 'read' | 'handed over' = 'no';
    await page.route('**/api/v1/users?*', async (route) => {
      const request = route.request();
      if (request.method() !== 'GET' || request.url().includes('cursor=') || slowed !== 'no') return route.fallback();
      const response = await route.fetch();
      slowed = 'read';
      await new Promise((resolve) => setTimeout(resolve, ms));
      await route.fulfill({ response });
      slowed = 'handed over';
    });
    return () => slowed;
  }

  async function checkScreen(page: Page, name: string) {
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, name);
  }

  // The specs' CPU, not the app's behaviour: should a later Chromium rename the two features the browsers start
  // without, every page would again cost a renderer of its own for them, and nothing else would tell.
  it('runs Chromium without its address bar’s popups (test/web/global-setup.mjs)', async () => {
    await (await context()).newPage();
    const targets = await browserTargets(browser);
    expect(targets.filter((target) => target.type === 'page')).toHaveLength(1);
    expect(targets.filter((target) => target.url.includes('omnibox-popup'))).toEqual([]);
  });

  it('signs up and signs in through the forms', async () => {
    const page = await (await context()).newPage();
    await page.goto(`${app.url}/chat`);
    // Not signed in: the app sends the visitor to sign in. The file's first page: a cold browser parses the bundle
    // for the first time, which on a busy CI machine took longer than the usual 10 s once.
    await page.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: 30_000 });
    await checkScreen(page, 'signin');

    await page.getByRole('link', { name: /Sign up/ }).click();
    await page.getByRole('heading', { name: 'Sign up' }).waitFor();
    await checkScreen(page, 'signup');
    const email = uniqueEmail('web');
    await page.getByRole('textbox', { name: 'Display name' }).fill('Dominique');
    await page.getByRole('textbox', { name: 'Email' }).fill(email);
    await page.getByLabel('Password').fill('password-123');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await connectionIs(page, 'online');
    expect(new URL(page.url()).pathname).toBe('/chat');
    await page.getByText('Dominique').waitFor();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByRole('textbox', { name: 'Email' }).fill(email);
    await page.getByLabel('Password').fill('wrong-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    // A sentence, not the error code.
    await page.getByRole('alert').filter({ hasText: 'Wrong email or password' }).waitFor();
    expect(await page.getByRole('alert').innerText()).not.toContain('UNAUTHORIZED');
    // Worded when shown: in the language chosen after it (it stayed in English).
    await page.getByRole('combobox', { name: 'Language' }).selectOption('fr');
    await page.getByRole('alert').filter({ hasText: 'E-mail ou mot de passe incorrect' }).waitFor();
    await page.getByRole('combobox', { name: 'Langue' }).selectOption('en');
    await page.getByLabel('Password').fill('password-123');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await connectionIs(page, 'online');
  });

  it("every user's screen shows its data and passes axe", async () => {
    const page = await openSignedIn(await context(alice), app.url, `/chat/${conversationId}`);
    await page.getByRole('log', { name: 'Messages' }).getByText('Great, send them when done.').waitFor();
    await checkScreen(page, 'chat');

    await page.getByRole('link', { name: 'Suggestions' }).click();
    await page
      .getByRole('article', { name: 'More benches in the park' })
      .getByText(/Score: 1 ·/)
      .waitFor();
    await checkScreen(page, 'suggestions');

    await page.getByRole('link', { name: 'Documents' }).click();
    await page.getByRole('link', { name: 'Council minutes' }).waitFor();
    // Its version, who may read it, and when it was saved, in words (made as this file's specs began).
    await page.getByText(/^version 1 · public · saved (just now|\d+ minutes? ago)$/).waitFor();
    await checkScreen(page, 'documents');
    await page.getByRole('link', { name: 'Council minutes' }).click();
    await page.getByRole('textbox', { name: 'Content' }).waitFor();
    expect(await page.getByRole('textbox', { name: 'Content' }).inputValue()).toBe('Agenda: 1. Budget 2. Parks');
    await checkScreen(page, 'document');

    await page.getByRole('link', { name: 'Jobs', exact: true }).click();
    await page.getByRole('progressbar', { name: 'Progress of Scrape the events calendar' }).waitFor();
    await checkScreen(page, 'jobs');
    await page.getByRole('link', { name: 'Scrape the events calendar' }).click();
    await page.getByRole('log', { name: 'Event log' }).getByText('progress', { exact: true }).waitFor();
    await checkScreen(page, 'job');
    // A user has no admin screens.
    expect(await page.getByRole('link', { name: 'Dashboard' }).count()).toBe(0);

    // Offline, a list that cannot load says so, with a retry, rather than "No … yet." while there is something.
    await page.context().setOffline(true);
    const unreachable = page.getByRole('alert').filter({ hasText: 'The server cannot be reached' });
    for (const [link, heading, none] of [
      ['Suggestions', 'Suggestions', 'No suggestion yet.'],
      ['Documents', 'Documents', 'No document yet.'],
      ['Jobs', 'Jobs', 'No job yet.'],
      ['Chat', 'Conversations', 'No conversation yet.'],
    ]) {
      await page.getByRole('link', { name: link, exact: true }).click();
      await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
      await unreachable.waitFor();
      await page.getByRole('button', { name: 'Retry' }).click();
      await unreachable.waitFor();
      expect(await page.getByText(none).count()).toBe(0);
    }
    // Back online, the list comes by itself.
    await page.context().setOffline(false);
    await page
      .getByRole('navigation', { name: 'Conversations' })
      .getByRole('link', { name: /Bob Durand/ })
      .waitFor();
    expect(await unreachable.count()).toBe(0);
  });

  // Apart from the user's screens: each axe check is seconds of CPU, and together they outlasted one test's timeout
  // on a loaded CI machine.
  it("every admin's screen shows its data and passes axe", async () => {
    const adminPage = await openSignedIn(await context(admin), app.url, '/admin/dashboard');
    await adminPage
      .getByRole('region', { name: 'Users' })
      .locator('.big')
      .filter({ hasText: /^[3-9]$/ })
      .waitFor();
    // The first snapshot is on the chart at once (a point, with its time), in a window that ends with it.
    const plot = adminPage.locator('.chart .u-over');
    const box = (await plot.boundingBox())!;
    await plot.hover({ position: { x: box.width - 2, y: 10 } });
    const legend = adminPage.locator('.chart .u-legend');
    const legendOf = (series: string) =>
      legend.locator('.u-series', { hasText: series }).locator('.u-value').innerText();
    await until(async () => (await legendOf('Time')) !== '--', 'the chart has its first point');
    // The cursor's points (one per series) are on the plot, at its right end: not off it (uPlot's own range for a
    // single point put it 1,000 days ahead of the window).
    const shown = await adminPage.locator('.chart .u-cursor-pt:not(.u-off)').all();
    expect(shown).toHaveLength(2);
    for (const point of shown) {
      const at = (await point.boundingBox())!;
      expect(Math.abs(at.x + at.width / 2 - (box.x + box.width))).toBeLessThan(3);
    }
    // The legend says what the tiles and the "updated at" line say (the same update, should another come meanwhile:
    // the cursor is moved off the right end and back on it, since uPlot's legend shows the point under a cursor that
    // has not moved, and a hover where the mouse already is moves nothing).
    await until(
      async () => {
        const now = (await plot.boundingBox())!;
        await plot.hover({ position: { x: now.width / 2, y: 10 } });
        await plot.hover({ position: { x: now.width - 0.5, y: 10 } });
        const connections = await adminPage.getByRole('region', { name: 'Connections' }).locator('.big').innerText();
        const updated = await adminPage.getByText(/^Updated at /).innerText();
        return updated === `Updated at ${await legendOf('Time')}` && connections === (await legendOf('Connections'));
      },
      'the legend shows the latest update',
      15_000,
    );
    await adminPage.mouse.move(0, 0);
    await checkScreen(adminPage, 'dashboard');
    // The chart follows the window's width: a narrower window has no page wider than itself.
    await adminPage.setViewportSize({ width: 700, height: 800 });
    await until(
      async () => Number(await adminPage.evaluate('document.documentElement.scrollWidth')) <= 700,
      'the page is no wider than a 700 px window',
    );
    await adminPage.setViewportSize({ width: 1280, height: 800 });
    await adminPage.getByRole('link', { name: 'Kiosks' }).click();
    await adminPage
      .getByRole('region', { name: /^Offline/ })
      .getByText('Library PC 1')
      .waitFor();
    await adminPage.getByRole('cell', { name: 'Camille' }).waitFor();
    await checkScreen(adminPage, 'kiosk-admin');
    // Offline, its lists say they cannot load (once for both), not "No open session." nor "Offline (0)".
    await adminPage.context().setOffline(true);
    await adminPage.getByRole('link', { name: 'Dashboard' }).click();
    await adminPage.getByRole('link', { name: 'Kiosks' }).click();
    const unreachable = adminPage.getByRole('alert').filter({ hasText: 'The server cannot be reached' });
    await unreachable.waitFor();
    expect(await adminPage.getByText('No open session.').count()).toBe(0);
    expect(await adminPage.getByRole('heading', { name: 'Offline', exact: true, level: 3 }).count()).toBe(1);
    // Back online, both come by themselves.
    await adminPage.context().setOffline(false);
    await adminPage
      .getByRole('region', { name: /^Offline \(1\)/ })
      .getByText('Library PC 1')
      .waitFor();
    await adminPage.getByRole('cell', { name: 'Camille' }).waitFor();
    expect(await unreachable.count()).toBe(0);
  });

  it('words the dashboard’s counts in French in the singular for 0 and 1, in the plural above', async () => {
    const page = await openSignedIn(await context(admin, 'fr-FR'), app.url, '/admin/dashboard');
    const detail = (tile: string) => page.getByRole('region', { name: tile, exact: true }).locator('p').last();
    await detail('Postes').waitFor();
    // Each count with its word: singular (the first form) for 0 and 1, plural (the second) above.
    const agreeing = (text: string, pattern: RegExp, forms: Array<[string, string]>) => {
      const match = pattern.exec(text);
      if (!match) return `${text} does not read as ${pattern}`;
      return forms.every(([one, other], i) => match[2 * i + 2] === (Number(match[2 * i + 1]) <= 1 ? one : other))
        ? 'agrees'
        : text;
    };
    const sessionsBig = Number(
      await page.getByRole('region', { name: 'Sessions des postes' }).locator('.big').innerText(),
    );
    expect({
      users: agreeing(
        await detail('Utilisateurs').innerText(),
        /^(\d+) (actifs?) ces dernières 24 h, (\d+) (nouveaux?) ce mois-ci$/,
        [
          ['actif', 'actifs'],
          ['nouveau', 'nouveaux'],
        ],
      ),
      sessions: agreeing(
        `${sessionsBig} ${await detail('Sessions des postes').innerText()}`,
        /^(\d+) (actives?) ; \d+ en attente, (\d+) (terminées?) aujourd’hui$/,
        [
          ['active', 'actives'],
          ['terminée', 'terminées'],
        ],
      ),
      workstations: agreeing(
        await detail('Postes').innerText(),
        /^(\d+) (libres?), (\d+) (occupés?), \d+ hors ligne$/,
        [
          ['libre', 'libres'],
          ['occupé', 'occupés'],
        ],
      ),
    }).toEqual({ users: 'agrees', sessions: 'agrees', workstations: 'agrees' });
  });

  it('fetches the dashboard’s code on first use, and says so in its place when it cannot be fetched', async () => {
    const visitor = await (await context()).newPage();
    await visitor.goto(`${app.url}/signin`);
    await visitor.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await loadedChunks(visitor)).not.toContain('Dashboard');

    // An admin whose browser cannot fetch it (the server out of reach, or a deployment that replaced it).
    const adminContext = await context(admin);
    await adminContext.route('**/assets/Dashboard-*.js', (route) => route.abort());
    const page = await openSignedIn(adminContext, app.url, '/admin/kiosk');
    await page.getByRole('cell', { name: 'Camille' }).waitFor();
    expect(await loadedChunks(page)).not.toContain('Dashboard');
    await page.getByRole('link', { name: 'Dashboard' }).click();
    const failed = page.getByRole('alert').filter({ hasText: 'This screen could not be shown' });
    await failed.waitFor();
    // The frame and the other screens go on working.
    await connectionIs(page, 'online');
    await page.getByRole('link', { name: 'Kiosks' }).click();
    await page.getByRole('cell', { name: 'Camille' }).waitFor();
    expect(await failed.count()).toBe(0);

    // Once it can be fetched again, reloading brings the dashboard.
    await adminContext.unroute('**/assets/Dashboard-*.js');
    await page.getByRole('link', { name: 'Dashboard' }).click();
    await page.getByRole('button', { name: 'Reload the page' }).click();
    await page.getByRole('region', { name: 'Users' }).waitFor();
    expect(await loadedChunks(page)).toContain('Dashboard');
  });

  it('says the dashboard cannot load while the server is out of reach, not "Loading…" for good', async () => {
    const page = await openSignedIn(await context(admin), app.url, '/admin/dashboard');
    await page.getByRole('region', { name: 'Users' }).waitFor();
    await page.getByRole('link', { name: 'Kiosks' }).click();
    await page.getByRole('cell', { name: 'Camille' }).waitFor();
    // Offline, the dashboard (its code already fetched) is opened again: it has no count to show, and says why.
    await page.context().setOffline(true);
    await page.getByRole('link', { name: 'Dashboard' }).click();
    await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
    const unreachable = page.getByRole('alert').filter({ hasText: 'The server cannot be reached' });
    await unreachable.waitFor();
    expect(await page.getByText('Loading…').count()).toBe(0);
    // Back online, the counts come by themselves.
    await page.context().setOffline(false);
    await page.getByRole('region', { name: 'Users' }).locator('.big').filter({ hasText: /^\d+$/ }).waitFor();
    expect(await unreachable.count()).toBe(0);
  });

  it('takes down a toast whose notification was read on another device', async () => {
    const reader = await registerUser(app, 'Toast Reader');
    const page = await openSignedIn(await context(reader), app.url, '/suggestions');
    await page.getByRole('button', { name: 'Notifications, 0 unread' }).waitFor();
    await page.waitForLoadState('networkidle');
    const sent = await http(app.url, 'POST', '/api/v1/notifications', {
      token: admin.token,
      body: { userIds: [reader.id], type: 'info', title: 'Road works on Main Street' },
    });
    const toast = page.getByRole('region', { name: 'New notifications' }).getByText('Road works on Main Street');
    await toast.waitFor();
    // Read on the phone: the toast goes with the count, not 8 s later.
    await http(app.url, 'POST', `/api/v1/notifications/${sent.body.items[0].id}/read`, { token: reader.token });
    await page.getByRole('button', { name: 'Notifications, 0 unread' }).waitFor();
    await toast.waitFor({ state: 'detached', timeout: 3000 });
  });

  it('the bell shows new notifications live, marks them read, and leads to what they name', async () => {
    const page = await openSignedIn(await context(bob), app.url, '/suggestions');
    // The badge starts at 0 until the SDK's count arrives: wait for the server's count before counting on from it.
    const count = await http(app.url, 'GET', '/api/v1/notifications/unread-count', { token: bob.token });
    const unreadBefore = count.body.count as number;
    await page.getByRole('button', { name: `Notifications, ${unreadBefore} unread` }).waitFor();
    for (const title of ['Library closes at 6 pm', 'New council minutes']) {
      await http(app.url, 'POST', '/api/v1/notifications', {
        token: admin.token,
        body: { userIds: [bob.id], type: 'info', title, body: 'From the town hall' },
      });
    }
    // In front, the dropdown closed: each also shows as a toast, until the dropdown opens.
    const toasts = page.getByRole('region', { name: 'New notifications' });
    await toasts.getByText('Library closes at 6 pm').waitFor();
    await toasts.getByText('New council minutes').waitFor();
    const bell = page.getByRole('button', { name: `Notifications, ${unreadBefore + 2} unread` });
    await bell.click();
    await toasts.getByText('New council minutes').waitFor({ state: 'detached' });
    const panel = page.getByRole('region', { name: 'Notifications', exact: true });
    await panel.getByText('New council minutes').waitFor();
    await checkScreen(page, 'notifications');

    await panel.getByRole('button', { name: 'Mark read' }).first().click();
    await page.getByRole('button', { name: `Notifications, ${unreadBefore + 1} unread` }).waitFor();
    await panel.getByRole('button', { name: 'Mark all read' }).click();
    await page.getByRole('button', { name: 'Notifications, 0 unread' }).waitFor();

    // The panel closes on a click outside it, and on Escape wherever the focus is.
    await page.mouse.click(5, 400);
    await panel.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Notifications, 0 unread' }).click();
    await panel.waitFor();
    await page.getByRole('button', { name: 'Sign out' }).focus();
    await page.keyboard.press('Escape');
    await panel.waitFor({ state: 'detached' });

    // A notice whose data names a document leads to it from the bell, and is read once opened.
    await http(app.url, 'POST', '/api/v1/notifications', {
      token: admin.token,
      body: {
        userIds: [bob.id],
        type: 'document.shared',
        title: 'Minutes to review',
        data: { resourceId: documentId },
      },
    });
    await page.getByRole('button', { name: 'Notifications, 1 unread' }).click();
    await panel.getByRole('link', { name: 'Minutes to review' }).click();
    await page.getByRole('textbox', { name: 'Content' }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/documents/${documentId}`);
    await panel.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Notifications, 0 unread' }).waitFor();

    // A toast leads where its notification does and reads it; × takes one away and leaves it unread.
    const notify = (title: string, data?: Record<string, string>) =>
      http(app.url, 'POST', '/api/v1/notifications', {
        token: admin.token,
        body: { userIds: [bob.id], type: 'info', title, body: 'From the town hall', data },
      });
    await page.goto(`${app.url}/suggestions`);
    await page.getByRole('heading', { name: 'Suggestions' }).waitFor();
    // Once the page's first reads are answered: a notification stored before the bell's first page is read is in
    // that page, not a toast.
    await page.waitForLoadState('networkidle');
    await notify('Agenda for Monday', { resourceId: documentId });
    await toasts.getByRole('link', { name: 'Agenda for Monday' }).click();
    await page.getByRole('textbox', { name: 'Content' }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/documents/${documentId}`);
    await page.getByRole('button', { name: 'Notifications, 0 unread' }).waitFor();
    await notify('Bins collected on Tuesday');
    await toasts.getByText('Bins collected on Tuesday').waitFor();
    await checkScreen(page, 'toast');
    await toasts.getByRole('button', { name: 'Dismiss' }).click();
    await toasts.getByText('Bins collected on Tuesday').waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Notifications, 1 unread' }).waitFor();
  });

  it('the bell lists the latest 20 notifications, older ones on demand, and every one that comes live', async () => {
    const erin = await registerUser(app, 'Erin Leclerc');
    for (let n = 1; n <= 25; n += 1) {
      await http(app.url, 'POST', '/api/v1/notifications', {
        token: admin.token,
        body: { userIds: [erin.id], type: 'info', title: `Notice ${String(n).padStart(2, '0')}` },
      });
    }
    const page = await openSignedIn(await context(erin), app.url, '/suggestions');
    await page.getByRole('button', { name: 'Notifications, 25 unread' }).click();
    const panel = page.getByRole('region', { name: 'Notifications', exact: true });
    const notices = panel.getByRole('listitem');
    await panel.getByText('Notice 25').waitFor();
    expect(await notices.count()).toBe(20);
    expect(await panel.getByText('Notice 05').count()).toBe(0);
    await panel.getByRole('button', { name: 'Show more' }).click();
    await panel.getByText('Notice 01').waitFor();
    await panel.getByRole('button', { name: 'Show more' }).waitFor({ state: 'detached' });
    expect(await notices.allInnerTexts()).toHaveLength(25);
    expect((await notices.allInnerTexts()).map((text) => /Notice \d+/.exec(text)?.[0])).toEqual(
      Array.from({ length: 25 }, (_, i) => `Notice ${String(25 - i).padStart(2, '0')}`),
    );

    // Sixty more while the tab is open: every one is listed (only the newest 50 that came live were).
    await page.keyboard.press('Escape');
    for (let n = 26; n <= 85; n += 1) {
      await http(app.url, 'POST', '/api/v1/notifications', {
        token: admin.token,
        body: { userIds: [erin.id], type: 'info', title: `Notice ${String(n).padStart(2, '0')}` },
      });
    }
    await page.getByRole('button', { name: 'Notifications, 85 unread' }).click();
    await panel.getByText('Notice 85').waitFor();
    expect((await notices.allInnerTexts()).map((text) => /Notice \d+/.exec(text)?.[0])).toEqual(
      Array.from({ length: 85 }, (_, i) => `Notice ${String(85 - i).padStart(2, '0')}`),
    );
  });

  it('counts what is unread in the tab’s title; a tab behind others tells of news on the desktop and reads nothing', async () => {
    const carol = await registerUser(app, 'Carol Petit');
    const dave = await registerUser(app, 'Dave Moreau');
    const as = (user: TestUser, method: string, path: string, body?: unknown) =>
      http(app.url, method, path, { token: user.token, body }).then((res) => {
        expect(res.status).toBeLessThan(300);
        return res.body;
      });
    const conversation = (await as(dave, 'POST', '/api/v1/conversations', { memberIds: [carol.id] })).id as string;
    const say = (body: string) => as(dave, 'POST', `/api/v1/conversations/${conversation}/messages`, { body });
    const suggestion = (await as(carol, 'POST', '/api/v1/suggestions', { title: 'A reading corner', description: '' }))
      .id as string;

    const carolContext = await context(carol);
    await recordDesktopNotifications(carolContext, app.url);
    const page = await openSignedIn(carolContext, app.url, '/suggestions');
    const titleIs = (title: string) => until(async () => (await page.title()) === title, `the title is ${title}`);
    await titleIs('Suggestions · realtime-hub');
    await say('Hello Carol');
    await titleIs('(1) Suggestions · realtime-hub');
    await page.getByRole('link', { name: 'Chat (1 unread message)' }).waitFor();

    // Desktop notifications, turned on from the bell; none while the tab is in front.
    await page.getByRole('button', { name: /^Notifications,/ }).click();
    await page.getByRole('checkbox', { name: 'Desktop notifications' }).check();
    await page.keyboard.press('Escape');
    await say('Still there?');
    await titleIs('(2) Suggestions · realtime-hub');

    // Behind another tab: a message and a vote show on the desktop, worded as in the app.
    const bringBack = await putBehind(page);
    await say('Are you coming tonight?');
    await as(dave, 'PUT', `/api/v1/suggestions/${suggestion}/vote`, { value: 1 });
    await titleIs('(4) Suggestions · realtime-hub');
    await until(async () => (await shownOnDesktop(page)).length === 2, 'two desktop notifications');
    expect(await shownOnDesktop(page)).toEqual(
      expect.arrayContaining([
        { title: 'Dave Moreau', body: 'Are you coming tonight?', tag: `conversation:${conversation}` },
        {
          title: 'New upvote on your suggestion',
          body: 'Dave Moreau voted for "A reading corner"',
          tag: expect.stringMatching(/^notification:/),
        },
      ]),
    );

    // Its click opens the conversation. While the tab is still behind, nothing there is read, for Carol nor for
    // Dave's read receipt; back in front, all of it is.
    await page.evaluate(
      `window.__shown.find((shown) => shown.tag.startsWith('conversation:')).notification.dispatchEvent(new Event('click'))`,
    );
    await page.getByRole('log', { name: 'Messages' }).getByText('Are you coming tonight?').waitFor();
    expect(new URL(page.url()).pathname).toBe(`/chat/${conversation}`);
    await page.waitForTimeout(500);
    expect(await page.title()).toBe('(4) Chat · realtime-hub');
    const lastReadSeq = async () =>
      (await as(dave, 'GET', `/api/v1/conversations/${conversation}`)).members.find(
        (m: { userId: string }) => m.userId === carol.id,
      ).lastReadSeq as number;
    expect(await lastReadSeq()).toBe(0);
    await bringBack();
    await titleIs('(1) Chat · realtime-hub');
    expect(await lastReadSeq()).toBe(3);
    // The vote arrived while she was elsewhere: told on the desktop, not by a toast once she is back.
    expect(await page.getByRole('region', { name: 'New notifications' }).textContent()).toBe('');
    // What she came back to starts under a line; what arrives while she watches needs none.
    const log = page.getByRole('log', { name: 'Messages' });
    const items = () => log.getByRole('listitem').allInnerTexts();
    await log.getByText('New messages').waitFor();
    const shown = await items();
    expect(shown.findIndex((text) => text.includes('Hello Carol'))).toBe(
      shown.findIndex((text) => text.includes('New messages')) + 1,
    );
    // In front, a new message is read as it arrives, and shows nothing on the desktop.
    await say('See you there');
    await log.getByText('See you there').waitFor();
    await until(async () => (await lastReadSeq()) === 4, 'the new message is read');
    // The count the read answers reaches the tab after the server has stored the read.
    await titleIs('(1) Chat · realtime-hub');
    expect(await shownOnDesktop(page)).toHaveLength(2);
    expect((await items()).filter((text) => text.includes('New messages'))).toHaveLength(1);
    // Her own message clears the line.
    await page.getByRole('textbox', { name: 'Message' }).fill('On my way');
    await page.getByRole('button', { name: 'Send' }).click();
    await log.getByText('On my way').waitFor();
    expect(await log.getByText('New messages').count()).toBe(0);
  });

  it('a document saved by someone else meanwhile shows the conflict; keep mine saves over it', async () => {
    const page = await openSignedIn(await context(alice), app.url, `/documents/${documentId}`);
    const editor = page.getByRole('textbox', { name: 'Content' });
    await editor.waitFor();
    // What the document holds besides its text, set through the API, is shown as it is.
    const otherFields = page.getByRole('region', { name: 'Other fields' });
    expect(JSON.parse(await otherFields.locator('pre').innerText())).toEqual({ attendees: ['Alice', 'Bob'] });
    await editor.fill('Agenda: 1. Budget 2. Parks 3. Library hours');

    // Someone else saves while Alice edits: her page shows the new live version, her text stays.
    const current = (await http(app.url, 'GET', `/api/v1/resources/${documentId}`, { token: alice.token })).body;
    await http(app.url, 'PATCH', `/api/v1/resources/${documentId}`, {
      token: admin.token,
      headers: { 'if-match': String(current.version) },
      body: { data: { text: 'Agenda: 1. Budget' } },
    });
    await page.getByText(`Live: version ${current.version + 1}`).waitFor();
    expect(await editor.inputValue()).toBe('Agenda: 1. Budget 2. Parks 3. Library hours');

    await page.getByRole('button', { name: 'Save' }).click();
    const conflict = page.getByRole('alert').filter({ hasText: `Someone saved version ${current.version + 1}` });
    await conflict.waitFor();
    // Both changed the one line: no merge offered, the version saved meanwhile shown beside the choice.
    await conflict.getByText('You both changed the same lines').waitFor();
    expect(await conflict.getByRole('button', { name: 'Merge both' }).count()).toBe(0);
    const theirs = conflict.getByRole('region', { name: `Version ${current.version + 1}, saved meanwhile` });
    expect(await theirs.locator('pre').innerText()).toBe('Agenda: 1. Budget');
    await checkScreen(page, 'document-conflict');
    await conflict.getByRole('button', { name: 'Keep mine' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `Saved as version ${current.version + 2}` })
      .waitFor();
    const saved = (await http(app.url, 'GET', `/api/v1/resources/${documentId}`, { token: alice.token })).body;
    expect(saved.data).toEqual({ text: 'Agenda: 1. Budget 2. Parks 3. Library hours', attendees: ['Alice', 'Bob'] });
  });

  it('a conflict on different lines merges both changes, which then save as the next version', async () => {
    const lines = ['Minutes of the council', 'Present: Alice, Bob', 'Budget: approved', 'Next meeting: to be set'];
    const created = (
      await http(app.url, 'POST', '/api/v1/resources', {
        token: alice.token,
        body: { name: 'Minutes to merge', visibility: 'public', data: { text: lines.join('\n') } },
      })
    ).body as { id: string };
    const page = await openSignedIn(await context(alice), app.url, `/documents/${created.id}`);
    const editor = page.getByRole('textbox', { name: 'Content' });
    await page.getByText('Live: version 1').waitFor();
    // Alice sets the next meeting; meanwhile an admin adds Carol to those present, and saves first.
    await editor.fill([...lines.slice(0, 3), 'Next meeting: Monday 6 pm'].join('\n'));
    await http(app.url, 'PATCH', `/api/v1/resources/${created.id}`, {
      token: admin.token,
      headers: { 'if-match': '1' },
      body: { data: { text: [lines[0], 'Present: Alice, Bob, Carol', ...lines.slice(2)].join('\n') } },
    });
    await page.getByText('Live: version 2').waitFor();
    await page.getByRole('button', { name: 'Save' }).click();
    const conflict = page.getByRole('alert').filter({ hasText: 'Someone saved version 2' });
    await conflict.getByText('You changed different lines').waitFor();
    await conflict.getByRole('button', { name: 'Merge both' }).click();
    await page.getByRole('status').filter({ hasText: 'Merged with version 2' }).waitFor();
    const merged = [lines[0], 'Present: Alice, Bob, Carol', lines[2], 'Next meeting: Monday 6 pm'].join('\n');
    expect(await editor.inputValue()).toBe(merged);
    expect(await conflict.count()).toBe(0);
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved as version 3' }).waitFor();
    const saved = await http(app.url, 'GET', `/api/v1/resources/${created.id}`, { token: alice.token });
    expect(saved.body.data).toEqual({ text: merged });
  });

  it('lets the owner make a document private and delete it, and no one else', async () => {
    const created = await http(app.url, 'POST', '/api/v1/resources', {
      token: alice.token,
      body: { name: 'Garden plan', visibility: 'public', data: { text: 'Roses by the gate' } },
    });
    const path = `/api/v1/resources/${created.body.id}`;
    const bobPage = await openSignedIn(await context(bob), app.url, `/documents/${created.body.id}`);
    await bobPage.getByRole('textbox', { name: 'Content' }).waitFor();
    // A reader follows the document live and cannot change it.
    expect(await bobPage.getByRole('textbox', { name: 'Content' }).getAttribute('readonly')).not.toBeNull();
    expect(await bobPage.getByRole('button', { name: 'Save' }).count()).toBe(0);
    await bobPage.getByText('Only its owner (or an administrator) can change this document.').waitFor();
    expect(await bobPage.getByRole('button', { name: 'Delete' }).count()).toBe(0);
    expect(await bobPage.getByRole('combobox', { name: 'Visibility' }).count()).toBe(0);

    const page = await openSignedIn(await context(alice), app.url, `/documents/${created.body.id}`);
    await page.getByRole('combobox', { name: 'Visibility' }).selectOption('private');
    // Bob's open page says he can no longer read it, rather than keep a copy that no longer follows.
    await bobPage.getByText('You can no longer read this document').waitFor();
    expect((await http(app.url, 'GET', path, { token: bob.token })).status).toBe(403);
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('button', { name: 'Delete it' }).click();
    await page.getByText('This document was deleted.').waitFor();
    expect((await http(app.url, 'GET', path, { token: alice.token })).status).toBe(404);
  });

  /** A public document of Alice's with `text`; answers its id. */
  const aliceDocument = async (name: string, text: string): Promise<string> =>
    (
      await http(app.url, 'POST', '/api/v1/resources', {
        token: alice.token,
        body: { name, visibility: 'public', data: { text } },
      })
    ).body.id;

  it('a save answered after the user left the editor leaves no draft behind to conflict with it', async () => {
    const id = await aliceDocument('Left while saving', 'First');
    const page = await openSignedIn(await context(alice), app.url, `/documents/${id}`);
    const editor = page.getByRole('textbox', { name: 'Content' });
    await page.getByText('Live: version 1').waitFor();
    await editor.fill('Second');

    // The save is slow to answer; Alice goes back to the list meanwhile.
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route(`**/api/v1/resources/${id}`, async (route) => {
      if (route.request().method() === 'PATCH') await held;
      await route.continue();
    });
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('link', { name: '← Documents' }).click();
    await page.getByRole('link', { name: 'Left while saving' }).waitFor();
    const answered = page.waitForResponse(
      (res) => res.url().includes(`/api/v1/resources/${id}`) && res.request().method() === 'PATCH',
    );
    release();
    expect((await answered).status()).toBe(200);

    // Back in the editor: nothing unsaved (the draft typed before the save came back, "Editing from version 1", and
    // its save was a conflict with her own), and what she types next saves over her version.
    await page.getByRole('link', { name: 'Left while saving' }).click();
    await page.getByText('Live: version 2').waitFor();
    expect(await editor.inputValue()).toBe('Second');
    await page.getByText('Up to date.').waitFor();
    await editor.fill('Third');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved as version 3' }).waitFor();
  });

  it('text typed over a change of the name or visibility, its own or another’s, saves without a conflict', async () => {
    const id = await aliceDocument('Made private while typing', 'Line one');
    const page = await openSignedIn(await context(alice), app.url, `/documents/${id}`);
    const editor = page.getByRole('textbox', { name: 'Content' });
    await page.getByText('Live: version 1').waitFor();
    await editor.fill('Line one\nLine two');
    await page.getByRole('combobox', { name: 'Visibility' }).selectOption('private');
    await page.getByText('Live: version 2').waitFor();
    // An admin renames it meanwhile, its text left as it was.
    await http(app.url, 'PATCH', `/api/v1/resources/${id}`, { token: admin.token, body: { name: 'Renamed' } });
    await page.getByText('Live: version 3').waitFor();
    expect(await editor.inputValue()).toBe('Line one\nLine two');

    await page.getByRole('button', { name: 'Save' }).click();
    // No "Someone saved version 2 while you were editing": nobody changed the text.
    await page.getByRole('status').filter({ hasText: 'Saved as version 4' }).waitFor();
    const stored = await http(app.url, 'GET', `/api/v1/resources/${id}`, { token: alice.token });
    expect(stored.body).toMatchObject({ version: 4, name: 'Renamed', visibility: 'private' });
    expect(stored.body.data).toEqual({ text: 'Line one\nLine two' });
  });

  it('takes a document its owner made private off a reader’s list, as a deleted one', async () => {
    const doc = await api(alice.token, 'POST', '/api/v1/resources', {
      name: 'Budget draft',
      visibility: 'public',
      data: { text: 'Line one' },
    });
    const page = await open(bob, '/documents');
    const card = page.getByRole('listitem').filter({ has: page.getByRole('link', { name: 'Budget draft' }) });
    await card.getByText('public').waitFor();
    await api(alice.token, 'PATCH', `/api/v1/resources/${doc.id}`, { visibility: 'private' });
    // It stayed listed as "public", its link leading to "You can no longer read this document".
    await card.waitFor({ state: 'detached' });
  });

  it('a reader’s list whose every document went says there is none, not an empty page', async () => {
    const id = await aliceDocument('The only one', 'Alone');
    const page = await (await context(bob)).newPage();
    // Bob's list holds this document only: the other specs' public documents are left out of its page.
    await page.route(
      (url) => url.pathname === '/api/v1/resources' && url.search === '?limit=100',
      async (route) => {
        const response = await route.fetch();
        const { items } = (await response.json()) as { items: Array<{ id: string }> };
        await route.fulfill({ response, json: { items: items.filter((r) => r.id === id), nextCursor: null } });
      },
    );
    await page.goto(`${app.url}/documents`);
    const link = page.getByRole('link', { name: 'The only one' });
    await link.waitFor();
    await api(alice.token, 'DELETE', `/api/v1/resources/${id}`);
    await link.waitFor({ state: 'detached' });
    await page.getByText('No document yet.').waitFor();
  });

  it('labels the new access code the French way in French ("Code d’accès :")', async () => {
    const page = await open(admin, '/admin/kiosk', 'fr-FR');
    await page.getByRole('heading', { name: 'Postes publics', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Créer la session' }).click();
    const status = page.locator('.access-code[role="status"]');
    await status.waitFor();
    expect(await status.innerText()).toMatch(/^Code d’accès\s:/);
  });

  it('a document opened with its id in capitals follows its live updates', async () => {
    const id = await aliceDocument('Capital link', 'Before');
    const page = await openSignedIn(await context(bob), app.url, `/documents/${id.toUpperCase()}`);
    await page.getByText('Live: version 1').waitFor();
    const editor = page.getByRole('textbox', { name: 'Content' });
    expect(await editor.inputValue()).toBe('Before');
    await http(app.url, 'PATCH', `/api/v1/resources/${id}`, { token: alice.token, body: { data: { text: 'After' } } });
    await page.getByText('Live: version 2').waitFor();
    expect(await editor.inputValue()).toBe('After');
  });

  it('a double click on a button that creates, saves or extends does it once', async () => {
    const count = async (path: string, token: string, match: (item: Record<string, unknown>) => boolean) =>
      ((await http(app.url, 'GET', path, { token })).body.items as Record<string, unknown>[]).filter(match).length;
    const page = await openSignedIn(await context(alice), app.url, '/documents');
    await page.getByRole('textbox', { name: 'Name' }).fill('Clicked twice');
    await page.getByRole('button', { name: 'Create' }).dblclick();
    await page.getByRole('link', { name: 'Clicked twice' }).first().waitFor();
    // A create after it: the double click's second request, if any, has been answered by then.
    await page.getByRole('textbox', { name: 'Name' }).fill('Next one');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('link', { name: 'Next one' }).waitFor();
    expect(await count('/api/v1/resources?limit=100', alice.token, (r) => r.name === 'Clicked twice')).toBe(1);
    expect(await page.getByRole('link', { name: 'Clicked twice' }).count()).toBe(1);

    // The same version sent twice had the second answered by a conflict with the first.
    await page.getByRole('link', { name: 'Clicked twice' }).click();
    await page.getByText('Live: version 1').waitFor();
    await page.getByRole('textbox', { name: 'Content' }).fill('Saved once');
    await page.getByRole('button', { name: 'Save' }).dblclick();
    await page.getByRole('status').filter({ hasText: 'Saved as version 2' }).waitFor();
    await page.waitForTimeout(300);
    expect(await page.getByRole('alert').count()).toBe(0);
    await page.getByText('Live: version 2').waitFor();

    const adminPage = await openSignedIn(await context(admin), app.url, '/admin/kiosk');
    const session = adminPage.getByRole('region', { name: 'New session' });
    await session.getByRole('textbox', { name: /Holder/ }).fill('Double Click');
    await session.getByRole('button', { name: 'Create session' }).dblclick();
    await adminPage.getByText(/Access code/).waitFor();
    await adminPage.waitForTimeout(300);
    expect(
      await count(
        '/api/v1/kiosk/sessions?status=pending&limit=100',
        admin.token,
        (s) => s.holderName === 'Double Click',
      ),
    ).toBe(1);
    // A row's action too: "+5 min" clicked twice at once adds five minutes.
    const created = (
      (await http(app.url, 'GET', '/api/v1/kiosk/sessions?status=pending&limit=100', { token: admin.token })).body
        .items as { id: string; accessCode: string; holderName: string; durationSeconds: number }[]
    ).find((s) => s.holderName === 'Double Click')!;
    await adminPage.getByRole('button', { name: `Extend +5 min, session ${created.accessCode}` }).dblclick();
    const durationOf = async () =>
      (await http(app.url, 'GET', `/api/v1/kiosk/sessions/${created.id}`, { token: admin.token })).body
        .durationSeconds as number;
    await until(async () => (await durationOf()) > created.durationSeconds, 'the session is extended');
    await adminPage.waitForTimeout(300);
    expect(await durationOf()).toBe(created.durationSeconds + 300);
  });

  it('a slow double click, its second click after the first one’s answer, acts once: an account disabled stays so, a vote stays cast', async () => {
    // Where the first click landed, a second click of a double click (the event says so: detail 2), as a hand makes it
    // 200–500 ms later, when a local server has answered the first and the button may read the opposite.
    const secondClickAt = async (page: Page, box: { x: number; y: number; width: number; height: number }) => {
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page.mouse.down({ clickCount: 2 });
      await page.mouse.up({ clickCount: 2 });
    };
    const hana = await registerUser(app, 'Hana Slowclick');
    const adminPage = await openSignedIn(await context(admin), app.url, '/admin/people');
    await adminPage.getByRole('searchbox', { name: /^Find by/ }).fill('Hana Slowclick');
    const disable = adminPage.getByRole('button', { name: 'Disable Hana Slowclick' });
    const box = (await disable.boundingBox())!;
    await disable.click();
    await adminPage.getByRole('button', { name: 'Enable Hana Slowclick' }).waitFor();
    await secondClickAt(adminPage, box);
    await adminPage.waitForTimeout(500);
    const account = async () =>
      (await http(app.url, 'GET', `/api/v1/users?query=${encodeURIComponent(hana.email)}`, { token: admin.token })).body
        .items[0] as { disabled: boolean };
    expect((await account()).disabled).toBe(true);

    // A vote "for", then the double click's second click on the same button: still for.
    const idea = (
      await http(app.url, 'POST', '/api/v1/suggestions', {
        token: admin.token,
        body: { title: 'Clicked slowly twice', description: '' },
      })
    ).body as { id: string };
    const page = await openSignedIn(await context(alice), app.url, '/suggestions');
    const card = page.getByRole('article', { name: 'Clicked slowly twice' });
    const voteFor = card.getByRole('button', { name: 'For' });
    const voteBox = (await voteFor.boundingBox())!;
    await voteFor.click();
    await card.locator('button[aria-pressed="true"]', { hasText: 'For' }).waitFor();
    await secondClickAt(page, voteBox);
    await page.waitForTimeout(500);
    const stored = (await http(app.url, 'GET', `/api/v1/suggestions/${idea.id}`, { token: alice.token })).body;
    expect(stored).toMatchObject({ myVote: 1, upvotes: 1 });
  });

  it('unsaved text survives a visit to another page, asks before the tab closes, and outlives a delete on screen', async () => {
    const created = (
      await http(app.url, 'POST', '/api/v1/resources', {
        token: alice.token,
        body: { name: 'Draft kept', visibility: 'public', data: { text: 'First line' } },
      })
    ).body as { id: string };
    const page = await openSignedIn(await context(alice), app.url, `/documents/${created.id}`);
    const editor = page.getByRole('textbox', { name: 'Content' });
    await page.getByText('Live: version 1').waitFor();
    await editor.click();
    await page.keyboard.press('End');
    await page.keyboard.type(', second thought');
    await page.getByRole('link', { name: '← Documents' }).click();
    await page.getByRole('link', { name: 'Draft kept' }).click();
    await page.getByText('Editing from version 1.').waitFor();
    expect(await editor.inputValue()).toBe('First line, second thought');

    // Closing the tab (or reloading it) with unsaved text asks first; the tab stays when the user says so.
    const closingAsks = async () => {
      const asked = page.waitForEvent('dialog');
      void page.close({ runBeforeUnload: true });
      const dialog = await asked;
      expect(dialog.type()).toBe('beforeunload');
      await dialog.dismiss();
    };
    await closingAsks();

    // What is typed while a save is on its way stays, over the version saved.
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route(`**/api/v1/resources/${created.id}`, async (route) => {
      if (route.request().method() === 'PATCH') await held;
      await route.continue();
    });
    await page.getByRole('button', { name: 'Save' }).click();
    await editor.press('End');
    await editor.pressSequentially(' and a third');
    release();
    await page.getByRole('status').filter({ hasText: 'Saved as version 2' }).waitFor();
    expect(await editor.inputValue()).toBe('First line, second thought and a third');
    await page.getByText('Editing from version 2.').waitFor();
    const stored = await http(app.url, 'GET', `/api/v1/resources/${created.id}`, { token: alice.token });
    expect(stored.body.data).toEqual({ text: 'First line, second thought' });

    // Deleted meanwhile (by an admin): the text not saved is still on the screen, to be copied.
    await http(app.url, 'DELETE', `/api/v1/resources/${created.id}`, { token: admin.token });
    await page.getByText('This document was deleted.').waitFor();
    const unsaved = page.getByRole('region', { name: 'What you typed and had not saved' });
    expect(await unsaved.innerText()).toContain('First line, second thought and a third');
    // Still unsaved: closing the tab asks first.
    await closingAsks();
  });

  it('a save answered after the document was deleted leaves it deleted, not editable again', async () => {
    const id = await aliceDocument('Deleted while saving', 'First');
    const page = await open(alice, `/documents/${id}`);
    const editor = page.getByRole('textbox', { name: 'Content' });
    await page.getByText('Live: version 1').waitFor();
    await editor.fill('Second');
    // The save is stored at once; its answer reaches the page only after an admin deleted the document.
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route(`**/api/v1/resources/${id}`, async (route) => {
      if (route.request().method() !== 'PATCH') return route.fallback();
      const response = await route.fetch();
      await held;
      await route.fulfill({ response });
    });
    const answered = page.waitForResponse(
      (res) => res.url().includes(`/api/v1/resources/${id}`) && res.request().method() === 'PATCH',
    );
    await page.getByRole('button', { name: 'Save' }).click();
    await until(
      async () => (await http(app.url, 'GET', `/api/v1/resources/${id}`, { token: alice.token })).body.version === 2,
      'the save is stored',
    );
    await api(admin.token, 'DELETE', `/api/v1/resources/${id}`);
    await page.getByText('This document was deleted.').waitFor();
    release();
    expect((await answered).status()).toBe(200);
    await settle(page);
    // It came back as "Live: version 2", editable, its next save answered "This no longer exists."
    expect(await editor.count()).toBe(0);
    expect(await page.getByText('This document was deleted.').count()).toBe(1);
  });

  it('a save that cannot reach the server asks to try again, not that the app retries (a save is not retried)', async () => {
    const id = await aliceDocument('Saved offline', 'One');
    const page = await open(alice, `/documents/${id}`);
    const editor = page.getByRole('textbox', { name: 'Content' });
    await page.getByText('Live: version 1').waitFor();
    await editor.fill('Two');
    await page.context().setOffline(true);
    try {
      await page.getByRole('button', { name: 'Save' }).click();
      const alert = page.getByRole('alert').filter({ hasText: 'The server cannot be reached' });
      await alert.waitFor();
      expect(await alert.innerText()).toBe('The server cannot be reached. Check your connection and try again.');
      expect(await editor.inputValue()).toBe('Two');
    } finally {
      await page.context().setOffline(false);
    }
  });

  it('text typed and taken back leaves the editor following the live document', async () => {
    const id = await aliceDocument('Typed and undone', 'One');
    const page = await open(alice, `/documents/${id}`);
    const editor = page.getByRole('textbox', { name: 'Content' });
    await page.getByText('Live: version 1').waitFor();
    await editor.press('End');
    await editor.pressSequentially('!');
    await page.getByText('Editing from version 1.').waitFor();
    await editor.press('Backspace');
    await page.getByText('Up to date.').waitFor();
    await api(admin.token, 'PATCH', `/api/v1/resources/${id}`, { data: { text: 'Two' } });
    await page.getByText('Live: version 2').waitFor();
    // It stayed on "One", "Editing from version 1.", though nothing she typed was left to keep.
    expect(await editor.inputValue()).toBe('Two');
    await page.getByText('Up to date.').waitFor();
  });

  it('Save with nothing changed, or with text typed and taken back, sends nothing: no version for nothing', async () => {
    const id = await aliceDocument('Saved unchanged', 'One');
    const page = await open(alice, `/documents/${id}`);
    const editor = page.getByRole('textbox', { name: 'Content' });
    const save = page.getByRole('button', { name: 'Save' });
    await page.getByText('Live: version 1').waitFor();
    let patches = 0;
    page.on('request', (request) => {
      if (request.method() === 'PATCH') patches += 1;
    });
    const version = async () => (await api(alice.token, 'GET', `/api/v1/resources/${id}`)).version as number;

    // Every PATCH is a version, broadcast to every reader ("new version by Alice" for nothing), and one sent over an
    // older version is a conflict for another editor. Save is dimmed (aria-disabled), which Playwright will not click
    // unforced; a person still can, and a keyboard's Enter does.
    await save.click({ force: true });
    await editor.press('End');
    await editor.pressSequentially('!');
    await editor.press('Backspace');
    await page.getByText('Up to date.').waitFor();
    await save.press('Enter');
    await page.waitForTimeout(1000);
    expect({ patches, version: await version() }).toEqual({ patches: 0, version: 1 });
    expect(await save.getAttribute('aria-disabled')).toBe('true');
    expect(await page.getByRole('status').filter({ hasText: 'No changes to save.' }).count()).toBe(1);

    // A change saves as before.
    await editor.fill('One more');
    expect(await save.getAttribute('aria-disabled')).toBe('false');
    await save.click();
    await page.getByRole('status').filter({ hasText: 'Saved as version 2.' }).waitFor();
    expect({ patches, version: await version() }).toEqual({ patches: 1, version: 2 });
  });

  it("a job's progress bar and event log move as its worker reports; a link to another job leaves nothing of this one", async () => {
    const page = await openSignedIn(await context(alice), app.url, `/jobs/${jobId}`);
    const bar = page.getByRole('progressbar', { name: 'Progress of Scrape the events calendar' });
    await page.getByRole('log', { name: 'Event log' }).getByText('progress', { exact: true }).waitFor();
    expect(await bar.getAttribute('value')).toBe('3');
    await http(app.url, 'POST', `/api/v1/jobs/${jobId}/events`, {
      token: workerToken,
      body: { type: 'job_progress', data: { pagesScraped: 7, currentPage: 8 } },
    });
    await until(async () => (await bar.getAttribute('value')) === '7', 'the progress bar shows 7 pages');
    await http(app.url, 'POST', `/api/v1/jobs/${jobId}/events`, {
      token: workerToken,
      body: { type: 'item_scraped', data: { item: { title: 'Jazz night' } } },
    });
    await page.getByRole('log', { name: 'Event log' }).getByText('Jazz night').waitFor();
    await page.getByText('1 item').waitFor();

    // A worker token from the page reports like the one made through the API.
    await page.getByRole('button', { name: 'Get a worker token' }).click();
    const issued = await page.getByRole('textbox', { name: 'Worker token' }).inputValue();
    const posted = await http(app.url, 'POST', `/api/v1/jobs/${jobId}/events`, {
      token: issued,
      body: { type: 'item_scraped', data: { item: { title: 'Book fair' } } },
    });
    expect(posted.status).toBe(201);
    await page.getByText('2 items').waitFor();

    // A notification's link to another job, from this page: that job's page, without this one's token.
    const next = (
      await http(app.url, 'POST', '/api/v1/jobs', { token: alice.token, body: { name: 'Scrape the menus' } })
    ).body.id as string;
    await http(app.url, 'POST', '/api/v1/notifications', {
      token: admin.token,
      body: { userIds: [alice.id], type: 'info', title: 'Menus to scrape', data: { jobId: next } },
    });
    await page
      .getByRole('region', { name: 'New notifications' })
      .getByRole('link', { name: 'Menus to scrape' })
      .click();
    await page.getByRole('heading', { name: 'Scrape the menus' }).waitFor();
    expect(await page.getByRole('textbox', { name: 'Worker token' }).count()).toBe(0);
    // Its total unknown, its bar has no value while it may still run (a moving bar), and an empty one once it failed:
    // it moved on as if the job were at work.
    const menus = page.getByRole('progressbar', { name: 'Progress of Scrape the menus' });
    expect(await menus.getAttribute('value')).toBeNull();
    await http(app.url, 'POST', `/api/v1/jobs/${next}/events`, {
      token: alice.token,
      body: { type: 'job_failed', data: { error: 'The site is down' } },
    });
    await page.getByText('failed · pages 0 / ?').waitFor();
    expect(await menus.getAttribute('value')).toBe('0');

    // Someone else's job is refused, said so, rather than loading forever.
    const other = await openSignedIn(await context(bob), app.url, `/jobs/${jobId}`);
    await other.getByRole('alert').filter({ hasText: 'You are not allowed to do this.' }).waitFor();
  });

  it('lists the 100 most recent jobs, the next ones on demand, each live', async () => {
    const dana = await registerUser(app, 'Dana Roux');
    const jobs: string[] = [];
    for (let n = 1; n <= 101; n += 1) {
      const created = await http(app.url, 'POST', '/api/v1/jobs', {
        token: dana.token,
        body: { name: `Crawl ${String(n).padStart(3, '0')}`, totalPages: 10 },
      });
      jobs.push(created.body.id);
    }
    const page = await openSignedIn(await context(dana), app.url, '/jobs');
    const cards = page.getByRole('heading', { level: 2 });
    await page.getByRole('link', { name: 'Crawl 101' }).waitFor();
    expect(await cards.count()).toBe(100);
    expect(await page.getByRole('link', { name: 'Crawl 001' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Show more' }).click();
    await page.getByRole('link', { name: 'Crawl 001' }).waitFor();
    await page.getByRole('button', { name: 'Show more' }).waitFor({ state: 'detached' });
    expect(await cards.count()).toBe(101);

    // Each of the 101 cards follows its job (a subscription each, paced under the socket's rate limit): the oldest and
    // the newest move as their workers report.
    for (const id of [jobs[0], jobs[100]]) {
      const { token } = (await http(app.url, 'POST', `/api/v1/jobs/${id}/token`, { token: dana.token })).body;
      await http(app.url, 'POST', `/api/v1/jobs/${id}/events`, { token, body: { type: 'job_started', data: {} } });
      await http(app.url, 'POST', `/api/v1/jobs/${id}/events`, {
        token,
        body: { type: 'job_progress', data: { pagesScraped: 6, currentPage: 7 } },
      });
    }
    for (const name of ['Crawl 001', 'Crawl 101']) {
      const bar = page.getByRole('progressbar', { name: `Progress of ${name}` });
      await until(async () => (await bar.getAttribute('value')) === '6', `${name} shows 6 pages`);
    }
    await connectionIs(page, 'online');
  });

  it("a long job's page reads and shows its last 1,000 events, not every one from its first", async () => {
    const job = (
      await http(app.url, 'POST', '/api/v1/jobs', { token: alice.token, body: { name: 'Crawl the archive' } })
    ).body;
    const { token } = (await http(app.url, 'POST', `/api/v1/jobs/${job.id}/token`, { token: alice.token })).body;
    const report = (body: unknown) => http(app.url, 'POST', `/api/v1/jobs/${job.id}/events`, { token, body });
    await report({ type: 'job_started', data: {} });
    // Items 1..1,600: seqs 2..1,601, stored in batches sent at once.
    for (let from = 1; from <= 1600; from += 100) {
      await Promise.all(
        Array.from({ length: 100 }, (_, i) => report({ type: 'item_scraped', data: { item: { n: from + i } } })),
      );
    }
    // The items in seq order: a batch's reports, sent at once, are stored in the order the server took them.
    const stored: number[] = [];
    for (let afterSeq = 1; stored.length < 1600;) {
      const { items } = (
        await http(app.url, 'GET', `/api/v1/jobs/${job.id}/events?afterSeq=${afterSeq}&limit=100`, {
          token: alice.token,
        })
      ).body as { items: Array<{ seq: number; data: { item: { n: number } } }> };
      stored.push(...items.map((e) => e.data.item.n));
      afterSeq = items[items.length - 1].seq;
    }
    const aliceContext = await context(alice);
    const reads: URL[] = [];
    aliceContext.on('request', (request) => {
      const url = new URL(request.url());
      if (url.pathname === `/api/v1/jobs/${job.id}/events`) reads.push(url);
    });
    const page = await openSignedIn(aliceContext, app.url, `/jobs/${job.id}`);
    const log = page.getByRole('log', { name: 'Event log' }).getByRole('listitem');
    await log
      .last()
      .filter({ hasText: `"n":${stored[1599]}}` })
      .waitFor();
    expect(await log.count()).toBe(1000);
    const order = (await log.allInnerTexts()).map((text) => Number(/"n":(\d+)/.exec(text)?.[1]));
    expect(order).toEqual(stored.slice(600));
    // Pages of events were read from near the end only (from seq 500: the last seq is known to be within 500 of the
    // 1,500th); the other reads asked whether one event exists.
    const pages = reads.filter((url) => url.searchParams.get('limit') !== '1');
    expect(pages.length).toBeGreaterThan(0);
    for (const url of pages) expect(Number(url.searchParams.get('afterSeq'))).toBeGreaterThanOrEqual(500);
    expect(reads.length).toBeLessThan(20);

    // Live from there: the next item comes last, the oldest shown goes.
    await report({ type: 'item_scraped', data: { item: { n: 1601 } } });
    await log.last().filter({ hasText: '"n":1601' }).waitFor();
    expect(await log.count()).toBe(1000);
    expect(await log.first().innerText()).toContain(`"n":${stored[601]}}`);
  });

  it('an admin finds people (new ones as they come), changes a role, disables and enables an account, and notifies the people ticked', async () => {
    const frank = await registerUser(app, 'Frank Girard');
    const gina = await registerUser(app, 'Gina Roux');
    const frankPage = await openSignedIn(await context(frank), app.url, '/suggestions');
    const ginaPage = await openSignedIn(await context(gina), app.url, '/suggestions');
    const page = await openSignedIn(await context(admin), app.url, '/admin/people');
    const search = page.getByRole('searchbox', { name: /^Find by/ });
    // Everyone first, then those the search finds.
    await page.getByRole('row', { name: /Gina Roux/ }).waitFor();
    await search.fill('frank');
    await page.getByRole('row', { name: /Gina Roux/ }).waitFor({ state: 'detached' });
    const frankRow = page.getByRole('row', { name: /Frank Girard/ });
    await frankRow.getByRole('cell', { name: frank.email }).waitFor();
    await checkScreen(page, 'people');
    // An account made meanwhile joins the list by itself, if the search finds it.
    await registerUser(app, 'Frankie Live');
    await page.getByRole('row', { name: /Frankie Live/ }).waitFor();

    // A new role ends the account's sessions, so that it takes effect; the row shows it.
    await page.getByRole('button', { name: 'Make admin: Frank Girard' }).click();
    await frankRow.getByRole('cell', { name: 'admin', exact: true }).waitFor();
    await frankPage.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: 15_000 });
    await page.getByRole('button', { name: 'Make user: Frank Girard' }).click();
    await frankRow.getByRole('cell', { name: 'user', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Disable Frank Girard' }).click();
    await frankRow.getByRole('cell', { name: 'disabled', exact: true }).waitFor();
    const refused = await http(app.url, 'POST', '/api/v1/auth/login', {
      body: { email: frank.email, password: frank.password },
    });
    expect(refused.body).toMatchObject({ statusCode: 401, message: 'Account disabled' });
    await page.getByRole('button', { name: 'Enable Frank Girard' }).click();
    await frankRow.getByRole('cell', { name: 'active', exact: true }).waitFor();
    const allowed = await http(app.url, 'POST', '/api/v1/auth/login', {
      body: { email: frank.email, password: frank.password },
    });
    expect(allowed.status).toBe(200);

    // The admin's own row offers no change.
    await search.fill(admin.email);
    const own = page.getByRole('row', { name: /\(you\)/ });
    await own.waitFor();
    expect(await own.getByRole('button').count()).toBe(0);

    // A notification to the people ticked reaches their bell at once.
    await search.fill('Gina');
    await page.getByRole('checkbox', { name: 'Select Gina Roux' }).check();
    await page.getByRole('textbox', { name: 'Title' }).fill('Water cut on Monday');
    await page.getByRole('textbox', { name: 'Message' }).fill('From 8 to 12 in the town centre.');
    await page.getByRole('button', { name: 'Send to 1 person' }).click();
    await page.getByRole('status').filter({ hasText: 'Sent to 1 person.' }).waitFor();
    expect(await page.getByRole('button', { name: 'Send to 0 people' }).isDisabled()).toBe(true);
    await ginaPage.getByRole('button', { name: 'Notifications, 1 unread' }).click();
    const panel = ginaPage.getByRole('region', { name: 'Notifications', exact: true });
    await panel.getByText('Water cut on Monday').waitFor();
    await panel.getByText('From 8 to 12 in the town centre.').waitFor();
  });

  it('an admin pages through the people a search finds', async () => {
    await createUsers(app, 60, 'Paging Person');
    const page = await openSignedIn(await context(admin), app.url, '/admin/people');
    await page.getByRole('searchbox', { name: /^Find by/ }).fill('Paging Person');
    const rows = page.getByRole('row', { name: /Paging Person/ });
    await until(async () => (await rows.count()) === 50, 'the first 50 found');
    await page.getByRole('button', { name: 'Show more' }).click();
    await until(async () => (await rows.count()) === 60, 'all 60 found');
    await page.getByRole('button', { name: 'Show more' }).waitFor({ state: 'detached' });
  });

  it('goes back to sign in when the account is disabled', async () => {
    const carol = await registerUser(app, 'Carol Revoked');
    const page = await openSignedIn(await context(carol), app.url, '/suggestions');
    // An admin disables the account: its tokens stop working and its sockets are closed.
    const res = await http(app.url, 'PATCH', `/api/v1/users/${carol.id}`, {
      token: admin.token,
      body: { disabled: true },
    });
    expect(res.status).toBe(200);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: 15_000 });
    expect(await page.evaluate('localStorage.getItem("realtime-hub.session")')).toBeNull();
    // It says why, rather than look like a sign-out the user did not make.
    await page.getByRole('status').filter({ hasText: 'Your session was ended' }).waitFor();
  });

  it('follows the browser language and switches between English and French', async () => {
    const page = await openSignedIn(await context(alice, 'fr-FR'), app.url, '/suggestions').catch(async () => {
      throw new Error('The French page never showed a connection state');
    });
    await page.getByRole('navigation', { name: 'Principal' }).getByRole('link', { name: 'Tâches' }).waitFor();
    // The page says so from its load on (a screen reader picks its voice by it).
    expect(await page.locator('html').getAttribute('lang')).toBe('fr');
    // A refusal is told in French, naming the field; a success afterwards clears it.
    await page.getByLabel('Nouvelle suggestion').fill('   ');
    await page.getByRole('button', { name: 'Proposer' }).click();
    const refusal = page.getByRole('alert').filter({ hasText: 'Vérifiez ce champ : titre (3 à 200 caractères).' });
    await refusal.waitFor();
    await page.getByLabel('Nouvelle suggestion').fill('Un banc de plus');
    await page.getByRole('button', { name: 'Proposer' }).click();
    await page.getByRole('article', { name: 'Un banc de plus' }).waitFor();
    await refusal.waitFor({ state: 'detached' });
    // A vote on it reaches her bell worded in her language from the notice's data (the server writes English).
    const listed = await http(app.url, 'GET', '/api/v1/suggestions?limit=100', { token: alice.token });
    const bench = listed.body.items.find((s: { title: string }) => s.title === 'Un banc de plus');
    const vote = await http(app.url, 'PUT', `/api/v1/suggestions/${bench.id}/vote`, {
      token: bob.token,
      body: { value: -1 },
    });
    expect(vote.status).toBe(200);
    const bell = page.getByRole('button', { name: /^Notifications,/ });
    await bell.click();
    const panel = page.getByRole('region', { name: 'Notifications', exact: true });
    await panel.getByText('Nouveau vote contre votre suggestion').waitFor();
    await panel.getByText('Bob Durand a voté contre « Un banc de plus »').waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('combobox', { name: 'Langue' }).selectOption('en');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Jobs' }).waitFor();
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    await bell.click();
    await panel.getByText('New downvote on your suggestion').waitFor();
    await panel.getByText('Bob Durand voted against "Un banc de plus"').waitFor();
  });

  // Last: the 100 workstations it adds would change the counts the admin's screens show above.
  it("the kiosks' administration lists every workstation, past the API's pages of 100", async () => {
    for (let n = 1; n <= 100; n += 1) {
      const name = `Hall PC ${String(n).padStart(3, '0')}`;
      await http(app.url, 'POST', '/api/v1/kiosk/workstations', { token: admin.token, body: { name } });
    }
    const page = await openSignedIn(await context(admin), app.url, '/admin/kiosk');
    const offline = page.getByRole('region', { name: /^Offline \(101\)/ });
    for (const name of ['Library PC 1', 'Hall PC 001', 'Hall PC 100']) await offline.getByText(name).waitFor();
  });

  it("a job's event log that overflows its box scrolls from the keyboard, and passes axe", async () => {
    const job = (
      await http(app.url, 'POST', '/api/v1/jobs', { token: alice.token, body: { name: 'Crawl the parish records' } })
    ).body;
    const { token } = (await http(app.url, 'POST', `/api/v1/jobs/${job.id}/token`, { token: alice.token })).body;
    const report = (body: unknown) => http(app.url, 'POST', `/api/v1/jobs/${job.id}/events`, { token, body });
    await report({ type: 'job_started', data: {} });
    for (let n = 1; n <= 60; n += 1) await report({ type: 'item_scraped', data: { item: { n } } });
    const page = await openSignedIn(await context(alice), app.url, `/jobs/${job.id}`);
    const log = page.getByRole('log', { name: 'Event log' });
    await log.getByRole('listitem').last().filter({ hasText: '"n":60' }).waitFor();
    type Box = { scrollTop: number; clientHeight: number; scrollHeight: number };
    expect(await log.evaluate((box: Box) => box.scrollHeight > box.clientHeight)).toBe(true);
    expect(await seriousViolations(page)).toEqual([]);
    // Not read out event by event by a screen reader (a log is a live region unless told otherwise).
    expect(await log.getAttribute('aria-live')).toBe('off');
    await log.focus();
    await page.keyboard.press('End');
    await until(async () => (await log.evaluate((box: Box) => box.scrollTop)) > 0, 'the log scrolls to its end');
  });

  it('a new account reloads the people found as far as they were shown, past 100', async () => {
    await createUsers(app, 150, 'Crowd Member');
    const page = await openSignedIn(await context(admin), app.url, '/admin/people');
    await page.getByRole('searchbox', { name: /^Find by/ }).fill('Crowd Member');
    const rows = page.getByRole('row', { name: /Crowd Member/ });
    await until(async () => (await rows.count()) === 50, 'the first 50 found');
    for (const shown of [100, 150]) {
      await page.getByRole('button', { name: 'Show more' }).click();
      await until(async () => (await rows.count()) === shown, `${shown} shown`);
    }
    // Made elsewhere: the account count moves and the list is read again. By name it comes last, after the 150.
    await registerUser(app, 'Crowd Member Late');
    await until(async () => (await rows.count()) !== 150, 'the list is read again', 10_000);
    expect(await rows.count()).toBe(151);
    await page.getByRole('row', { name: /Crowd Member Late/ }).waitFor();
  });

  it('a new job’s total pages the server refuses is named in the reader’s language, marked and described; then created, and said so', async () => {
    const page = await openSignedIn(await context(alice, 'fr-FR'), app.url, '/jobs');
    await page.getByRole('textbox', { name: 'Nom' }).fill('Crawl the whole web');
    const pages = page.getByRole('spinbutton', { name: 'Nombre de pages' });
    await pages.fill('3000000000');
    await page.getByRole('button', { name: 'Créer la tâche' }).click();
    const refusal = page.getByRole('alert').filter({ hasText: 'Vérifiez ce champ' });
    await refusal.waitFor();
    expect(await refusal.innerText()).toBe(
      'Vérifiez ce champ : nombre de pages (un nombre entier, au plus 2 147 483 647).',
    );
    // The field refused is the one marked, described by the error line, and it has the focus; the other is not marked.
    const state = (field: typeof pages) =>
      field.evaluate((input: { getAttribute(name: string): string | null; ownerDocument: any }) => {
        const describedBy = input.getAttribute('aria-describedby');
        return {
          invalid: input.getAttribute('aria-invalid'),
          description: describedBy ? (input.ownerDocument.getElementById(describedBy)?.textContent ?? null) : null,
          focused: input.ownerDocument.activeElement === input,
        };
      });
    expect(await state(pages)).toEqual({ invalid: 'true', description: await refusal.innerText(), focused: true });
    expect(await state(page.getByRole('textbox', { name: 'Nom' }))).toEqual({
      invalid: null,
      description: null,
      focused: false,
    });
    // Put right and sent again: the job is created, a status line says so (the form, emptied, says nothing), and
    // nothing is marked any more.
    await pages.fill('3');
    await page.getByRole('button', { name: 'Créer la tâche' }).click();
    await page.getByRole('status').filter({ hasText: 'Tâche « Crawl the whole web » créée.' }).waitFor();
    expect(await refusal.count()).toBe(0);
    expect((await state(pages)).invalid).toBeNull();
  });

  it('names the page in the tab’s title, and says the page moved to, in the reader’s language', async () => {
    // Someone with nothing unread (the title would count it).
    const reader = await registerUser(app, 'Lecteur Titre');
    const page = await openSignedIn(await context(reader, 'fr-FR'), app.url, '/suggestions');
    const titleIs = (title: string) => until(async () => (await page.title()) === title, `the title is ${title}`);
    await titleIs('Suggestions · realtime-hub');
    const announcer = page.locator('[data-page-announcer]');
    // Nothing said at the first page: the page load is announced by the reader itself.
    expect({ live: await announcer.getAttribute('aria-live'), said: await announcer.textContent() }).toEqual({
      live: 'polite',
      said: '',
    });
    const jobs = page.getByRole('navigation', { name: 'Principal' }).getByRole('link', { name: 'Tâches' });
    await jobs.focus();
    await page.keyboard.press('Enter');
    await titleIs('Tâches · realtime-hub');
    await until(async () => (await announcer.textContent()) === 'Tâches', 'the move is said');
    expect(await jobs.evaluate((link: { ownerDocument: any }) => link.ownerDocument.activeElement === link)).toBe(true);
  });

  async function signInThroughForm(page: Page, user: TestUser): Promise<void> {
    await page.getByRole('textbox', { name: 'Email' }).fill(user.email);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  it('every open tab of an account the server ended says why, not only the tab that noticed first', async () => {
    const carol = await registerUser(app, 'Carol Twotabs');
    const browserContext = await context(carol);
    const tab1 = await openSignedIn(browserContext, app.url, '/suggestions');
    const tab2 = await openSignedIn(browserContext, app.url, '/documents');
    // Signed out everywhere from another device (or disabled by an admin): every token and socket of hers ends.
    const res = await http(app.url, 'POST', '/api/v1/auth/logout', { token: carol.token });
    expect(res.status).toBe(204);
    for (const tab of [tab1, tab2]) {
      await tab.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: 15_000 });
    }
    const told = async (tab: Page) =>
      (await tab.getByRole('status').filter({ hasText: 'Your session was ended' }).count()) > 0;
    // Each tab says it, rather than look like a sign-out the user did not make.
    expect({ tab1: await told(tab1), tab2: await told(tab2) }).toEqual({ tab1: true, tab2: true });
  });

  it('a disabled account at the sign-in form is told it is disabled, not that its password is wrong', async () => {
    const dan = await registerUser(app, 'Dan Disabled');
    const res = await http(app.url, 'PATCH', `/api/v1/users/${dan.id}`, {
      token: admin.token,
      body: { disabled: true },
    });
    expect(res.status).toBe(200);
    const page = await (await context()).newPage();
    await page.goto(`${app.url}/signin`);
    await signInThroughForm(page, dan);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    // The server says "Account disabled" (docs/protocol/identity.md); the form says the password is wrong.
    expect(await alert.innerText()).toMatch(/disabled/i);
  });

  it('another account signing in the same tab after a sign-out starts on the chat list, not on the page before', async () => {
    const erin = await registerUser(app, 'Erin Before');
    const fred = await registerUser(app, 'Fred After');
    const job = await http(app.url, 'POST', '/api/v1/jobs', { token: erin.token, body: { name: 'Erin’s own job' } });
    expect(job.status).toBe(201);
    const page = await openSignedIn(await context(erin), app.url, `/jobs/${job.body.id}`);
    await page.getByRole('heading', { name: 'Erin’s own job' }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    // A colleague signs in on the same computer.
    await signInThroughForm(page, fred);
    await page.locator('header .who').filter({ hasText: 'Fred After' }).waitFor();
    await page.waitForTimeout(500);
    expect({ path: new URL(page.url()).pathname, refused: await page.getByRole('alert').allInnerTexts() }).toEqual({
      path: '/chat',
      refused: [],
    });
  });

  it('the People screen keeps its own change when a reload of the list was on its way', async () => {
    const gail = await registerUser(app, 'Gail Raced');
    const page = await openSignedIn(await context(admin), app.url, '/admin/people');
    await page.getByRole('searchbox', { name: /^Find by/ }).fill('Gail Raced');
    const row = page.getByRole('row', { name: /Gail Raced/ });
    await row.getByRole('cell', { name: 'active', exact: true }).waitFor();
    // Gail's own sign-up has been counted by now (the dashboard's count, read again at most every second).
    await page.waitForTimeout(2000);
    // The next read of the list is slow to come back (a busy server, a slow network): read at once, handed over late.
    const slowed = await slowNextPeopleRead(page, 2000);
    // Someone signs up meanwhile: the list is read again, as the screen is made to.
    await registerUser(app, 'Someone Newer');
    await until(async () => slowed() !== 'no', 'the list is read again', 10_000);
    // The admin disables Gail while that read is on its way; the server's answer shows at once.
    await page.getByRole('button', { name: 'Disable Gail Raced' }).click();
    await row.getByRole('cell', { name: 'disabled', exact: true }).waitFor();
    // Then the read that began before the change comes back.
    await until(async () => slowed() === 'handed over', 'the slow read is handed over', 10_000);
    await page.waitForTimeout(1000);
    const server = await http(app.url, 'GET', `/api/v1/users?query=${encodeURIComponent('Gail Raced')}`, {
      token: admin.token,
    });
    expect(server.body.items.find((u: { id: string }) => u.id === gail.id).disabled).toBe(true);
    expect(await row.getByRole('cell', { name: /^(active|disabled)$/ }).innerText()).toBe('disabled');
  });

  describe('sign-in and people, from a review', () => {
    /** Whether the field has the focus, is marked invalid and is described by the error line `alertId`. */
    const markedBy = (field: Locator, alertId: string | null) =>
      field.evaluate(
        (element: { ownerDocument: { activeElement: unknown }; getAttribute(name: string): string | null }, id) => ({
          focused: element.ownerDocument.activeElement === element,
          invalid: element.getAttribute('aria-invalid'),
          describedByTheError: id !== null && element.getAttribute('aria-describedby') === id,
        }),
        alertId,
      );

    it('sign up: a field the server refuses is marked invalid, described by the error line, and takes the focus', async () => {
      const page = await (await context()).newPage();
      await page.goto(`${app.url}/signup`);
      const name = page.getByRole('textbox', { name: 'Display name' });
      const email = page.getByRole('textbox', { name: 'Email' });
      await name.fill('Lou Nodot');
      // The browser's email check takes an address without a dot in its domain; the server's does not.
      await email.fill('lou@localhost');
      await page.getByLabel('Password').fill('password-123');
      await page.getByRole('button', { name: 'Sign up' }).click();
      let alert = page.getByRole('alert').filter({ hasText: 'Please check the email address' });
      await alert.waitFor();
      expect(await markedBy(email, await alert.getAttribute('id'))).toEqual({
        focused: true,
        invalid: 'true',
        describedByTheError: true,
      });
      // Then a name of spaces only (the browser's `required` takes it; the server trims it to nothing).
      await email.fill(uniqueEmail('lou'));
      await name.fill('   ');
      await page.getByRole('button', { name: 'Sign up' }).click();
      alert = page.getByRole('alert').filter({ hasText: 'Please check the display name' });
      await alert.waitFor();
      expect(await markedBy(name, await alert.getAttribute('id'))).toMatchObject({ focused: true, invalid: 'true' });
      expect(await email.getAttribute('aria-invalid')).toBeNull();
    });

    it('people: a search the server cannot be reached for shows none of the search before, and is asked again', async () => {
      await registerUser(app, 'Olga Offline');
      await registerUser(app, 'Pia Previous');
      const page = await open(admin, '/admin/people');
      const search = page.getByRole('searchbox', { name: /^Find by/ });
      await search.fill('Pia Previous');
      await page.getByRole('row', { name: /Pia Previous/ }).waitFor();
      await page.route('**/api/v1/users?*', (route) => route.abort());
      await search.fill('Olga Offline');
      await page.getByRole('alert').filter({ hasText: 'The server cannot be reached' }).waitFor();
      // Pia is not who "Olga Offline" finds: her row, with its Disable button, does not stand as the answer.
      expect(await page.getByRole('row', { name: /Pia Previous/ }).count()).toBe(0);
      // The server back within reach (the browser says so), the search comes without another key pressed.
      await page.unroute('**/api/v1/users?*');
      await page.evaluate("window.dispatchEvent(new Event('online'))");
      await page.getByRole('row', { name: /Olga Offline/ }).waitFor();
      expect(await page.getByRole('alert').count()).toBe(0);
    });

    it('people: two changes to one account, the first answered last, show both', async () => {
      const ivy = await registerUser(app, 'Ivy Reorder');
      const page = await open(admin, '/admin/people');
      await page.getByRole('searchbox', { name: /^Find by/ }).fill('Ivy Reorder');
      const row = page.getByRole('row', { name: /Ivy Reorder/ });
      await row.getByRole('cell', { name: 'active', exact: true }).waitFor();
      // The first change's answer is slow to come back (a busy network), the server having made it at once.
      let slowed: 'no' | 'read' | 'handed over' = 'no';
      await page.route(`**/api/v1/users/${ivy.id}`, async (route) => {
        if (slowed !== 'no') return route.fallback();
        slowed = 'read';
        const response = await route.fetch();
        await new Promise((resolve) => setTimeout(resolve, 1000));
        await route.fulfill({ response });
        slowed = 'handed over';
      });
      await page.getByRole('button', { name: 'Disable Ivy Reorder' }).click();
      await page.getByRole('button', { name: 'Make admin: Ivy Reorder' }).click();
      await until(async () => slowed === 'handed over', 'the first answer is handed over');
      await until(
        async () =>
          (await api(admin.token, 'GET', `/api/v1/users?query=${encodeURIComponent(ivy.email)}`)).items[0].role ===
          'admin',
        'the server has Ivy an admin',
      );
      await settle(page);
      const shown = async (values: RegExp) => row.getByRole('cell', { name: values }).innerText();
      // The server has her an admin, disabled: so does the row (it showed her a user again, "Make admin" offered).
      expect([await shown(/^(admin|user)$/), await shown(/^(active|disabled)$/)]).toEqual(['admin', 'disabled']);
    });

    it('sign in: a wrong password’s error does not follow the visitor to the sign-up page', async () => {
      const sam = await registerUser(app, 'Sam Wrongpass');
      const page = await (await context()).newPage();
      await page.goto(`${app.url}/signin`);
      await page.getByRole('textbox', { name: 'Email' }).fill(sam.email);
      await page.getByLabel('Password').fill('wrong-password');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('alert').filter({ hasText: 'Wrong email or password' }).waitFor();
      await page.getByRole('link', { name: /Sign up/ }).click();
      await page.getByRole('heading', { name: 'Sign up' }).waitFor();
      // Nothing was sent from this form yet: no error to show.
      expect(await page.getByRole('alert').allInnerTexts()).toEqual([]);
    });

    it('signing out from the keyboard leaves the focus on the sign-in form, not on the page', async () => {
      const page = await open(await registerUser(app, 'Sam Keyboard'), '/suggestions');
      await page.getByRole('button', { name: 'Sign out' }).focus();
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      // Its button gone with the page, the focus goes to the form's first field (it was left on the page's body).
      const email = page.getByRole('textbox', { name: 'Email' });
      const onEmail = () =>
        email.evaluate(
          (element: { ownerDocument: { activeElement: unknown } }) => element.ownerDocument.activeElement === element,
        );
      await until(onEmail, 'the focus is on the email field');
    });
  });

  // Each action pressed from the keyboard leaves the focus somewhere a keyboard or screen-reader user can go on from,
  // not on the page's body (which sends them back to the top).
  describe('admin screens, from a review', () => {
    afterEach(() => closeAllSockets());

    it('kiosk admin: a refused new session does not leave the previous session’s access code shown as its result', async () => {
      const page = await open(admin, '/admin/kiosk');
      const form = page.getByRole('region', { name: 'New session' });
      await form.getByRole('spinbutton', { name: 'Duration (minutes)' }).fill('30');
      await form.getByRole('textbox', { name: 'Holder' }).fill('First visitor');
      await form.getByRole('button', { name: 'Create session' }).click();
      const code = form.getByRole('status').filter({ hasText: /^Access code: / });
      await code.waitFor();
      const first = (await code.locator('strong').innerText()).trim();
      await page.getByRole('cell', { name: 'First visitor' }).waitFor();
      // The next visitor's session: 30 seconds, under the server's minimum (60 s): refused.
      await form.getByRole('spinbutton', { name: 'Duration (minutes)' }).fill('0.5');
      await form.getByRole('textbox', { name: 'Holder' }).fill('Second visitor');
      await form.getByRole('button', { name: 'Create session' }).click();
      await page.getByRole('alert').filter({ hasText: 'Please check the duration' }).waitFor();
      // No session was created; the code under the form must not read as the answer to this press (it is the first
      // visitor's, and handed to the second one it opens the first one's session).
      expect(await form.getByText(first).count()).toBe(0);
    });

    it('kiosk admin: "Extend +5 min" on a pending session shows its new length', async () => {
      const session = await api(admin.token, 'POST', '/api/v1/kiosk/sessions', {
        durationSeconds: 1800,
        holderName: 'Pending Extend',
      });
      const page = await open(admin, '/admin/kiosk');
      const row = page.getByRole('row', { name: new RegExp(session.accessCode) });
      await row.getByRole('cell', { name: 'Pending Extend' }).waitFor();
      const before = await row.innerText();
      await row.getByRole('button', { name: `Extend +5 min, session ${session.accessCode}` }).click();
      await until(
        async () =>
          (await api(admin.token, 'GET', `/api/v1/kiosk/sessions/${session.id}`)).durationSeconds === 1800 + 300,
        'the server has the session extended',
      );
      await page.waitForTimeout(1000);
      // 30 minutes before, 35 now: the row says so (or anything that changed), not the same text as before.
      expect({ server: 'extended to 35 min', row: await row.innerText() }).not.toEqual({
        server: 'extended to 35 min',
        row: before,
      });
    });

    it('kiosk admin: a new workstation’s token is said to a screen reader, as the access code of a new session is', async () => {
      const page = await open(admin, '/admin/kiosk');
      const form = page.getByRole('region', { name: 'New workstation' });
      await form.getByRole('textbox', { name: 'Workstation name' }).fill('Town hall PC 7');
      await form.getByRole('button', { name: 'Add workstation' }).click();
      const token = form.getByRole('textbox', { name: /^Token for Town hall PC 7/ });
      await token.waitFor();
      // Announced: inside a live region (role status/alert or aria-live), or given the focus.
      const said = await token.evaluate(
        (element: { ownerDocument: any; closest(selector: string): unknown }) =>
          element.ownerDocument.activeElement === element ||
          element.closest('[role="status"], [role="alert"], [aria-live="polite"], [aria-live="assertive"]') !== null,
      );
      expect(said).toBe(true);
    });

    it('people: the "Sent to …" line follows a switch of language, as the rest of the screen does', async () => {
      const nora = await registerUser(app, 'Nora Langue');
      const page = await open(admin, '/admin/people');
      await page.getByRole('searchbox', { name: /^Find by/ }).fill('Nora Langue');
      await page.getByRole('checkbox', { name: 'Select Nora Langue' }).check();
      await page.getByRole('textbox', { name: 'Title' }).fill('Library closed');
      await page.getByRole('button', { name: 'Send to 1 person' }).click();
      await page.getByRole('status').filter({ hasText: 'Sent to 1 person.' }).waitFor();
      expect(nora.id).toBeTruthy();
      await page.getByRole('combobox', { name: 'Language' }).selectOption('fr');
      await page.getByRole('heading', { name: 'Personnes', level: 1 }).waitFor();
      await page.getByRole('button', { name: 'Envoyer à 0 personne' }).waitFor();
      expect(
        await page
          .getByRole('status')
          .filter({ hasText: /^(Sent|Envoyée)/ })
          .innerText(),
      ).toBe('Envoyée à 1 personne.');
    });

    it('people: a reload of the list on its way when "Show more" is pressed does not take the rows shown back', async () => {
      await createUsers(app, 120, 'Morerace Person');
      const page = await open(admin, '/admin/people');
      await page.getByRole('searchbox', { name: /^Find by/ }).fill('Morerace Person');
      const rows = page.getByRole('row', { name: /Morerace Person/ });
      await until(async () => (await rows.count()) === 50, 'the first 50 found');
      // The bulk insert is counted by now (the dashboard's count, at most every second, at least every 30 s).
      await page.waitForTimeout(2000);
      // The next reload of the list (the first page of the search, no cursor) is slow to come back.
      const slowed = await slowNextPeopleRead(page, 2500);
      // Someone signs up: the list is read again as far as it is shown (50 rows).
      await registerUser(app, 'Someone Elsewhere');
      await until(async () => slowed() !== 'no', 'the list is read again', 10_000);
      // Meanwhile the admin asks for the next page, and sees it.
      await page.getByRole('button', { name: 'Show more' }).click();
      await until(async () => (await rows.count()) === 100, '100 shown');
      await until(async () => slowed() === 'handed over', 'the slow read is handed over', 10_000);
      await page.waitForTimeout(1000);
      expect(await rows.count()).toBe(100);
    });

    it('kiosk admin: an extension answered after the kiosk started the session does not show it pending again', async () => {
      const kiosk = await createKiosk(app, admin, 'Race PC');
      const session = await api(admin.token, 'POST', '/api/v1/kiosk/sessions', {
        durationSeconds: 1800,
        holderName: 'Race Start',
      });
      const page = await open(admin, '/admin/kiosk');
      const row = page.getByRole('row', { name: new RegExp(session.accessCode) });
      const status = row.getByRole('cell', { name: /^(pending|active|ended)$/ });
      await row.getByRole('cell', { name: 'pending', exact: true }).waitFor();
      // The extension's answer is slow to come back (a busy network): the server extends at once, the page hears late.
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let extended = false;
      await page.route('**/api/v1/kiosk/sessions/*/extend', async (route) => {
        const response = await route.fetch();
        extended = true;
        await released;
        await route.fulfill({ response });
      });
      await row.getByRole('button', { name: `Extend +5 min, session ${session.accessCode}` }).click();
      await until(async () => extended, 'the server extended the session');
      // Then the visitor types the code at the kiosk and starts: the live update shows it active.
      const socket = await connect(app.url, kiosk.token);
      expect((await emitAck(socket, 'validate_code', { code: session.accessCode })).ok).toBe(true);
      expect((await emitAck(socket, 'start_session', { sessionId: session.id })).ok).toBe(true);
      await row.getByRole('cell', { name: 'active', exact: true }).waitFor();
      // The extension's answer (the session as it was before it started) comes now.
      release();
      await page.waitForTimeout(1500);
      expect((await api(admin.token, 'GET', `/api/v1/kiosk/sessions/${session.id}`)).status).toBe('active');
      expect(await status.innerText()).toBe('active');
    });
  });

  describe('from the keyboard', () => {
    it('document: pressing Delete from the keyboard keeps the focus in the confirmation, and Cancel gives it back', async () => {
      const doc = await api(alice.token, 'POST', '/api/v1/resources', {
        name: 'Focus doc',
        visibility: 'public',
        data: { text: 'x' },
      });
      const page = await open(alice, `/documents/${doc.id}`);
      await page.getByRole('button', { name: 'Delete', exact: true }).focus();
      await page.keyboard.press('Enter');
      await page.getByRole('button', { name: 'Delete it' }).waitFor();
      await settle(page);
      const afterDelete = await focused(page);
      await page.getByRole('button', { name: 'Cancel' }).focus();
      await page.keyboard.press('Enter');
      await page.getByRole('button', { name: 'Delete', exact: true }).waitFor();
      await settle(page);
      expect({ afterDelete, afterCancel: await focused(page) }).toEqual({
        afterDelete: 'BUTTON: Delete it',
        afterCancel: 'BUTTON: Delete',
      });
    });

    it('document: Save pressed from the keyboard keeps the focus on Save once saved', async () => {
      const doc = await api(alice.token, 'POST', '/api/v1/resources', {
        name: 'Save doc',
        visibility: 'public',
        data: { text: 'one' },
      });
      const page = await open(alice, `/documents/${doc.id}`);
      await page.getByRole('textbox', { name: 'Content' }).fill('one two');
      await page.keyboard.press('Tab');
      expect(await focused(page)).toBe('BUTTON: Save');
      await page.keyboard.press('Enter');
      await page.getByText(/Saved as version/).waitFor();
      await settle(page);
      expect(await focused(page)).toBe('BUTTON: Save');
    });

    it('suggestions: the create button pressed from the keyboard keeps the focus once created', async () => {
      const page = await open(alice, '/suggestions');
      await page.getByRole('textbox', { name: 'New suggestion' }).fill('A keyboard-made suggestion');
      await page.getByRole('button', { name: 'Suggest' }).focus();
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { name: 'A keyboard-made suggestion' }).waitFor();
      await settle(page);
      expect(await focused(page)).not.toMatch(/^BODY/);
    });

    it('group: people added from the keyboard leave the focus on "Add people", not on the page', async () => {
      await registerUser(app, 'Carol Review');
      const group = await api(alice.token, 'POST', '/api/v1/conversations', {
        memberIds: [bob.id],
        title: 'Focus group',
      });
      const page = await open(alice, `/chat/${group.id}`);
      await page.getByRole('button', { name: 'Add people' }).click();
      await page.getByRole('searchbox', { name: 'Find people' }).fill('Carol Rev');
      await page.getByRole('checkbox', { name: 'Carol Review' }).check();
      await page.getByRole('button', { name: 'Add', exact: true }).focus();
      await page.keyboard.press('Enter');
      await page
        .getByText(/Carol Review/)
        .first()
        .waitFor();
      await page.getByRole('button', { name: 'Add', exact: true }).waitFor({ state: 'detached' });
      await settle(page);
      expect(await focused(page)).toBe('BUTTON: Add people');
    });

    it('group: leaving it from the keyboard does not drop the focus on the page body', async () => {
      const group = await api(alice.token, 'POST', '/api/v1/conversations', {
        memberIds: [bob.id],
        title: 'Group to leave',
      });
      const page = await open(alice, `/chat/${group.id}`);
      await page.getByRole('button', { name: 'Leave the group' }).focus();
      await page.keyboard.press('Enter');
      await page.waitForURL(/\/chat$/);
      await settle(page);
      expect(await focused(page)).not.toMatch(/^BODY/);
    });

    it('toast: dismissing it from the keyboard does not drop the focus on the page body', async () => {
      const reader = await registerUser(app, 'Toast Keyboard');
      const page = await open(reader, '/suggestions');
      await page.getByRole('button', { name: 'Notifications, 0 unread' }).waitFor();
      await page.waitForLoadState('networkidle');
      await api(admin.token, 'POST', '/api/v1/notifications', {
        userIds: [reader.id],
        type: 'info',
        title: 'Keyboard toast',
      });
      const toasts = page.getByRole('region', { name: 'New notifications' });
      await toasts.getByText('Keyboard toast').waitFor();
      await toasts.getByRole('button', { name: 'Dismiss' }).focus();
      await page.keyboard.press('Enter');
      await toasts.getByText('Keyboard toast').waitFor({ state: 'detached' });
      await settle(page);
      expect(await focused(page)).not.toMatch(/^BODY/);
    });

    it('kiosk admin: ending a session from the keyboard does not drop the focus on the page body', async () => {
      const session = await api(admin.token, 'POST', '/api/v1/kiosk/sessions', {
        durationSeconds: 3600,
        holderName: 'Keyboard holder',
      });
      const page = await open(admin, '/admin/kiosk');
      const end = page.getByRole('button', { name: `End session ${session.accessCode}` });
      await end.focus();
      await page.keyboard.press('Enter');
      await end.waitFor({ state: 'detached' });
      await settle(page);
      expect(await focused(page)).not.toMatch(/^BODY/);
    });
    it('document: "Reload theirs" pressed from the keyboard in a conflict does not drop the focus on the page body', async () => {
      const doc = await api(alice.token, 'POST', '/api/v1/resources', {
        name: 'Conflict doc',
        visibility: 'public',
        data: { text: 'base' },
      });
      const page = await open(alice, `/documents/${doc.id}`);
      await page.getByRole('textbox', { name: 'Content' }).fill('mine');
      await api(alice.token, 'PATCH', `/api/v1/resources/${doc.id}`, { data: { text: 'theirs' } });
      await page.getByRole('button', { name: 'Save' }).click();
      const reload = page.getByRole('button', { name: 'Reload theirs' });
      await reload.focus();
      await page.keyboard.press('Enter');
      await reload.waitFor({ state: 'detached' });
      await settle(page);
      expect(await focused(page)).not.toMatch(/^BODY/);
    });
  });
});
