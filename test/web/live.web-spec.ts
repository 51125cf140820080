// Live screens in two browsers: a vote in one changes the count in the other within a second; the admin
// dashboard's tiles move when a user connects. Two tabs of one browser: each follows the browser's session (signed
// out, or signed in as someone else, in the other) and never sends with another account's token; the bell's list
// follows what the other tab marks read. Sign-up names the field it refuses. After a cut, and while polling, the
// suggestions and the kiosks' administration read again what no event brought, and the desktop notifications tell of
// what came meanwhile. Marking read from the keyboard keeps the focus in the bell's dropdown, and a failed mark says so;
// a stalled job says so in French.
import { jest } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DataSource } from 'typeorm';
import { startApp, type TestApp } from '../helpers/app.js';
import { loginAdmin, registerUser, type TestUser } from '../helpers/factories.js';
import { http } from '../helpers/http.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';
import {
  closeBrowserAndApp,
  connectionIs,
  hurriedConnectionIs,
  hurryUntil,
  launchBrowser,
  newContext,
  openSignedIn,
  putBehind,
  recordDesktopNotifications,
  screenshot,
  shownOnDesktop,
  until,
} from './browser.js';

jest.setTimeout(60_000);

describe('Live screens in the browser', () => {
  let app: TestApp;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  let proxy: TestProxy | undefined;

  beforeAll(async () => {
    [app, browser] = await Promise.all([
      startApp({ DASHBOARD_INTERVAL_MS: '200', JOB_STALL_SECONDS: '2' }),
      launchBrowser(),
    ]);
  });
  afterAll(async () => {
    await closeBrowserAndApp(browser, app);
  });
  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
    await proxy?.close();
    proxy = undefined;
  });

  /**
   * Cuts the page off through the proxy (everything, or its socket only) once its socket is up, and waits until it says
   * `reconnecting`: cut while the socket still connects (a list read over REST first, on a loaded machine), it says
   * `connecting`, and a CI run waited for `reconnecting` for good.
   */
  async function cutOff(page: Page, only: 'all' | 'socket' = 'all') {
    await connectionIs(page, 'online');
    if (only === 'all') proxy!.blockAll = true;
    else proxy!.blockSocketIo = true;
    proxy!.dropConnections();
    await connectionIs(page, 'reconnecting');
  }

  async function context(user?: Parameters<typeof newContext>[1]) {
    const created = await newContext(browser, user);
    contexts.push(created);
    return created;
  }

  async function newContextIn(locale: string, user: TestUser) {
    const created = await newContext(browser, user, locale);
    contexts.push(created);
    return created;
  }

  /** The admin (who notifies), a reader, and a friend of theirs with a conversation between the two. */
  async function readerAndFriend(readerName: string, friendName: string) {
    const [admin, reader, friend] = await Promise.all([
      loginAdmin(app),
      registerUser(app, readerName),
      registerUser(app, friendName),
    ]);
    const conversation = (
      await http(app.url, 'POST', '/api/v1/conversations', { token: friend.token, body: { memberIds: [reader.id] } })
    ).body as { id: string };
    return { admin, reader, friend, conversation };
  }

  it('a vote in one browser changes the count in the other within a second', async () => {
    const [voter, watcher] = await Promise.all([registerUser(app, 'Voter'), registerUser(app, 'Watcher')]);
    const title = 'Open the library on Sundays';
    await http(app.url, 'POST', '/api/v1/suggestions', {
      token: watcher.token,
      body: { title, description: 'Weekend hours' },
    });
    const pageV = await openSignedIn(await context(voter), app.url, '/suggestions');
    const pageW = await openSignedIn(await context(watcher), app.url, '/suggestions');
    const cardV = pageV.getByRole('article', { name: title });
    const cardW = pageW.getByRole('article', { name: title });
    await cardW.getByText(/Score: 0 ·/).waitFor();

    const upvote = cardV.getByRole('button', { name: 'For' });
    expect(await upvote.getAttribute('aria-pressed')).toBe('false');
    await upvote.click();
    const clicked = Date.now();
    await cardW.getByText(/Score: 1 ·/).waitFor({ timeout: 1000 });
    expect(Date.now() - clicked).toBeLessThan(1000);
    // The voter's own vote is shown as pressed.
    await cardV.locator('button[aria-pressed="true"]', { hasText: 'For' }).waitFor();

    // Changing it to a vote against moves the other browser to -1.
    await cardV.getByRole('button', { name: 'Against' }).click();
    await cardW.getByText(/Score: -1 ·/).waitFor({ timeout: 1000 });
    await screenshot(pageW, 'suggestions');
  });

  it('the author closes a suggestion to votes and reopens it, live for others; the list sorts by score', async () => {
    const [author, voter] = await Promise.all([registerUser(app, 'Closer'), registerUser(app, 'Late Voter')]);
    const title = 'Paint the old bridge';
    const favourite = 'Plant trees on the boulevard';
    for (const [token, name] of [
      [author.token, title],
      [voter.token, favourite],
    ]) {
      await http(app.url, 'POST', '/api/v1/suggestions', { token, body: { title: name, description: '' } });
    }
    const favouriteId = (
      await http(app.url, 'GET', '/api/v1/suggestions?sort=recent&limit=100', { token: voter.token })
    ).body.items.find((s: { title: string }) => s.title === favourite).id;
    await http(app.url, 'PUT', `/api/v1/suggestions/${favouriteId}/vote`, { token: author.token, body: { value: 1 } });
    const pageA = await openSignedIn(await context(author), app.url, '/suggestions');
    const pageV = await openSignedIn(await context(voter), app.url, '/suggestions');
    const cardA = pageA.getByRole('article', { name: title });
    const cardV = pageV.getByRole('article', { name: title });
    await cardV.waitFor();
    // Only the author (or an admin) may close it.
    expect(await cardV.getByRole('button', { name: 'Close to votes' }).count()).toBe(0);

    await cardA.getByRole('button', { name: 'Close to votes' }).click();
    await cardV.getByText(/· closed/).waitFor();
    expect(await cardV.getByRole('button', { name: 'For' }).isDisabled()).toBe(true);
    await cardA.getByRole('button', { name: 'Reopen' }).click();
    await until(async () => !(await cardV.getByRole('button', { name: 'For' }).isDisabled()), 'the vote reopens');

    // Top score first: the upvoted suggestion comes before the newer one with no vote.
    await pageV.getByLabel('Show').selectOption('score');
    const titles = async () => pageV.getByRole('article').locator('h2').allInnerTexts();
    await until(async () => (await titles()).indexOf(favourite) === 0, 'the top-scored suggestion is first');
    expect((await titles()).indexOf(title)).toBeGreaterThan(0);
  });

  it('a suggestion made through the form is listed once for its author, emptied form, and live for another user', async () => {
    const [author, watcher] = await Promise.all([registerUser(app, 'Author'), registerUser(app, 'Reader')]);
    const pageA = await openSignedIn(await context(author), app.url, '/suggestions');
    const pageW = await openSignedIn(await context(watcher), app.url, '/suggestions');
    const title = 'Water fountains in the square';
    await pageA.getByLabel('New suggestion').fill(title);
    await pageA.getByLabel('Description').fill('Two of them');
    await pageA.getByRole('button', { name: 'Suggest' }).click();
    await pageW.getByRole('article', { name: title }).waitFor();
    await pageA.getByRole('article', { name: title }).waitFor();
    // The answer to the POST and the live `suggestion:created` both bring it to the author, in either order: once
    // the reader has the event, the author (same room, same server) has had time for both; it must be listed once.
    await pageA.waitForTimeout(300);
    expect(await pageA.getByRole('article', { name: title }).count()).toBe(1);
    expect(await pageA.getByLabel('New suggestion').inputValue()).toBe('');
    // When, and whether it is one's own.
    await pageA.getByRole('article', { name: title }).getByText('Posted by you just now', { exact: true }).waitFor();
    await pageW.getByRole('article', { name: title }).getByText('Posted just now', { exact: true }).waitFor();
  });

  it('suggestions catch up after a cut (votes, a new one, a close, my vote from another device), and while polling', async () => {
    const [author, watcher] = await Promise.all([registerUser(app, 'Cut Author'), registerUser(app, 'Cut Watcher')]);
    const post = async (title: string) =>
      (await http(app.url, 'POST', '/api/v1/suggestions', { token: author.token, body: { title, description: '' } }))
        .body.id as string;
    const first = await post('Benches by the river');
    proxy = await startProxy([app.url]);
    const watcherContext = await context(watcher);
    await watcherContext.clock.install();
    const page = await openSignedIn(watcherContext, proxy.url, '/suggestions');
    const card = page.getByRole('article', { name: 'Benches by the river' });
    await card.getByText(/Score: 0 ·/).waitFor();

    await cutOff(page);
    // While the watcher is away: the author votes against, the watcher votes for from another device, a new
    // suggestion, and the first closed.
    await http(app.url, 'PUT', `/api/v1/suggestions/${first}/vote`, { token: author.token, body: { value: -1 } });
    await http(app.url, 'PUT', `/api/v1/suggestions/${first}/vote`, { token: watcher.token, body: { value: 1 } });
    await post('A market on Saturdays');
    await http(app.url, 'PATCH', `/api/v1/suggestions/${first}`, { token: author.token, body: { status: 'closed' } });
    proxy.blockAll = false;
    await hurriedConnectionIs(page, 'online');
    await card.getByText(/Score: 0 · for: 1 · against: 1 · closed/).waitFor();
    expect(await card.getByRole('button', { name: 'For' }).getAttribute('aria-pressed')).toBe('true');
    await page.getByRole('article', { name: 'A market on Saturdays' }).waitFor();

    // No socket at all: the screen reads the list again every 5 s.
    proxy.blockSocketIo = true;
    proxy.dropConnections();
    await hurriedConnectionIs(page, 'polling');
    await http(app.url, 'PATCH', `/api/v1/suggestions/${first}`, { token: author.token, body: { status: 'open' } });
    await http(app.url, 'DELETE', `/api/v1/suggestions/${first}/vote`, { token: author.token });
    const reopened = card.getByText(/Score: 1 · for: 1 · against: 0$/);
    await hurryUntil(page, async () => (await reopened.count()) > 0, 'a poll reads the list again');
  });

  it('the desktop notifications tell of a message and a notification that came during a cut', async () => {
    const { admin, reader, friend, conversation } = await readerAndFriend('Away Reader', 'Away Friend');
    proxy = await startProxy([app.url]);
    const readerContext = await context(reader);
    await recordDesktopNotifications(readerContext, proxy.url);
    const page = await openSignedIn(readerContext, proxy.url, '/suggestions');
    await page.getByRole('button', { name: /^Notifications,/ }).click();
    await page.getByRole('checkbox', { name: 'Desktop notifications' }).check();
    await page.keyboard.press('Escape');
    await putBehind(page);

    // The user channel's events of the cut are not sent again: the SDK's streams catch up on them.
    await cutOff(page);
    await http(app.url, 'POST', `/api/v1/conversations/${conversation.id}/messages`, {
      token: friend.token,
      body: { body: 'Sent while you were away' },
    });
    await http(app.url, 'POST', '/api/v1/notifications', {
      token: admin.token,
      body: { userIds: [reader.id], type: 'info', title: 'Told while away' },
    });
    proxy.blockAll = false;
    await connectionIs(page, 'online');
    await until(async () => (await shownOnDesktop(page)).length === 2, 'two desktop notifications', 10_000);
    expect(await shownOnDesktop(page)).toEqual(
      expect.arrayContaining([
        { title: 'Away Friend', body: 'Sent while you were away', tag: `conversation:${conversation.id}` },
        { title: 'Told while away', tag: expect.stringMatching(/^notification:/) },
      ]),
    );
  });

  it("the kiosks' administration catches up after a cut: a session started, another ended, a workstation added", async () => {
    const admin = await loginAdmin(app);
    const create = async (holderName: string) =>
      (
        await http(app.url, 'POST', '/api/v1/kiosk/sessions', {
          token: admin.token,
          body: { durationSeconds: 600, holderName },
        })
      ).body as { id: string; accessCode: string };
    const ending = await create('Leaving Soon');
    proxy = await startProxy([app.url]);
    const page = await openSignedIn(await context(admin), proxy.url, '/admin/kiosk');
    const sessions = page.getByRole('region', { name: 'Sessions' });
    await sessions.getByText('Leaving Soon').waitFor();

    await cutOff(page);
    await http(app.url, 'POST', `/api/v1/kiosk/sessions/${ending.id}/terminate`, { token: admin.token });
    await create('Came Meanwhile');
    await http(app.url, 'POST', '/api/v1/kiosk/workstations', { token: admin.token, body: { name: 'Annex PC 9' } });
    proxy.blockAll = false;
    await connectionIs(page, 'online');
    await sessions.getByText('Came Meanwhile').waitFor();
    await sessions.getByText('Leaving Soon').waitFor({ state: 'detached' });
    await page
      .getByRole('region', { name: /^Offline/ })
      .getByText('Annex PC 9')
      .waitFor();
  });

  it('a tab with no socket (polling) renews its token before it expires and stays signed in', async () => {
    // Tokens of 8 s; the tab renews at three quarters of that. No socket ever connects, so no `auth:expiring` comes.
    const shortLived = await startApp({ JWT_EXPIRES_IN: '8s' });
    try {
      const user = await registerUser(shortLived, 'Polling Reader');
      const issued = Date.now();
      proxy = await startProxy([shortLived.url]);
      proxy.blockSocketIo = true;
      const page = await (await context(user)).newPage();
      await page.goto(`${proxy.url}/suggestions`);
      await page.getByRole('heading', { name: 'Suggestions' }).waitFor();
      // The stored session's token (null once signed out).
      const stored = () =>
        page.evaluate<string | null>(
          `JSON.parse(localStorage.getItem('realtime-hub.session') ?? '{"token":null}').token`,
        );
      expect(await stored()).toBe(user.token);
      await until(async () => ![user.token, null].includes(await stored()), 'the tab renews its token', 15_000);
      // Past the first token's expiry: a request over REST still goes through, and the tab is still signed in.
      await page.waitForTimeout(Math.max(0, issued + 9000 - Date.now()));
      await page.getByLabel('New suggestion').fill('Renewed without a socket');
      await page.getByRole('button', { name: 'Suggest' }).click();
      await page.getByRole('article', { name: 'Renewed without a socket' }).waitFor();
      expect(new URL(page.url()).pathname).toBe('/suggestions');
    } finally {
      await proxy?.close();
      proxy = undefined;
      for (const context of contexts.splice(0)) await context.close();
      await shortLived.close();
    }
  });

  it('a document saved while polling shows the saved version at once, not the one before until the next poll', async () => {
    const { page } = await documentWhilePolling('Saved while polling', 'Before');
    const editor = page.getByRole('textbox', { name: 'Content' });
    await editor.fill('After');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved as version 2' }).waitFor();
    await page.getByText('Up to date.').waitFor({ timeout: 1000 });
    expect(await editor.inputValue()).toBe('After');
    await page.getByText('Live: version 2').waitFor({ timeout: 1000 });
  });

  /**
   * A document of a new owner (`text`, version 1), open on their page over HTTP polling, its clock then paused: no poll
   * brings what changes meanwhile, only what the page itself asks for. Answers the page and the document's id.
   */
  async function documentWhilePolling(name: string, text: string) {
    const owner = await registerUser(app, `${name} Owner`);
    const created = (
      await http(app.url, 'POST', '/api/v1/resources', {
        token: owner.token,
        body: { name, visibility: 'public', data: { text } },
      })
    ).body as { id: string };
    proxy = await startProxy([app.url]);
    proxy.blockSocketIo = true;
    const ownerContext = await context(owner);
    await ownerContext.clock.install();
    const page = await ownerContext.newPage();
    await page.goto(`${proxy.url}/documents/${created.id}`);
    await hurriedConnectionIs(page, 'polling');
    await page.getByText('Live: version 1').waitFor();
    await page.clock.pauseAt((await page.evaluate(() => Date.now())) + 1000);
    return { owner, page, id: created.id };
  }

  it('a conflict met while polling shows the version saved meanwhile, not the one before until the next poll', async () => {
    const { owner, page, id } = await documentWhilePolling('Conflict while polling', 'Before');
    const editor = page.getByRole('textbox', { name: 'Content' });
    await editor.fill('Mine');
    // Saved meanwhile from another device of the owner's.
    await http(app.url, 'PATCH', `/api/v1/resources/${id}`, {
      token: owner.token,
      headers: { 'if-match': '1' },
      body: { data: { text: 'Theirs' } },
    });
    await page.getByRole('button', { name: 'Save' }).click();
    const conflict = page.getByRole('alert').filter({ hasText: 'Someone saved version 2' });
    await conflict.waitFor();
    // It showed neither version 2 nor a merge; "Reload theirs" went back to version 1, "Up to date."
    const theirs = conflict.getByRole('region', { name: 'Version 2, saved meanwhile' });
    expect(await theirs.locator('pre').innerText()).toBe('Theirs');
    await conflict.getByRole('button', { name: 'Reload theirs' }).click();
    expect(await editor.inputValue()).toBe('Theirs');
    await page.getByText('Live: version 2').waitFor();
  });

  it('a document deleted by its owner while polling shows deleted at once, not at the next poll', async () => {
    const { page } = await documentWhilePolling('Deleted while polling', 'Soon gone');
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByRole('button', { name: 'Delete it' }).click();
    // The question stayed, "Delete it" pressed again answered "This no longer exists."
    await page.getByText('This document was deleted.').waitFor();
    expect(await page.getByRole('alert').filter({ hasText: 'This no longer exists.' }).count()).toBe(0);
  });

  it('a save of a document deleted meanwhile, while polling, shows it deleted and the text typed to be copied', async () => {
    const { page, id } = await documentWhilePolling('Saved after its deletion', 'Old text');
    const admin = await loginAdmin(app);
    await http(app.url, 'DELETE', `/api/v1/resources/${id}`, { token: admin.token });
    await page.getByRole('textbox', { name: 'Content' }).fill('New text');
    await page.getByRole('button', { name: 'Save' }).click();
    // It said "This no longer exists." under an editor still open, its Save pressed again answered the same.
    await page.getByText('This document was deleted.').waitFor();
    const unsaved = page.getByRole('region', { name: 'What you typed and had not saved' });
    expect(await unsaved.innerText()).toContain('New text');
  });

  it('the dashboard tiles move when a user connects', async () => {
    const admin = await loginAdmin(app);
    const page = await openSignedIn(await context(admin), app.url, '/admin/dashboard');
    const connections = page.getByRole('region', { name: 'Connections' });
    const count = async () => Number(await connections.locator('.big').textContent());
    await connections.locator('.big').waitFor();
    // The admin's own socket counts.
    await until(async () => (await count()) >= 1, 'the admin’s own socket is counted');
    const before = await count();

    const user = await registerUser(app, 'Newcomer');
    const other = await openSignedIn(await context(user), app.url, '/chat');
    await until(async () => (await count()) > before, 'the connections tile goes up');
    expect(await count()).toBeGreaterThan(before);
    // The users tile counts the newcomer too.
    const users = Number(await page.getByRole('region', { name: 'Users' }).locator('.big').textContent());
    expect(users).toBeGreaterThanOrEqual(2);

    // And back down when that browser closes.
    const during = await count();
    await other.context().close();
    contexts.splice(contexts.indexOf(other.context()), 1);
    await until(async () => (await count()) < during, 'the connections tile goes down');
    await screenshot(page, 'dashboard');
  });
  it('a tab follows the browser’s session, and never sends with the token of another account than the one it shows', async () => {
    const [alice, bob] = await Promise.all([registerUser(app, 'Alice Martin'), registerUser(app, 'Bob Durand')]);
    const conversation = await http(app.url, 'POST', '/api/v1/conversations', {
      token: alice.token,
      body: { memberIds: [bob.id] },
    });
    // Through a proxy, to cut the sockets; both tabs of one browser (one origin, one localStorage).
    proxy = await startProxy([app.url]);
    const browserContext = await context(alice);
    const tab1 = await openSignedIn(browserContext, proxy.url, '/chat');
    const tab2 = await openSignedIn(browserContext, proxy.url, `/chat/${conversation.body.id}`);
    const who = (page: typeof tab1) => page.locator('header .who');

    // Signed out in one tab: the other is back on the sign-in screen too.
    await tab1.getByRole('button', { name: 'Sign out' }).click();
    await tab2.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: 3000 });

    // Bob signs in in the first tab: the second switches to Bob's session, on the chat list (not on Alice's page).
    await tab1.getByRole('textbox', { name: 'Email' }).fill(bob.email);
    await tab1.getByLabel('Password').fill(bob.password);
    await tab1.getByRole('button', { name: 'Sign in' }).click();
    await who(tab2).filter({ hasText: 'Bob Durand' }).waitFor({ timeout: 3000 });
    expect(new URL(tab2.url()).pathname).toBe('/chat');

    // The browser's session becomes Alice's behind the second tab's back (written by that tab itself, so it has no
    // `storage` event of it, as when the event has not been handled yet): the first tab follows; the second, cut off
    // with a message to send, must not reconnect nor send with Alice's token while it shows Bob.
    await tab2.getByRole('link', { name: /Alice Martin/ }).click();
    const composer = tab2.getByRole('textbox', { name: 'Message' });
    await composer.waitFor();
    const aliceSession = JSON.stringify({ token: alice.token, user: userOf(alice) });
    await tab2.evaluate(`localStorage.setItem('realtime-hub.session', ${JSON.stringify(aliceSession)})`);
    await who(tab1).filter({ hasText: 'Alice Martin' }).waitFor({ timeout: 3000 });
    await cutOff(tab2);
    const body = 'typed in the tab that says Bob';
    await composer.fill(body);
    await tab2.getByRole('button', { name: 'Send' }).click();
    proxy.blockAll = false;
    // Refused a token of its own, it takes the browser's session: Alice's, shown as hers.
    await who(tab2).filter({ hasText: 'Alice Martin' }).waitFor({ timeout: 15_000 });
    const history = await http(app.url, 'GET', `/api/v1/conversations/${conversation.body.id}/messages`, {
      token: alice.token,
    });
    expect(
      history.body.items.filter((m: { body: string; senderId: string }) => m.body === body && m.senderId !== bob.id),
    ).toEqual([]);
  });

  it('sign-up names the field it refuses', async () => {
    const page = await (await context()).newPage();
    await page.goto(`${app.url}/signup`);
    await page.getByRole('textbox', { name: 'Display name' }).fill('   ');
    await page.getByRole('textbox', { name: 'Email' }).fill(`blank-${Date.now()}@test.local`);
    await page.getByLabel('Password').fill('password-123');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.getByRole('alert').filter({ hasText: 'Please check the display name' }).waitFor();
  });

  it('chimes once per arrival across tabs, not for a message read on screen, and not once turned off', async () => {
    const { admin, reader: listener, friend, conversation } = await readerAndFriend('Listener', 'Friend Chime');
    const notify = () =>
      http(app.url, 'POST', '/api/v1/notifications', {
        token: admin.token,
        body: { userIds: [listener.id], type: 'info', title: 'Chime check' },
      });
    const say = (body: string) =>
      http(app.url, 'POST', `/api/v1/conversations/${conversation.id}/messages`, {
        token: friend.token,
        body: { body },
      });
    const browserContext = await context(listener);
    // Counts the notes the tabs play (a chime is two), in storage they share and keep across a reload, around the
    // browser's own Web Audio.
    await browserContext.addInitScript(`{
      const create = AudioContext.prototype.createOscillator;
      AudioContext.prototype.createOscillator = function () {
        localStorage.setItem('notesPlayed', String(Number(localStorage.getItem('notesPlayed')) + 1));
        return create.call(this);
      };
    }`);
    const tabs = [
      await openSignedIn(browserContext, app.url, '/suggestions'),
      await openSignedIn(browserContext, app.url, '/suggestions'),
    ];
    const chimes = async () => Number(await tabs[1].evaluate(`localStorage.getItem('notesPlayed')`)) / 2;
    const stays = async (count: number) => {
      await tabs[0].waitForTimeout(2100);
      expect(await chimes()).toBe(count);
    };
    const soundSwitch = (tab: (typeof tabs)[number]) => tab.getByRole('checkbox', { name: 'Play a sound' });

    // Off at first. Turned on in one tab, the other follows; each has had a click, so either may play.
    for (const tab of tabs) await tab.getByRole('button', { name: /^Notifications/ }).click();
    expect(await soundSwitch(tabs[0]).isChecked()).toBe(false);
    await notify();
    await stays(0);
    await soundSwitch(tabs[0]).check();
    await until(async () => await soundSwitch(tabs[1]).isChecked(), 'the other tab follows the switch');

    // A notification: one chime for the two tabs.
    await notify();
    await until(async () => (await chimes()) === 1, 'a chime for the notification');
    await stays(1);
    // A message from someone else: one chime, once it has stayed unread for a second.
    await say('Are you coming?');
    await until(async () => (await chimes()) === 2, 'a chime for the message');
    await stays(2);
    // A message in the conversation one tab shows: read there at once, so neither tab chimes.
    await tabs[0].goto(`${app.url}/chat/${conversation.id}`);
    await tabs[0].getByRole('log', { name: 'Messages' }).getByText('Are you coming?').waitFor();
    await say('See you at six');
    await tabs[0].getByRole('log', { name: 'Messages' }).getByText('See you at six').waitFor();
    await stays(2);

    // Turned off (kept across a reload): nothing.
    await soundSwitch(tabs[1]).uncheck();
    await tabs[0].reload();
    await tabs[0].getByRole('button', { name: /^Notifications/ }).click();
    expect(await soundSwitch(tabs[0]).isChecked()).toBe(false);
    await notify();
    await say('Still there?');
    await stays(2);
  });

  it('the bell’s list follows what another tab marks read; Escape from the dropdown gives the focus back to the bell', async () => {
    const [admin, reader] = await Promise.all([loginAdmin(app), registerUser(app, 'Reader Twice')]);
    const sentAt: string[] = [];
    for (const title of ['Roadworks on Monday', 'Market moves to Friday']) {
      const sent = await http(app.url, 'POST', '/api/v1/notifications', {
        token: admin.token,
        body: { userIds: [reader.id], type: 'info', title, body: 'From the town hall' },
      });
      sentAt.unshift((sent.body as { items: Array<{ createdAt: string }> }).items[0].createdAt);
    }
    const browserContext = await context(reader);
    const [tab1, tab2] = [
      await openSignedIn(browserContext, app.url, '/suggestions'),
      await openSignedIn(browserContext, app.url, '/suggestions'),
    ];
    const panel1 = tab1.getByRole('region', { name: 'Notifications', exact: true });
    const panel2 = tab2.getByRole('region', { name: 'Notifications', exact: true });
    await tab1.getByRole('button', { name: 'Notifications, 2 unread' }).click();
    await tab2.getByRole('button', { name: 'Notifications, 2 unread' }).click();
    await panel2.getByText('Market moves to Friday').waitFor();
    // Newest first, each with the hour and minute it came (today's), the full date and time in the tooltip.
    const times = panel2.locator('time');
    expect(await times.allTextContents()).toEqual(
      sentAt.map((at) => new Date(at).toLocaleTimeString('en-US', { hour: 'numeric', minute: '2-digit' })),
    );
    expect(await times.first().getAttribute('dateTime')).toBe(sentAt[0]);

    // Escape with the focus in the dropdown closes it and puts the focus back on the bell; Enter opens it again.
    await panel2.getByRole('button', { name: 'Mark read' }).first().focus();
    await tab2.keyboard.press('Escape');
    await panel2.waitFor({ state: 'detached' });
    expect(await tab2.evaluate(`document.activeElement?.getAttribute('aria-controls')`)).toBe('notifications-panel');
    await tab2.keyboard.press('Enter');
    await panel2.getByText('Market moves to Friday').waitFor();

    // One read in the first tab: the second lists one unread; all read there: none unread here.
    const markRead2 = panel2.getByRole('button', { name: 'Mark read' });
    expect(await markRead2.count()).toBe(2);
    await panel1.getByRole('button', { name: 'Mark read' }).first().click();
    await tab2.getByRole('button', { name: 'Notifications, 1 unread' }).waitFor();
    await until(async () => (await markRead2.count()) === 1, 'the second tab lists one unread');
    await panel1.getByRole('button', { name: 'Mark all read' }).click();
    await tab2.getByRole('button', { name: 'Notifications, 0 unread' }).waitFor();
    await until(async () => (await markRead2.count()) === 0, 'the second tab lists none unread');
    expect(await panel2.locator('li.unread').count()).toBe(0);
  });

  it('shows read a notification read elsewhere during a cut, though a new one meanwhile kept the count the same', async () => {
    const [admin, reader] = await Promise.all([loginAdmin(app), registerUser(app, 'Reader Cut')]);
    const notify = async (title: string) =>
      (
        (
          await http(app.url, 'POST', '/api/v1/notifications', {
            token: admin.token,
            body: { userIds: [reader.id], type: 'info', title },
          })
        ).body as { items: Array<{ id: string }> }
      ).items[0].id;
    const first = await notify('Water off on Tuesday');
    await notify('Library closed');
    proxy = await startProxy([app.url]);
    const page = await openSignedIn(await context(reader), proxy.url, '/suggestions');
    await page.getByRole('button', { name: 'Notifications, 2 unread' }).click();
    const panel = page.getByRole('region', { name: 'Notifications', exact: true });
    await panel.getByText('Water off on Tuesday').waitFor();

    // Cut off: meanwhile the first is read on another device and a new one comes; the count stays 2.
    await cutOff(page, 'socket');
    await http(app.url, 'POST', `/api/v1/notifications/${first}/read`, { token: reader.token });
    await notify('Fair on Saturday');
    proxy.blockSocketIo = false;
    await connectionIs(page, 'online');
    await panel.getByText('Fair on Saturday').waitFor();
    await page.getByRole('button', { name: 'Notifications, 2 unread' }).waitFor();
    // It went on offering "Mark read" for good.
    await panel
      .locator('li', { hasText: 'Water off on Tuesday' })
      .getByRole('button', { name: 'Mark read' })
      .waitFor({ state: 'detached' });
    expect(await panel.locator('li.unread').allTextContents()).toEqual([
      expect.stringContaining('Fair on Saturday'),
      expect.stringContaining('Library closed'),
    ]);
  });

  /**
   * A suggestion posted before 100 others (`padding 001` to `padding 100`): by score (0 for each) and then newest
   * first, it comes after them, past the first page. With a voter and a reader, each a new user.
   */
  async function buriedSuggestion(title: string, padding: string) {
    const [author, voter, reader] = await Promise.all([
      registerUser(app, `${padding} Author`),
      registerUser(app, `${padding} Voter`),
      registerUser(app, `${padding} Reader`),
    ]);
    const post = async (text: string) =>
      (
        await http(app.url, 'POST', '/api/v1/suggestions', {
          token: author.token,
          body: { title: text, description: '' },
        })
      ).body as { id: string };
    const hidden = await post(title);
    for (let n = 1; n <= 100; n += 1) await post(`${padding} ${String(n).padStart(3, '0')}`);
    return { voter, reader, hidden };
  }

  it('by score, a suggestion that votes lift past the last one read joins the list at once, and once', async () => {
    const { voter, reader, hidden } = await buriedSuggestion('A hidden gem of an idea', 'Filler idea');
    const page = await openSignedIn(await context(reader), app.url, '/suggestions');
    await page.getByLabel('Show').selectOption('score');
    // The newest first of the equal scores: on the first page whatever the other specs voted for before.
    await page.getByRole('article', { name: 'Filler idea 100' }).waitFor();
    const gem = page.getByRole('article', { name: 'A hidden gem of an idea' });
    expect(await gem.count()).toBe(0);

    // Its vote lifts it above the last suggestion read, where the next page starts: that page would not have it.
    await http(app.url, 'PUT', `/api/v1/suggestions/${hidden.id}/vote`, { token: voter.token, body: { value: 1 } });
    await gem.getByText(/Score: 1 ·/).waitFor();
    const titles = () => page.getByRole('article').locator('h2').allInnerTexts();
    const listed = await titles();
    expect(listed.indexOf('A hidden gem of an idea')).toBeLessThan(listed.indexOf('Filler idea 100'));
    await page.getByRole('button', { name: 'Show more' }).click();
    await page.getByRole('button', { name: 'Show more' }).waitFor({ state: 'detached' });
    expect((await titles()).filter((title) => title === 'A hidden gem of an idea')).toHaveLength(1);
  });

  it('by score, a vote that comes while the list is being read lifts its suggestion once the list comes', async () => {
    const { voter, reader, hidden } = await buriedSuggestion('A buried idea worth a vote', 'Padding idea');
    const page = await openSignedIn(await context(reader), app.url, '/suggestions');
    await page.getByRole('article', { name: 'Padding idea 100' }).waitFor();

    // The page by score is read before the vote and answered after its event came (a slow link, a busy server).
    let answered!: () => void;
    const answer = new Promise<void>((resolve) => (answered = resolve));
    await page.route('**/api/v1/suggestions?sort=score*', async (route) => {
      const response = await route.fetch();
      await answer;
      await route.fulfill({ response });
    });
    await page.getByLabel('Show').selectOption('score');
    await until(async () => (await page.getByLabel('Show').inputValue()) === 'score', 'the list asked by score');
    await page.waitForTimeout(300);
    await http(app.url, 'PUT', `/api/v1/suggestions/${hidden.id}/vote`, { token: voter.token, body: { value: 1 } });
    await page.waitForTimeout(500);
    answered();

    await page
      .getByRole('article', { name: 'A buried idea worth a vote' })
      .getByText(/Score: 1 ·/)
      .waitFor();
    const titles = await page.getByRole('article').locator('h2').allInnerTexts();
    expect(titles.indexOf('A buried idea worth a vote')).toBeLessThan(titles.indexOf('Padding idea 100'));
  });

  it('marking read from the keyboard keeps the focus in the bell’s dropdown, and a mark that fails says so', async () => {
    const [admin, reader] = await Promise.all([loginAdmin(app), registerUser(app, 'Keyboard Reader')]);
    for (const title of ['Pool closed on Sunday', 'Choir rehearsal moved', 'Library card renewed']) {
      await http(app.url, 'POST', '/api/v1/notifications', {
        token: admin.token,
        body: { userIds: [reader.id], type: 'info', title },
      });
    }
    proxy = await startProxy([app.url]);
    const page = await openSignedIn(await context(reader), proxy.url, '/suggestions');
    await page.getByRole('button', { name: 'Notifications, 3 unread' }).click();
    const panel = page.getByRole('region', { name: 'Notifications', exact: true });
    const markRead = panel.getByRole('button', { name: 'Mark read' });
    await panel.getByText('Pool closed on Sunday').waitFor();
    const focusInPanel = () =>
      page.evaluate(`Boolean(document.getElementById('notifications-panel')?.contains(document.activeElement))`);

    // The button pressed goes with the mark: the focus stays in the dropdown, not back at the top of the page.
    await markRead.first().focus();
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Notifications, 2 unread' }).waitFor();
    await until(async () => (await markRead.count()) === 2, 'two left to read');
    expect(await focusInPanel()).toBe(true);

    // The server out of reach: the mark fails, and the dropdown says why rather than nothing.
    await cutOff(page);
    await markRead.first().click();
    await panel.getByRole('alert').filter({ hasText: 'The server cannot be reached' }).waitFor();
    expect(await markRead.count()).toBe(2);
    proxy.blockAll = false;
    await connectionIs(page, 'online');

    // "Mark all read" is disabled once nothing is unread: the focus stays in the dropdown all the same.
    await panel.getByRole('button', { name: 'Mark all read' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Notifications, 0 unread' }).waitFor();
    expect(await focusInPanel()).toBe(true);
    await page.keyboard.press('Escape');
    await panel.waitFor({ state: 'detached' });
    expect(await page.evaluate(`document.activeElement?.getAttribute('aria-controls')`)).toBe('notifications-panel');
  });

  it('a job that stalls says so in the reader’s language, not in the server’s word', async () => {
    const owner = await registerUser(app, 'Stalled Owner');
    const job = (await http(app.url, 'POST', '/api/v1/jobs', { token: owner.token, body: { name: 'Crawl the quays' } }))
      .body as { id: string };
    const { token } = (await http(app.url, 'POST', `/api/v1/jobs/${job.id}/token`, { token: owner.token })).body;
    await http(app.url, 'POST', `/api/v1/jobs/${job.id}/events`, { token, body: { type: 'job_started', data: {} } });
    // The worker says nothing more: the server fails the job (JOB_STALL_SECONDS, 2 s here) with its error `stalled`.
    const page = await openSignedIn(await newContextIn('fr-FR', owner), app.url, `/jobs/${job.id}`);
    const facts = page.locator('p').filter({ hasText: /^échouée ·/ });
    await facts.waitFor({ timeout: 10_000 });
    expect(await facts.innerText()).toContain('sans nouvelles du collecteur');
    expect(await facts.innerText()).not.toContain('stalled');
  });

  it('the bell’s list follows a read made in another tab also for a notification past the first 20', async () => {
    const [admin, reader] = await Promise.all([loginAdmin(app), registerUser(app, 'Reader Many')]);
    for (let n = 1; n <= 22; n += 1) {
      await http(app.url, 'POST', '/api/v1/notifications', {
        token: admin.token,
        body: { userIds: [reader.id], type: 'info', title: `Notice ${n}` },
      });
    }
    const shared = await context(reader);
    const tabs = [
      await openSignedIn(shared, app.url, '/suggestions'),
      await openSignedIn(shared, app.url, '/suggestions'),
    ];
    const panels = tabs.map((tab) => tab.getByRole('region', { name: 'Notifications', exact: true }));
    for (const [i, tab] of tabs.entries()) {
      await tab.getByRole('button', { name: 'Notifications, 22 unread' }).click();
      await panels[i].getByText('Notice 22', { exact: true }).waitFor();
      await panels[i].getByRole('button', { name: 'Show more' }).click();
      await panels[i].getByText('Notice 1', { exact: true }).waitFor();
    }
    const oldest = (i: number) =>
      panels[i].locator('li').filter({ has: tabs[i].getByText('Notice 1', { exact: true }) });
    expect(await oldest(1).getAttribute('class')).toBe('unread');

    // The first tab marks the oldest read, past the first page of 20: the second's count follows, and its list too.
    await oldest(0).getByRole('button', { name: 'Mark read' }).click();
    await tabs[1].getByRole('button', { name: 'Notifications, 21 unread' }).waitFor();
    await until(async () => (await oldest(1).getAttribute('class')) === 'read', 'the oldest shows read', 5000);
  });

  it("a job's page opened while its worker reports shows as many items as the job has, none counted twice", async () => {
    const jobOwner = await registerUser(app, 'Market Crawler');
    const job = (
      await http(app.url, 'POST', '/api/v1/jobs', { token: jobOwner.token, body: { name: 'Crawl the market' } })
    ).body as { id: string };
    const { token } = (await http(app.url, 'POST', `/api/v1/jobs/${job.id}/token`, { token: jobOwner.token })).body;
    const report = (body: unknown) => http(app.url, 'POST', `/api/v1/jobs/${job.id}/events`, { token, body });
    expect((await report({ type: 'job_started', data: { totalPages: 10 } })).status).toBe(201);
    const context = await newContext(browser, jobOwner);
    contexts.push(context);

    const shown: { page: number; server: number }[] = [];
    let n = 0;
    for (let visit = 0; visit < 3; visit += 1) {
      // The worker reports items (four at a time, as the example worker does) while the owner opens the job's page.
      let running = true;
      const worker = Promise.all(
        [1, 2, 3, 4].map(async () => {
          while (running) await report({ type: 'item_scraped', data: { item: { n: (n += 1) } } });
        }),
      );
      const page = await openSignedIn(context, app.url, `/jobs/${job.id}`);
      await page.getByRole('progressbar', { name: 'Progress of Crawl the market' }).waitFor();
      await new Promise((resolve) => setTimeout(resolve, 400));
      running = false;
      await worker;
      const server = (await http(app.url, 'GET', `/api/v1/jobs/${job.id}`, { token: jobOwner.token })).body.progress
        .itemsScraped as number;
      // Every event has reached the page once its log shows the last one.
      await until(
        async () => (await page.getByRole('log', { name: 'Event log' }).getByText(`{"n":${n}}`).count()) > 0,
        'the log shows the last item',
        10_000,
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      const facts = await page
        .locator('p')
        .filter({ hasText: /^running ·/ })
        .innerText();
      shown.push({ page: Number(/(\d+) items?/.exec(facts)?.[1]), server });
      await page.close();
    }
    expect(shown.filter(({ page, server }) => page !== server)).toEqual([]);
  });

  const postSuggestion = async (token: string, title: string) =>
    (await http(app.url, 'POST', '/api/v1/suggestions', { token, body: { title, description: '' } })).body as {
      id: string;
    };
  const voteFor = (token: string, id: string, value: 1 | -1) =>
    http(app.url, 'PUT', `/api/v1/suggestions/${id}/vote`, { token, body: { value } });

  it('top score first: a suggestion posted meanwhile (score 0) is not put above the higher-scored ones', async () => {
    const [author, fan1, fan2, reader] = await Promise.all([
      registerUser(app, 'Order Author'),
      registerUser(app, 'Order Fan One'),
      registerUser(app, 'Order Fan Two'),
      registerUser(app, 'Order Reader'),
    ]);
    const top = await postSuggestion(author.token, 'A well liked idea');
    await voteFor(fan1.token, top.id, 1);
    await voteFor(fan2.token, top.id, 1);
    const page = await openSignedIn(await context(reader), app.url, '/suggestions');
    await page.getByLabel('Show').selectOption('score');
    const titles = () => page.getByRole('article').locator('h2').allInnerTexts();
    await until(async () => (await titles())[0] === 'A well liked idea', 'the top-scored suggestion is first');

    // Someone else posts a new suggestion (score 0): by score it belongs below the one with score 2, before the others
    // of score 0 (it is the newest), as the server lists them; the list stays in score order.
    const scoresShown = async () =>
      (await page.getByRole('article').locator('p.counts strong').allInnerTexts()).map(Number);
    await postSuggestion(fan1.token, 'A brand new idea with no votes');
    await page.getByRole('article', { name: 'A brand new idea with no votes' }).waitFor();
    const scores = await scoresShown();
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    const listed = await titles();
    expect(scores[listed.indexOf('A brand new idea with no votes')]).toBe(0);
    expect(scores[listed.indexOf('A brand new idea with no votes') - 1]).toBeGreaterThan(0);

    // The reader's own new suggestion, through the form, is placed by its score too.
    await page.getByLabel('New suggestion').fill('My own idea, no votes yet');
    await page.getByRole('button', { name: 'Suggest' }).click();
    await page.getByRole('article', { name: 'My own idea, no votes yet' }).waitFor();
    expect((await titles())[0]).toBe('A well liked idea');
  });

  it('my vote shown pressed is the one the server kept when two vote answers come back out of order', async () => {
    const [author, voter] = await Promise.all([registerUser(app, 'Race Author'), registerUser(app, 'Race Voter')]);
    const title = 'Benches along the river';
    const s = await postSuggestion(author.token, title);
    const page = await openSignedIn(await context(voter), app.url, '/suggestions');
    const card = page.getByRole('article', { name: title });
    await card.getByText(/Score: 0 ·/).waitFor();

    // The first vote's answer is held (a slow connection); the second goes through at once.
    let releaseFirst!: () => void;
    const firstReleased = new Promise<void>((resolve) => (releaseFirst = resolve));
    let firstAnswered!: () => void;
    const firstDone = new Promise<void>((resolve) => (firstAnswered = resolve));
    let held = false;
    await page.route('**/api/v1/suggestions/*/vote', async (route) => {
      if (held) return route.continue();
      held = true;
      const response = await route.fetch();
      firstAnswered();
      await firstReleased;
      await route.fulfill({ response });
    });
    await card.getByRole('button', { name: 'For' }).click();
    await firstDone;
    // The server counted "for" (version 2); the user changes their mind before the screen shows it.
    await card.getByRole('button', { name: 'Against' }).click();
    await card.locator('button[aria-pressed="true"]', { hasText: 'Against' }).waitFor();
    await card.getByText(/Score: -1 ·/).waitFor();
    releaseFirst();
    await page.waitForTimeout(500);

    const stored = (await http(app.url, 'GET', `/api/v1/suggestions/${s.id}`, { token: voter.token })).body;
    expect(stored).toMatchObject({ myVote: -1, score: -1 });
    const pressed = await card.locator('button[aria-pressed="true"]').allInnerTexts();
    expect({ score: await card.locator('p.counts strong').innerText(), pressed: pressed.map((t) => t.trim()) }).toEqual(
      { score: '-1', pressed: ['▼ Against'] },
    );
  });

  it('my vote cast in one tab shows pressed in my other tab, where pressing it again takes it back', async () => {
    const [author, voter] = await Promise.all([registerUser(app, 'Tabs Author'), registerUser(app, 'Tabs Voter')]);
    const title = 'Lights in the underpass';
    const s = await postSuggestion(author.token, title);
    const tabs = await context(voter);
    const [first, second] = [
      await openSignedIn(tabs, app.url, '/suggestions'),
      await openSignedIn(tabs, app.url, '/suggestions'),
    ];
    const card = (tab: typeof first) => tab.getByRole('article', { name: title });
    await card(second)
      .getByText(/Score: 0 ·/)
      .waitFor();

    // The vote's event tells the other tab the count, not whose vote it was.
    await card(first).getByRole('button', { name: 'For' }).click();
    await card(second)
      .getByText(/Score: 1 ·/)
      .waitFor();
    await card(second).locator('button[aria-pressed="true"]', { hasText: 'For' }).waitFor({ timeout: 3000 });

    // Pressed again there, it is taken back (not cast again), and the first tab follows.
    await card(second).getByRole('button', { name: 'For' }).click();
    await card(second)
      .getByText(/Score: 0 ·/)
      .waitFor();
    await card(first)
      .getByText(/Score: 0 ·/)
      .waitFor();
    await card(first).locator('button[aria-pressed="true"]').waitFor({ state: 'detached', timeout: 3000 });
    const stored = (await http(app.url, 'GET', `/api/v1/suggestions/${s.id}`, { token: voter.token })).body;
    expect(stored).toMatchObject({ myVote: 0, score: 0 });
  });

  it('a vote refused because the suggestion was closed meanwhile shows it closed, not still open to votes', async () => {
    const [author, voter] = await Promise.all([
      registerUser(app, 'Refused Author'),
      registerUser(app, 'Refused Voter'),
    ]);
    const title = 'A fountain in the park';
    const s = await postSuggestion(author.token, title);
    proxy = await startProxy([app.url]);
    const voterContext = await context(voter);
    await voterContext.clock.install();
    const page = await openSignedIn(voterContext, proxy.url, '/suggestions');
    const card = page.getByRole('article', { name: title });
    await card.getByText(/Score: 0 ·/).waitFor();
    // Polling (no event comes, and the clock held: no poll either): the author closes it before the screen can know.
    proxy.blockSocketIo = true;
    proxy.dropConnections();
    await hurriedConnectionIs(page, 'polling');
    await page.clock.pauseAt((await page.evaluate(() => Date.now())) + 1000);
    await http(app.url, 'PATCH', `/api/v1/suggestions/${s.id}`, { token: author.token, body: { status: 'closed' } });
    await card.getByRole('button', { name: 'For' }).click();
    await page.getByRole('alert').filter({ hasText: 'This cannot be done in its current state.' }).waitFor();
    // The refusal said why: the card says so too, rather than offering the vote again until the next poll.
    expect(await card.locator('p.counts').innerText()).toMatch(/· closed$/);
    expect(await card.getByRole('button', { name: 'For' }).isDisabled()).toBe(true);
    expect(await card.getByRole('button', { name: 'For' }).getAttribute('aria-pressed')).toBe('false');
  });

  it('a suggestion closed by its author keeps the keyboard focus on the vote button the reader was on', async () => {
    const [author, voter] = await Promise.all([registerUser(app, 'Focus Author'), registerUser(app, 'Focus Voter')]);
    const title = 'Lights on the towpath';
    const s = await postSuggestion(author.token, title);
    const page = await openSignedIn(await context(voter), app.url, '/suggestions');
    const card = page.getByRole('article', { name: title });
    const upvote = card.getByRole('button', { name: 'For' });
    await upvote.focus();
    await page.keyboard.press('Enter');
    await card.locator('button[aria-pressed="true"]', { hasText: 'For' }).waitFor();
    await http(app.url, 'PATCH', `/api/v1/suggestions/${s.id}`, { token: author.token, body: { status: 'closed' } });
    await card.getByText(/· closed$/).waitFor();
    // Not sent back to the top of the page (the focus on the body) by someone else's close.
    expect(
      await upvote.evaluate(
        (button) =>
          button === (globalThis as unknown as { document: { activeElement: unknown } }).document.activeElement,
      ),
    ).toBe(true);
    expect(await upvote.isDisabled()).toBe(true);
    // Closed, a press does not vote.
    await page.keyboard.press('Enter');
    await page.keyboard.press('Space');
    const stored = (await http(app.url, 'GET', `/api/v1/suggestions/${s.id}`, { token: voter.token })).body;
    expect(stored).toMatchObject({ myVote: 1, upvotes: 1 });
    expect(await page.getByRole('alert').count()).toBe(0);
    expect(await upvote.getAttribute('aria-pressed')).toBe('true');
  });

  it('a toast read on another device gives its place back: the three latest unread ones show', async () => {
    const [admin, reader] = await Promise.all([loginAdmin(app), registerUser(app, 'Toast Slots')]);
    const page = await openSignedIn(await context(reader), app.url, '/suggestions');
    await page.getByRole('button', { name: 'Notifications, 0 unread' }).waitFor();
    await page.waitForLoadState('networkidle');
    const toasts = page.getByRole('region', { name: 'New notifications' });
    const notify = async (title: string) => {
      const sent = await http(app.url, 'POST', '/api/v1/notifications', {
        token: admin.token,
        body: { userIds: [reader.id], type: 'info', title },
      });
      await toasts.getByText(title).waitFor();
      return (sent.body as { items: Array<{ id: string }> }).items[0].id;
    };
    await notify('Gym closed');
    const second = await notify('Pool reopened');
    await notify('Bus route changed');
    // The second is read on the phone: its toast goes; a fourth comes, and the first still shows with the others.
    await http(app.url, 'POST', `/api/v1/notifications/${second}/read`, { token: reader.token });
    await toasts.getByText('Pool reopened').waitFor({ state: 'detached' });
    await notify('Market on Sunday');
    expect(await toasts.locator('.toast p').allInnerTexts()).toEqual([
      'Market on Sunday',
      'Bus route changed',
      'Gym closed',
    ]);
  });

  it('a notification opened from its toast or the dropdown whose read fails stays unread, says why at once and offers the read again', async () => {
    const [admin, reader] = await Promise.all([loginAdmin(app), registerUser(app, 'Unread Opener')]);
    const doc = (
      await http(app.url, 'POST', '/api/v1/resources', {
        token: admin.token,
        body: { name: 'Agenda', visibility: 'public', data: { text: '' } },
      })
    ).body as { id: string };
    proxy = await startProxy([app.url]);
    const page = await openSignedIn(await context(reader), proxy.url, '/suggestions');
    await page.getByRole('button', { name: 'Notifications, 0 unread' }).waitFor();
    await page.waitForLoadState('networkidle');
    const toasts = page.getByRole('region', { name: 'New notifications' });
    const notify = (title: string) =>
      http(app.url, 'POST', '/api/v1/notifications', {
        token: admin.token,
        body: { userIds: [reader.id], type: 'info', title, data: { resourceId: doc.id } },
      });
    const unreadOnServer = async () =>
      (
        (await http(app.url, 'GET', '/api/v1/notifications/unread-count', { token: reader.token })).body as {
          count: number;
        }
      ).count;

    // From its toast: the toast went, the read failed with nothing said, and the notification stayed unread.
    await notify('Agenda posted');
    await toasts.getByText('Agenda posted').waitFor();
    await cutOff(page);
    await toasts.getByRole('link', { name: 'Agenda posted' }).click();
    const toast = toasts.locator('.toast', { hasText: 'Agenda posted' });
    await toast.getByRole('alert').filter({ hasText: 'The server cannot be reached' }).waitFor({ timeout: 3000 });
    expect(await page.getByRole('button', { name: 'Notifications, 1 unread' }).count()).toBe(1);
    // It stays while the read is not done, past the 8 s a toast shows, and the read is offered again.
    await page.waitForTimeout(9000);
    expect(await toast.count()).toBe(1);
    proxy.blockAll = false;
    await connectionIs(page, 'online');
    await toast.getByRole('button', { name: 'Mark read' }).click();
    await page.getByRole('button', { name: 'Notifications, 0 unread' }).waitFor();
    await toast.waitFor({ state: 'detached' });
    expect(await unreadOnServer()).toBe(0);

    // From the dropdown, which its link closes: said likewise, not on the closed dropdown's error line.
    await notify('Minutes posted');
    await page.getByRole('button', { name: 'Notifications, 1 unread' }).click();
    const panel = page.getByRole('region', { name: 'Notifications', exact: true });
    await panel.getByText('Minutes posted').waitFor();
    await cutOff(page);
    await panel.getByRole('link', { name: 'Minutes posted' }).click();
    await panel.waitFor({ state: 'detached' });
    await toasts
      .locator('.toast', { hasText: 'Minutes posted' })
      .getByRole('alert')
      .filter({ hasText: 'The server cannot be reached' })
      .waitFor({ timeout: 3000 });
    expect(await unreadOnServer()).toBe(1);
    proxy.blockAll = false;
    await connectionIs(page, 'online');
  });

  it('a notification that arrives while the bell’s dropdown is open is said to a screen reader', async () => {
    const [admin, reader] = await Promise.all([loginAdmin(app), registerUser(app, 'Open Bell Reader')]);
    const page = await openSignedIn(await context(reader), app.url, '/suggestions');
    await page.getByRole('button', { name: 'Notifications, 0 unread' }).click();
    const panel = page.getByRole('region', { name: 'Notifications', exact: true });
    await panel.getByText('No notifications.').waitFor();
    await http(app.url, 'POST', '/api/v1/notifications', {
      token: admin.token,
      body: { userIds: [reader.id], type: 'info', title: 'Hall booked for Friday', body: 'From the town hall' },
    });
    await panel.getByRole('listitem').filter({ hasText: 'Hall booked for Friday' }).waitFor();
    // No toast while the dropdown is open, where the new row alone showed it: a status line says it.
    const said = page.getByRole('status').filter({ hasText: 'Hall booked for Friday' });
    await said.waitFor();
    expect(await page.getByRole('region', { name: 'New notifications' }).innerText()).toBe('');
    // Closed and opened again, it is not said again.
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: 'Notifications, 1 unread' }).click();
    await panel.getByText('Hall booked for Friday').waitFor();
    expect(await said.count()).toBe(0);
  });

  it('in French, a suggestion posted weeks ago says when as a sentence ("Publiée le …")', async () => {
    const reader = await registerUser(app, 'Lectrice');
    const old = await postSuggestion(reader.token, 'Une idée ancienne');
    await app.app
      .get(DataSource)
      .query(`UPDATE suggestions SET created_at = now() - interval '20 days' WHERE id = $1`, [old.id]);
    const page = await openSignedIn(await newContextIn('fr-FR', reader), app.url, '/suggestions');
    const when = page.getByRole('article', { name: 'Une idée ancienne' }).locator('time');
    // Older than the suggestions of the other tests: on a later page.
    await page.getByRole('article').first().waitFor();
    // A click while a page is on its way does nothing (and the last page takes the button away): one per page.
    const articles = page.getByRole('article');
    while ((await when.count()) === 0) {
      const shown = await articles.count();
      await page.getByRole('button', { name: 'Afficher plus' }).click();
      await until(async () => (await articles.count()) > shown, 'the next page');
    }
    await when.waitFor();
    expect(await when.innerText()).toMatch(/^Publiée par vous le /);
  });

  it('in French, the counts line follows French punctuation ("Score : 1 · pour : 1 · contre : 0")', async () => {
    const reader = await registerUser(app, 'Lecteur');
    const s = await postSuggestion(reader.token, 'Une idée comptée');
    await voteFor(reader.token, s.id, 1);
    const page = await openSignedIn(await newContextIn('fr-FR', reader), app.url, '/suggestions');
    const counts = page.getByRole('article', { name: 'Une idée comptée' }).locator('p.counts');
    await counts.waitFor();
    // The app's other French strings put a space before the colon ("Dernière connexion : …", "Nom : texte").
    expect((await counts.innerText()).replace(/\s+/g, ' ').trim()).toBe('Score : 1 · pour : 1 · contre : 0');
  });
});

function userOf(user: TestUser) {
  return { id: user.id, email: user.email, displayName: user.displayName, role: user.role, createdAt: '' };
}
