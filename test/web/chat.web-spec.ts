// Chat in two browsers: typing, message and read receipt shown to the other person; and a browser cut off from
// the server shows `reconnecting`, then, back online, every message sent meanwhile, in order, with none missing.
import { jest } from '@jest/globals';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { startApp, type TestApp } from '../helpers/app.js';
import { loginAdmin, registerUser, type TestUser } from '../helpers/factories.js';
import { http } from '../helpers/http.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';
import { connect, emitAck } from '../helpers/sockets.js';
import {
  closeBrowserAndApp,
  connectionIs,
  connectionState,
  hurriedConnectionIs,
  hurryUntil,
  launchBrowser,
  newContext,
  openSignedIn,
  putBehind,
  screenshot,
  seriousViolations,
  until,
} from './browser.js';

jest.setTimeout(60_000);

describe('Chat in the browser', () => {
  let app: TestApp;
  let browser: Browser;
  let proxy: TestProxy | undefined;
  const contexts: BrowserContext[] = [];
  let alice: TestUser;
  let bob: TestUser;
  let conversationId: string;

  beforeAll(async () => {
    [app, browser] = await Promise.all([startApp(), launchBrowser()]);
  });
  afterAll(async () => {
    await closeBrowserAndApp(browser, app);
  });
  beforeEach(async () => {
    alice = await registerUser(app, 'Alice Martin');
    bob = await registerUser(app, 'Bob Durand');
    const res = await http(app.url, 'POST', '/api/v1/conversations', {
      token: alice.token,
      body: { memberIds: [bob.id] },
    });
    conversationId = res.body.id;
  });
  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
    await proxy?.close();
    proxy = undefined;
  });

  /** `hurried`: the page's clock installed, for hurryUntil. */
  async function open(user: TestUser, baseUrl = app.url, { hurried = false } = {}) {
    const context = await newContext(browser, user);
    contexts.push(context);
    if (hurried) await context.clock.install();
    return openSignedIn(context, baseUrl, `/chat/${conversationId}`);
  }

  it('shows the other person typing, their message (told to a screen reader), and the receipt of a message read', async () => {
    // Bob has another conversation to switch to and back.
    const carol = await registerUser(app, 'Carol Petit');
    const withCarol = (
      await http(app.url, 'POST', '/api/v1/conversations', { token: bob.token, body: { memberIds: [carol.id] } })
    ).body;
    await http(app.url, 'POST', `/api/v1/conversations/${withCarol.id}/messages`, {
      token: carol.token,
      body: { body: 'Welcome to the team' },
    });
    const [pageA, pageB] = [await open(alice), await open(bob)];

    // Bob's dot in Alice's list says he is online.
    await pageA
      .getByRole('link', { name: /Bob Durand/ })
      .getByRole('img', { name: 'online' })
      .waitFor();

    // Bob types steadily, a key every 300 ms, for longer than the server's 5 s typing timeout: Alice sees it all along.
    const composerB = pageB.getByRole('textbox', { name: 'Message' });
    const typingLine = pageA.getByText('Bob Durand is typing…');
    await composerB.pressSequentially('Hello Al');
    await typingLine.waitFor();
    const typingFrom = Date.now();
    while (Date.now() - typingFrom < 6500) {
      await composerB.press('i');
      await pageB.waitForTimeout(300);
      expect(await typingLine.isVisible()).toBe(true);
    }

    await pageB.getByRole('textbox', { name: 'Message' }).fill('Hello Alice, the report is ready');
    await pageB.getByRole('button', { name: 'Send' }).click();
    const logA = pageA.getByRole('log', { name: 'Messages' });
    await logA.getByText('Hello Alice, the report is ready').waitFor();
    // The typing line clears once the message arrives.
    await pageA.getByText('Bob Durand is typing…').waitFor({ state: 'detached' });
    // A screen reader is told of it, and of nothing in the history: the log is no live region (its 50 messages at a
    // time were read out one after the other); a region of its own says what comes.
    expect(await logA.getAttribute('aria-live')).toBe('off');
    expect(await pageA.locator('main [data-announcer]').textContent()).toBe(
      'Bob Durand: Hello Alice, the report is ready',
    );
    expect(await pageB.locator('main [data-announcer]').textContent()).toBe('');

    // Alice has it on screen, so it is read: Bob sees the receipt under his message.
    const logB = pageB.getByRole('log', { name: 'Messages' });
    await logB.getByText('Seen by Alice Martin').waitFor();
    await screenshot(pageB, 'chat-receipt');

    // Alice answers; Bob reads it as it comes. He looks at another conversation and comes back: what he read is not
    // new again, and his message is still seen (the read marks of when the chat was opened are long past).
    await pageA.getByRole('textbox', { name: 'Message' }).fill('Thanks Bob');
    await pageA.getByRole('button', { name: 'Send' }).click();
    await logB.getByText('Thanks Bob').waitFor();
    const listB = pageB.getByRole('navigation', { name: 'Conversations' });
    await listB.getByRole('link', { name: /Carol Petit/ }).click();
    await pageB.getByRole('heading', { name: 'Carol Petit' }).waitFor();
    await listB.getByRole('link', { name: /Alice Martin/ }).click();
    await logB.getByText('Thanks Bob').waitFor();
    await logB.getByText('Seen by Alice Martin').waitFor();
    expect(await logB.getByText('New messages').count()).toBe(0);
    expect(await logB.getByText('Sent', { exact: true }).count()).toBe(0);

    // Offline, a conversation whose history cannot load says so, with a retry, rather than an empty log.
    await pageB.context().setOffline(true);
    await listB.getByRole('link', { name: /Carol Petit/ }).click();
    const carolPane = pageB.getByRole('region', { name: 'Carol Petit' });
    const unreachable = carolPane.getByRole('alert').filter({ hasText: 'The server cannot be reached' });
    await unreachable.waitFor();
    await carolPane.getByRole('button', { name: 'Retry' }).waitFor();
    // Opened (here, back in the history) before the list came, it says the list cannot load, not "Pick a
    // conversation." while it may well be there.
    await pageB.getByRole('link', { name: 'Documents', exact: true }).click();
    await pageB.getByRole('heading', { name: 'Documents', level: 1 }).waitFor();
    await pageB.goBack();
    await pageB
      .getByRole('region', { name: 'Conversations', exact: true })
      .getByRole('alert')
      .filter({ hasText: 'The server cannot be reached' })
      .waitFor();
    expect(await pageB.getByText('Pick a conversation.').count()).toBe(0);
    // Back online, the list and then the history come by themselves.
    await pageB.context().setOffline(false);
    await logB.getByText('Welcome to the team').waitFor();
    expect(await unreachable.count()).toBe(0);
  });

  it('tells a screen reader of each message that comes, the same words twice included', async () => {
    const pageA = await open(alice);
    const logA = pageA.getByRole('log', { name: 'Messages' });
    await logA.waitFor();
    // The history read first: a message it holds came before the page and is not told (a clean-clone run once saw the
    // first message posted before the history was read, and told only the second).
    await until(async () => (await pageA.getByText('Loading…').count()) === 0, 'the history is read');
    // What the live region is given: a screen reader reads what is added to it, not a text set to what it was.
    await pageA.evaluate(`
      window.__told = [];
      new MutationObserver((records) => {
        for (const record of records)
          for (const node of record.addedNodes) window.__told.push(node.textContent);
        for (const record of records)
          if (record.type === 'characterData') window.__told.push(record.target.textContent);
      }).observe(document.querySelector('main [data-announcer]'), { childList: true, subtree: true, characterData: true });
    `);
    const say = (body: string) =>
      http(app.url, 'POST', `/api/v1/conversations/${conversationId}/messages`, { token: bob.token, body: { body } });
    await say('On my way');
    await logA.getByText('On my way').waitFor();
    await say('On my way');
    await until(async () => (await logA.getByText('On my way').count()) === 2, 'both messages shown');
    await pageA.waitForTimeout(200);
    expect(await pageA.evaluate('window.__told')).toEqual(['Bob Durand: On my way', 'Bob Durand: On my way']);
  });

  it('says whether the other person of a direct conversation is online, or since when they are not', async () => {
    const pageA = await open(alice);
    const pageB = await open(bob);
    const pane = pageA.getByRole('region', { name: 'Bob Durand' });
    await pane.getByText('online', { exact: true }).waitFor();
    // Bob signs out (the server closes all his sockets at once): once its grace period is over, Alice reads when he
    // was last seen.
    const leftAt = Date.now();
    await http(app.url, 'POST', '/api/v1/auth/logout', { token: bob.token });
    await pageB.waitForURL(/\/signin$/);
    const lastSeen = pane.getByText('Last seen just now', { exact: true });
    await lastSeen.waitFor({ timeout: 15_000 }).catch(async (err: Error) => {
      // What the page and the server said, for the message.
      const server = await http(app.url, 'GET', `/api/v1/presence?userIds=${bob.id}`, { token: alice.token });
      throw new Error(`${err.message}\npane: ${await pane.innerText()}\nserver: ${JSON.stringify(server.body)}`);
    });
    const seenAt = Date.parse((await lastSeen.getAttribute('dateTime')) ?? '');
    expect(Math.abs(seenAt - leftAt)).toBeLessThan(10_000);
    expect(await pane.getByText('online', { exact: true }).count()).toBe(0);
  });

  it('writes a message of several lines: Shift+Enter starts a line, Enter sends, but not the Enter of an input method', async () => {
    const [pageA, pageB] = [await open(alice), await open(bob)];
    const composer = pageA.getByRole('textbox', { name: 'Message' });
    await composer.pressSequentially('Agenda:');
    await composer.press('Shift+Enter');
    await composer.pressSequentially('1. Budget');
    expect(await composer.inputValue()).toBe('Agenda:\n1. Budget');
    // The Enter that ends an input method's composition, as Safari reports it (key code 229), sends nothing.
    await composer.dispatchEvent('keydown', { key: 'Enter', keyCode: 229, bubbles: true, cancelable: true });
    await pageA.waitForTimeout(300);
    expect(await composer.inputValue()).toBe('Agenda:\n1. Budget');
    await composer.press('Enter');
    await pageB.getByRole('log', { name: 'Messages' }).getByText('1. Budget').waitFor();
    expect(await composer.inputValue()).toBe('');
    const sent = await http(app.url, 'GET', `/api/v1/conversations/${conversationId}/messages`, { token: bob.token });
    expect(sent.body.items.map((m: { body: string }) => m.body)).toEqual(['Agenda:\n1. Budget']);
  });

  it('after a cut, shows reconnecting, then every message sent meanwhile, in order, with no gap', async () => {
    proxy = await startProxy([app.url]);
    const pageA = await open(alice);
    const pageB = await open(bob, proxy.url);
    const logB = pageB.getByRole('log', { name: 'Messages' });

    await pageA.getByRole('textbox', { name: 'Message' }).fill('before the cut');
    await pageA.getByRole('button', { name: 'Send' }).click();
    await logB.getByText('before the cut').waitFor();

    proxy.blockAll = true;
    proxy.dropConnections();
    await connectionIs(pageB, 'reconnecting');

    const sent = ['while away 1', 'while away 2', 'while away 3', 'while away 4', 'while away 5'];
    for (const body of sent) {
      await pageA.getByRole('textbox', { name: 'Message' }).fill(body);
      await pageA.getByRole('button', { name: 'Send' }).click();
    }
    await pageA.getByRole('log', { name: 'Messages' }).getByText('while away 5').waitFor();
    await pageA.getByText('Sending…').waitFor({ state: 'detached' });
    // Still cut off: none of them reached Bob.
    expect(await logB.getByText(/while away/).count()).toBe(0);

    proxy.blockAll = false;
    await connectionIs(pageB, 'online');
    await logB.getByText('while away 5').waitFor();
    const shown = (await logB.locator('li p').allTextContents()).filter((text) => text.startsWith('while away'));
    expect(shown).toEqual(sent);
  });

  it('after a cut, a typing that ended meanwhile is gone and a read made meanwhile shows in the receipt', async () => {
    await http(app.url, 'POST', `/api/v1/conversations/${conversationId}/messages`, {
      token: bob.token,
      body: { body: 'Are you there?' },
    });
    proxy = await startProxy([app.url]);
    const pageB = await open(bob, proxy.url);
    await pageB.getByText('Sent', { exact: true }).waitFor();
    // Alice types (from a socket of her own): Bob sees it.
    const aliceSocket = await connect(app.url, alice.token);
    try {
      await emitAck(aliceSocket, 'typing', { conversationId, isTyping: true });
      await pageB.getByText('Alice Martin is typing…').waitFor();

      proxy.blockAll = true;
      proxy.dropConnections();
      await connectionIs(pageB, 'reconnecting');
      // While Bob is away, Alice stops typing and reads his message.
      await emitAck(aliceSocket, 'typing', { conversationId, isTyping: false });
      await http(app.url, 'POST', `/api/v1/conversations/${conversationId}/read`, {
        token: alice.token,
        body: { seq: 1 },
      });
      proxy.blockAll = false;
      await connectionIs(pageB, 'online');
      await pageB.getByText('Seen by Alice Martin').waitFor();
      await pageB.getByText('Alice Martin is typing…').waitFor({ state: 'detached' });
    } finally {
      aliceSocket.close();
    }
  });

  it("someone's typing goes after 7 s should its end never come (the instance that would send it gone)", async () => {
    const context = await newContext(browser, bob);
    contexts.push(context);
    await context.clock.install();
    const pageB = await context.newPage();
    // Every `typing` event that says it ended is dropped on its way to Bob's page.
    await pageB.routeWebSocket(/\/socket\.io\//, (ws) => {
      const server = ws.connectToServer();
      server.onMessage((message) => {
        if (typeof message === 'string' && message.includes('"typing"') && message.includes('"isTyping":false')) return;
        ws.send(message);
      });
    });
    await pageB.goto(`${app.url}/chat/${conversationId}`);
    await connectionIs(pageB, 'online');
    await pageB.getByRole('textbox', { name: 'Message' }).waitFor();
    const aliceSocket = await connect(app.url, alice.token);
    try {
      // Sent again (past the server's 1-s filter) until Bob's page, subscribing meanwhile, shows it.
      const typing = pageB.getByText('Alice Martin is typing…');
      await until(async () => {
        await emitAck(aliceSocket, 'typing', { conversationId, isTyping: true });
        return typing.isVisible({ timeout: 1200 }).catch(() => false);
      }, 'Bob sees Alice typing');
      await emitAck(aliceSocket, 'typing', { conversationId, isTyping: false });
      // The page's clock moved on rather than waited for: still shown 4 s on, gone 7.5 s on (its 7 s count from its
      // last `typing`, which came a little before it was seen).
      await pageB.clock.fastForward(4000);
      expect(await typing.count()).toBe(1);
      await pageB.clock.fastForward(3500);
      await typing.waitFor({ state: 'detached', timeout: 2000 });
    } finally {
      aliceSocket.close();
    }
  });

  it('a message sent while cut off shows as sending, also after a visit to another conversation, then is confirmed and delivered once', async () => {
    // Bob has a second conversation to go to meanwhile.
    // A name of its own: another test finds Erin Leclerc by name.
    const gaspard = await registerUser(app, 'Gaspard Roux');
    await http(app.url, 'POST', '/api/v1/conversations', { token: gaspard.token, body: { memberIds: [bob.id] } });
    proxy = await startProxy([app.url]);
    const pageA = await open(alice);
    const pageB = await open(bob, proxy.url);
    const logA = pageA.getByRole('log', { name: 'Messages' });
    const logB = pageB.getByRole('log', { name: 'Messages' });
    // The conversation is on screen before the cut (its history and composer come over REST, through the proxy).
    await logB.waitFor();
    await pageB.getByRole('textbox', { name: 'Message' }).waitFor();
    await connectionIs(pageB, 'online');

    proxy.blockAll = true;
    proxy.dropConnections();
    await connectionIs(pageB, 'reconnecting');
    await pageB.getByRole('textbox', { name: 'Message' }).fill('written on the train');
    await pageB.getByRole('button', { name: 'Send' }).click();
    // Shown at once, marked as not confirmed yet.
    await logB.locator('li', { hasText: 'written on the train' }).getByText('Sending…').waitFor();
    // Still so after Bob looks at his other conversation and comes back, with what he had begun to write next.
    await pageB.getByRole('textbox', { name: 'Message' }).fill('and one more');
    const list = pageB.getByRole('navigation', { name: 'Conversations' });
    await list.getByRole('link', { name: /Gaspard Roux/ }).click();
    await pageB.getByRole('heading', { name: 'Gaspard Roux' }).waitFor();
    await list.getByRole('link', { name: /Alice Martin/ }).click();
    await logB.locator('li', { hasText: 'written on the train' }).getByText('Sending…').waitFor();
    expect(await pageB.getByRole('textbox', { name: 'Message' }).inputValue()).toBe('and one more');

    proxy.blockAll = false;
    await connectionIs(pageB, 'online');
    await logA.getByText('written on the train').waitFor();
    await logB.getByText('Sending…').waitFor({ state: 'detached' });
    // Bob's view of the conversation, made anew while cut off, has its history once the server answers again.
    await logB.getByText('written on the train').waitFor();
    // Stored once: one copy on each side, and once in the history.
    expect(await logA.getByText('written on the train').count()).toBe(1);
    expect(await logB.getByText('written on the train').count()).toBe(1);
    const history = await http(app.url, 'GET', `/api/v1/conversations/${conversationId}/messages`, {
      token: alice.token,
    });
    expect(history.body.items.filter((m: any) => m.body === 'written on the train')).toHaveLength(1);
  });

  it('with Socket.IO blocked, shows polling and still exchanges messages, and marks them and notifications read, over REST', async () => {
    proxy = await startProxy([app.url]);
    const pageA = await open(alice);
    const pageB = await open(bob, proxy.url, { hurried: true });
    // Loaded before the cut.
    await pageB.getByRole('log', { name: 'Messages' }).waitFor();
    proxy.blockSocketIo = true;
    proxy.dropConnections();
    await connectionIs(pageB, 'reconnecting');
    // The client's fallback starts after 8 s without a socket; not 6 s on (the 8 s began a little before `reconnecting`
    // was seen).
    await pageB.clock.fastForward(6000);
    expect(await connectionState(pageB, 'reconnecting').count()).toBe(1);
    await hurriedConnectionIs(pageB, 'polling');

    await pageA.getByRole('textbox', { name: 'Message' }).fill('do you read me?');
    await pageA.getByRole('button', { name: 'Send' }).click();
    const readMe = pageB.getByRole('log', { name: 'Messages' }).getByText('do you read me?');
    await hurryUntil(pageB, async () => (await readMe.count()) > 0, 'the message comes by a poll');
    // Read as it is shown, over REST (a read over the socket waited in its buffer and was dropped): Alice's receipt
    // says so before Bob answers.
    await pageA.getByText('Seen by Bob Durand').waitFor();
    // The bell's reads too, over REST.
    const admin = await loginAdmin(app);
    await http(app.url, 'POST', '/api/v1/notifications', {
      token: admin.token,
      body: { userIds: [bob.id], type: 'info', title: 'Read while polling' },
    });
    const bell = pageB.getByRole('button', { name: 'Notifications, 1 unread' });
    await hurryUntil(pageB, async () => (await bell.count()) > 0, 'the notification comes by a poll');
    await bell.click();
    await pageB.getByRole('button', { name: 'Mark all read' }).click();
    await pageB.getByRole('button', { name: 'Notifications, 0 unread' }).waitFor();
    const unread = await http(app.url, 'GET', '/api/v1/notifications/unread-count', { token: bob.token });
    expect(unread.body.count).toBe(0);
    await pageB.keyboard.press('Escape');
    await pageB.getByRole('textbox', { name: 'Message' }).fill('loud and clear');
    await pageB.getByRole('button', { name: 'Send' }).click();
    await pageA.getByRole('log', { name: 'Messages' }).getByText('loud and clear').waitFor();

    proxy.blockSocketIo = false;
    await hurriedConnectionIs(pageB, 'online');
  });

  it('creates a group that appears live in the other member’s list', async () => {
    // A name no other test uses, so the search finds one person.
    const chloe = await registerUser(app, 'Chloé Bernard');
    const pageA = await open(alice);
    const pageB = await open(chloe);
    await pageA.getByRole('button', { name: 'New conversation' }).click();
    await pageA.getByRole('textbox', { name: 'Group title (optional)' }).fill('Budget committee');
    await pageA.getByRole('searchbox', { name: 'Find people' }).fill('Chlo');
    await pageA.getByRole('checkbox', { name: 'Chloé Bernard' }).check();
    expect(await seriousViolations(pageA)).toEqual([]);
    await screenshot(pageA, 'chat-new-group');
    await pageA.getByRole('button', { name: 'Create' }).click();
    await pageA.getByRole('heading', { name: 'Budget committee' }).waitFor();
    expect(new URL(pageA.url()).pathname).toMatch(/^\/chat\/[0-9a-f-]{36}$/);

    const link = pageB
      .getByRole('navigation', { name: 'Conversations' })
      .getByRole('link', { name: /Budget committee/ });
    await link.waitFor();
    await pageA.getByRole('textbox', { name: 'Message' }).fill('First meeting on Monday');
    await pageA.getByRole('button', { name: 'Send' }).click();
    // Chloé's unread count for the group goes up live, with the message under the group's name, whose it is first.
    await link.getByText('1 unread').waitFor();
    await link.getByText('Alice Martin: First meeting on Monday', { exact: true }).waitFor();
    await pageA
      .getByRole('navigation', { name: 'Conversations' })
      .getByRole('link', { name: /Budget committee/ })
      .getByText('You: First meeting on Monday', { exact: true })
      .waitFor();
  });

  it('lists each conversation with its last message and when, and heads each day of the log', async () => {
    await http(app.url, 'POST', `/api/v1/conversations/${conversationId}/messages`, {
      token: bob.token,
      body: { body: 'Are we on\nfor Saturday?' },
    });
    const sent = (
      await http(app.url, 'POST', `/api/v1/conversations/${conversationId}/messages`, {
        token: bob.token,
        body: { body: 'Bring   the flyers' },
      })
    ).body as { createdAt: string };
    const at = new Date(sent.createdAt);
    const hourMinute = at.toLocaleTimeString('en-US', { hour: 'numeric', minute: '2-digit' });
    const item = (page: Page) =>
      page.getByRole('navigation', { name: 'Conversations' }).getByRole('link', { name: /Bob Durand/ });
    const logOf = (page: Page) => page.getByRole('log', { name: 'Messages' });
    /** The log read on a browser whose clock is `days` on from the message. */
    const later = async (days: number) => {
      const context = await newContext(browser, alice);
      contexts.push(context);
      await context.clock.setFixedTime(new Date(at.getTime() + days * 24 * 3600 * 1000));
      return openSignedIn(context, app.url, `/chat/${conversationId}`);
    };

    // The same day: the hour and minute in the list, and in the log (no seconds) under "Today"; a direct message's
    // text alone, on one line.
    const today = await open(alice);
    await item(today).getByText('Bring the flyers', { exact: true }).waitFor();
    expect(await item(today).locator('time').textContent()).toBe(hourMinute);
    await logOf(today).getByText('Are we on for Saturday?').waitFor();
    expect(await logOf(today).locator('time').allTextContents()).toEqual(['Today', hourMinute, hourMinute]);

    // The next day: "Yesterday" in the list and over the day's messages, which keep their hour and minute.
    const tomorrow = await later(1);
    await item(tomorrow).getByText('Yesterday', { exact: true }).waitFor();
    await logOf(tomorrow).getByText('Are we on for Saturday?').waitFor();
    expect(await logOf(tomorrow).locator('time').allTextContents()).toEqual(['Yesterday', hourMinute, hourMinute]);
    expect(await logOf(tomorrow).locator('time').last().getAttribute('dateTime')).toBe(sent.createdAt);

    // Over a week on: the full date over them (its year too, once it is another year's).
    const nextWeek = await later(8);
    await logOf(nextWeek).getByText('Are we on for Saturday?').waitFor();
    const sameYear = new Date(at.getTime() + 8 * 24 * 3600 * 1000).getFullYear() === at.getFullYear();
    const date = at.toLocaleDateString('en-US', {
      weekday: 'long',
      month: 'long',
      day: 'numeric',
      ...(sameYear ? {} : { year: 'numeric' }),
    });
    expect(await logOf(nextWeek).locator('time').first().textContent()).toBe(date);
  });
  it('moves the list’s and the bell’s times and the log’s “Today” on to “Yesterday” at midnight, the page left open', async () => {
    const sent = (
      await http(app.url, 'POST', `/api/v1/conversations/${conversationId}/messages`, {
        token: bob.token,
        body: { body: 'See you tomorrow' },
      })
    ).body as { createdAt: string };
    const admin = await loginAdmin(app);
    await http(app.url, 'POST', '/api/v1/notifications', {
      token: admin.token,
      body: { userIds: [alice.id], type: 'announcement', title: 'Library closes at noon' },
    });
    const at = new Date(sent.createdAt);
    const hourMinute = at.toLocaleTimeString('en-US', { hour: 'numeric', minute: '2-digit' });
    const midnight = new Date(at.getFullYear(), at.getMonth(), at.getDate() + 1).getTime();
    // The page's clock runs from 20 s before the midnight after the message. The jump over midnight stays under 20 s:
    // one of 45 s or more would fire the socket's heartbeat timeout, and the reconnection would re-render the page
    // whether or not it watches for the day's change.
    const context = await newContext(browser, alice);
    contexts.push(context);
    await context.clock.install({ time: midnight - 20_000 });
    const page = await openSignedIn(context, app.url, `/chat/${conversationId}`);
    const item = page.getByRole('navigation', { name: 'Conversations' }).getByRole('link', { name: /Bob Durand/ });
    const log = page.getByRole('log', { name: 'Messages' });
    await page.getByRole('button', { name: /^Notifications,/ }).click();
    const bellItem = page.getByRole('region', { name: 'Notifications', exact: true }).getByRole('listitem');
    await bellItem.getByText('Library closes at noon').waitFor();
    await log.getByText('See you tomorrow').waitFor();
    expect(await item.locator('time').textContent()).toBe(hourMinute);
    expect(await log.locator('time').first().textContent()).toBe('Today');
    const bellTime = await bellItem.locator('time').textContent();
    expect(bellTime).toMatch(/^\d{1,2}:\d{2}\s?[AP]M$/);

    const now = await page.evaluate(() => Date.now());
    expect(now).toBeLessThan(midnight);
    await page.clock.fastForward(midnight - now + 1_000);
    await item.getByText('Yesterday', { exact: true }).waitFor();
    await log.locator('time').first().getByText('Yesterday', { exact: true }).waitFor();
    await bellItem.locator('time').getByText('Yesterday', { exact: true }).waitFor();
  });

  it('loads earlier messages on demand, and keeps a group’s members live as people are added and leave', async () => {
    const erin = await registerUser(app, 'Erin Leclerc');
    const group = (
      await http(app.url, 'POST', '/api/v1/conversations', {
        token: alice.token,
        body: { memberIds: [bob.id], title: 'Library volunteers' },
      })
    ).body;
    conversationId = group.id;
    // More than the 50 a conversation opens with.
    for (let n = 1; n <= 55; n += 1) {
      await http(app.url, 'POST', `/api/v1/conversations/${group.id}/messages`, {
        token: n % 2 ? alice.token : bob.token,
        body: { body: `Note ${n}` },
      });
    }
    const pageA = await open(alice);
    const pageB = await open(bob);
    const logA = pageA.getByRole('log', { name: 'Messages' });
    await logA.getByText('Note 55').waitFor();
    // Bob had read up to his Note 54: Alice's Note 55 comes under the "New messages" line, and the log still shows
    // its end (the line, shown once the history is in, does not push the last message out of view).
    const logB = pageB.getByRole('log', { name: 'Messages' });
    await logB.locator('li', { hasText: 'New messages' }).waitFor();
    const atEnd = () =>
      logB.evaluate(
        (log: { scrollTop: number; clientHeight: number; scrollHeight: number }) =>
          log.scrollTop + log.clientHeight >= log.scrollHeight - 2,
      );
    await until(atEnd, 'Bob’s log shows its last message', 2000);
    // Scrolled up to read, Bob stays where he is when a message comes; at the end again, the log follows; his own
    // message brings him to the end.
    const scrollTo = (top: number) =>
      logB.evaluate((log: { scrollTop: number }, to: number) => {
        log.scrollTop = to;
      }, top);
    const say = (body: string) =>
      http(app.url, 'POST', `/api/v1/conversations/${group.id}/messages`, { token: alice.token, body: { body } });
    await scrollTo(0);
    await say('Note 56');
    await logB.getByText('Note 56').waitFor();
    await pageB.waitForTimeout(200);
    expect(await logB.evaluate((log: { scrollTop: number }) => log.scrollTop)).toBe(0);
    await scrollTo(1e6);
    await say('Note 57');
    await logB.getByText('Note 57').waitFor();
    await until(atEnd, 'Bob’s log follows the new message', 2000);
    await scrollTo(0);
    await pageB.getByRole('textbox', { name: 'Message' }).fill('Note 58');
    await pageB.getByRole('button', { name: 'Send' }).click();
    await until(atEnd, 'Bob’s own message brings the log to its end', 2000);
    expect(await logA.getByText('Note 5', { exact: true }).count()).toBe(0);
    await pageA.getByRole('button', { name: 'Earlier messages' }).click();
    await logA.getByText('Note 1', { exact: true }).waitFor();
    expect(await logA.locator('li p').allInnerTexts()).toEqual(Array.from({ length: 58 }, (_, i) => `Note ${i + 1}`));
    expect(await pageA.getByRole('button', { name: 'Earlier messages' }).count()).toBe(0);

    // Alice adds Erin: Bob's open conversation lists her at once.
    await pageA.getByRole('button', { name: 'Add people' }).click();
    await pageA.getByRole('searchbox', { name: 'Find people' }).fill('Erin Le');
    await pageA.getByRole('checkbox', { name: 'Erin Leclerc' }).check();
    expect(await seriousViolations(pageA)).toEqual([]);
    await pageA.getByRole('button', { name: 'Add', exact: true }).click();
    await pageB.getByText(/Erin Leclerc/).waitFor();

    // Bob leaves: the group leaves his list, and Alice's members line drops him.
    await pageB.getByRole('button', { name: 'Leave the group' }).click();
    await pageB.waitForURL(/\/chat$/);
    // The address changes as the navigation starts; the list, as React renders it next.
    await pageB
      .getByRole('navigation', { name: 'Conversations' })
      .getByRole('link', { name: /Library volunteers/ })
      .waitFor({ state: 'detached', timeout: 2000 });
    await pageA.getByText('Alice Martin, Erin Leclerc', { exact: true }).waitFor();
    const members = (await http(app.url, 'GET', `/api/v1/conversations/${group.id}`, { token: alice.token })).body
      .members;
    expect(members.map((m: { userId: string }) => m.userId).sort()).toEqual([alice.id, erin.id].sort());
  });
  it('lists the 100 most recent conversations, older ones on demand, and one beyond them that a link opens or that comes alive', async () => {
    // After the direct conversation with Bob (made first: the oldest), 101 groups: the first page leaves out the
    // direct one and Group 001.
    const group = async (n: number) =>
      (
        await http(app.url, 'POST', '/api/v1/conversations', {
          token: alice.token,
          body: { memberIds: [bob.id], title: `Group ${String(n).padStart(3, '0')}` },
        })
      ).body.id as string;
    // Group 001, then Group 002, then the others (in any order among them).
    const groups = [await group(1), await group(2)];
    for (let from = 3; from <= 101; from += 33) {
      groups.push(...(await Promise.all(Array.from({ length: 33 }, (_, i) => group(from + i)))));
    }
    const context = await newContext(browser, alice);
    contexts.push(context);
    const page = await openSignedIn(context, app.url, '/chat');
    const list = page.getByRole('navigation', { name: 'Conversations' });
    await list.getByRole('link', { name: /Group 101/ }).waitFor();
    expect(await list.getByRole('link').count()).toBe(100);
    expect(await list.getByRole('link', { name: /Group 001|Bob Durand/ }).count()).toBe(0);

    // A message in Group 001, beyond the page loaded: it joins the list, first, unread.
    await http(app.url, 'POST', `/api/v1/conversations/${groups[0]}/messages`, {
      token: bob.token,
      body: { body: 'Is anyone still here?' },
    });
    const first = list.getByRole('link').first();
    await until(
      async () => /Group 001.*Is anyone still here\?.*1 unread/.test((await first.textContent()) ?? ''),
      'Group 001 leads the list, unread',
    );
    expect(await list.getByRole('link').count()).toBe(101);

    // The next page: the direct conversation, each conversation once; the button goes with the last page.
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Older conversations' }).click();
    await list.getByRole('link', { name: /^(online|offline) Bob Durand/ }).waitFor();
    await page.getByRole('button', { name: 'Older conversations' }).waitFor({ state: 'detached' });
    const names = await list.getByRole('link').locator('.name').allInnerTexts();
    expect(new Set(names).size).toBe(102);
    expect(names).toHaveLength(102);

    // A link to the direct conversation (a notification's, say), now beyond the first page, opens it and lists it.
    const linked = await open(alice);
    const linkedList = linked.getByRole('navigation', { name: 'Conversations' });
    await linked.getByRole('textbox', { name: 'Message' }).waitFor();
    await linkedList.getByRole('link', { name: /^(online|offline) Bob Durand/ }).waitFor();
    expect(await linkedList.getByRole('link').count()).toBe(101);
    expect(await linkedList.getByRole('link', { name: /Group 002/ }).count()).toBe(0);
  });

  it('holds on a phone screen: one pane at a time, a long unbroken message wraps, nothing wider than the screen', async () => {
    await http(app.url, 'POST', `/api/v1/conversations/${conversationId}/messages`, {
      token: bob.token,
      body: { body: 'L'.repeat(4000) },
    });
    const context = await browser.newContext({ locale: 'en-US', viewport: { width: 375, height: 740 } });
    contexts.push(context);
    const session = JSON.stringify({
      token: alice.token,
      user: { id: alice.id, email: alice.email, displayName: alice.displayName, role: 'user', createdAt: '' },
    });
    await context.addInitScript(`localStorage.setItem('realtime-hub.session', ${JSON.stringify(session)});`);
    const page = await openSignedIn(context, app.url, `/chat/${conversationId}`);
    await page
      .getByRole('log', { name: 'Messages' })
      .getByText(/^L{20}/)
      .waitFor();
    const width = async () => Number(await page.evaluate('document.documentElement.scrollWidth'));
    expect(await width()).toBeLessThanOrEqual(375);
    // One pane at a time: the conversation, with a way back to the list; the list, without the empty pane beside it.
    const list = page.getByRole('navigation', { name: 'Conversations' });
    expect(await list.isVisible()).toBe(false);
    await page.getByRole('link', { name: '← Conversations' }).click();
    await list.getByRole('link', { name: /Bob Durand/ }).waitFor();
    expect(await page.getByText('Pick a conversation.').isVisible()).toBe(false);
    await list.getByRole('link', { name: /Bob Durand/ }).click();
    await page
      .getByRole('log', { name: 'Messages' })
      .getByText(/^L{20}/)
      .waitFor();
    expect(await list.isVisible()).toBe(false);
    await page.getByRole('button', { name: /^Notifications/ }).click();
    const panel = page.getByRole('region', { name: 'Notifications', exact: true });
    await panel.waitFor();
    const box = (await panel.boundingBox())!;
    // Under the header, the bell and the rest of the header left in view.
    const header = (await page.getByRole('banner').boundingBox())!;
    expect(box.y).toBeGreaterThanOrEqual(header.y + header.height - 1);
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(375);
    expect(await width()).toBeLessThanOrEqual(375);
    await screenshot(page, 'chat-phone');
  });

  /** A group of `owner`'s with `others`; its id. */
  async function group(owner: TestUser, others: TestUser[], title: string): Promise<string> {
    const res = await http(app.url, 'POST', '/api/v1/conversations', {
      token: owner.token,
      body: { memberIds: others.map((u) => u.id), title },
    });
    return (res.body as { id: string }).id;
  }
  const say = (user: TestUser, id: string, body: string) =>
    http(app.url, 'POST', `/api/v1/conversations/${id}/messages`, { token: user.token, body: { body } });
  const conversationLink = (page: Page, name: RegExp) =>
    page.getByRole('navigation', { name: 'Conversations' }).getByRole('link', { name });
  async function contextOf(user: TestUser): Promise<BrowserContext> {
    const context = await newContext(browser, user);
    contexts.push(context);
    return context;
  }

  it('a group left in one tab does not stay open and writable in the user’s other tab', async () => {
    const [alice, bob] = await Promise.all([registerUser(app, 'Alice Twotabs'), registerUser(app, 'Bob Remains')]);
    const id = await group(bob, [alice], 'Garden plot');
    await say(bob, id, 'Tomatoes are in');
    const context = await contextOf(alice);
    const tab1 = await openSignedIn(context, app.url, `/chat/${id}`);
    const tab2 = await openSignedIn(context, app.url, `/chat/${id}`);
    await tab1.getByRole('log', { name: 'Messages' }).getByText('Tomatoes are in').waitFor();
    await tab2.getByRole('log', { name: 'Messages' }).getByText('Tomatoes are in').waitFor();

    await tab1.getByRole('button', { name: 'Leave the group' }).click();
    await tab1.waitForURL(/\/chat$/);

    // The other tab was removed from the channel (`unsubscribed`, FORBIDDEN): it should no longer offer the group.
    await until(
      async () => (await conversationLink(tab2, /Garden plot/).count()) === 0,
      'the other tab drops the group',
      5000,
    ).catch(() => undefined);
    expect({
      inList: await conversationLink(tab2, /Garden plot/).count(),
      leaveButton: await tab2.getByRole('button', { name: 'Leave the group' }).count(),
    }).toEqual({ inList: 0, leaveButton: 0 });
  });

  it('a message from someone added to a group while it is not open is shown under their name, not “A former member”', async () => {
    const [alice, bob, dan] = await Promise.all([
      registerUser(app, 'Alice Lister'),
      registerUser(app, 'Bob Adder'),
      registerUser(app, 'Dan Newcomer'),
    ]);
    const id = await group(alice, [bob], 'Budget committee');
    await say(bob, id, 'Kick-off on Monday');
    const page = await openSignedIn(await contextOf(alice), app.url, '/chat');
    const link = conversationLink(page, /Budget committee/);
    await link.getByText('Bob Adder: Kick-off on Monday', { exact: true }).waitFor();

    // Bob adds Dan (Alice's tab shows the list, no conversation open); Dan says hello.
    await http(app.url, 'POST', `/api/v1/conversations/${id}/members`, {
      token: bob.token,
      body: { userIds: [dan.id] },
    });
    await say(dan, id, 'Hello everyone');
    await link.getByText(/Hello everyone/).waitFor();
    await page.waitForTimeout(1000);
    expect(await link.locator('.preview').textContent()).toBe('Dan Newcomer: Hello everyone');
  });

  it('a reply the other person sent from another client counts as seen under my message, as the server says', async () => {
    const [alice, bob] = await Promise.all([registerUser(app, 'Alice Asker'), registerUser(app, 'Bob Replier')]);
    const id = (
      await http(app.url, 'POST', '/api/v1/conversations', { token: alice.token, body: { memberIds: [bob.id] } })
    ).body.id as string;
    const page = await openSignedIn(await contextOf(alice), app.url, `/chat/${id}`);
    await page.getByRole('textbox', { name: 'Message' }).fill('Did you get the report?');
    await page.getByRole('button', { name: 'Send' }).click();
    const log = page.getByRole('log', { name: 'Messages' });
    await log.getByText('Sent', { exact: true }).waitFor();

    // Bob answers from his phone (REST): sending moves his read mark past Alice's message (no `message:read` event).
    await say(bob, id, 'Yes, thanks!');
    await log.getByText('Yes, thanks!').waitFor();
    const members = (await http(app.url, 'GET', `/api/v1/conversations/${id}`, { token: alice.token })).body
      .members as Array<{ userId: string; lastReadSeq: number }>;
    expect(members.find((m) => m.userId === bob.id)?.lastReadSeq).toBe(2);

    // The server says Bob has read Alice's message (seq 1); a reload shows "Seen by". The open page should too.
    await log
      .getByText('Seen by Bob Replier')
      .waitFor({ timeout: 3000 })
      .catch(() => undefined);
    expect(await log.locator('li.mine .receipt').textContent()).toBe('Seen by Bob Replier');
  });

  it('coming back to a tab, messages already read on another device are not put under “New messages”', async () => {
    const [alice, bob] = await Promise.all([registerUser(app, 'Alice Phone'), registerUser(app, 'Bob Sender')]);
    const id = (
      await http(app.url, 'POST', '/api/v1/conversations', { token: bob.token, body: { memberIds: [alice.id] } })
    ).body.id as string;
    await say(bob, id, 'Morning!');
    const page = await openSignedIn(await contextOf(alice), app.url, `/chat/${id}`);
    const log = page.getByRole('log', { name: 'Messages' });
    await log.getByText('Morning!').waitFor();
    // Read at once (in front): no "New messages" line… (the first opening has one above "Morning!"; send to clear it).
    await page.getByRole('textbox', { name: 'Message' }).fill('Hi Bob');
    await page.getByRole('button', { name: 'Send' }).click();
    await log
      .getByText('Seen by Bob Sender')
      .or(log.getByText('Sent', { exact: true }))
      .waitFor();
    expect(await log.getByText('New messages').count()).toBe(0);

    // Alice goes to another tab; Bob writes; Alice reads it on her phone.
    const backInFront = await putBehind(page);
    await say(bob, id, 'Lunch at noon?');
    await log.getByText('Lunch at noon?').waitFor();
    const read = await http(app.url, 'POST', `/api/v1/conversations/${id}/read`, {
      token: alice.token,
      body: { seq: 3 },
    });
    expect(read.body).toEqual({ lastReadSeq: 3, unreadCount: 0 });
    await page.waitForTimeout(500);

    // Back in the tab: nothing there is new to her.
    await backInFront();
    await page.waitForTimeout(1000);
    expect(await log.getByText('New messages').count()).toBe(0);
  });

  it('sends a message from a page served over plain HTTP at a LAN name (no secure context: no crypto.randomUUID)', async () => {
    // Another browser that reaches the app at a name of its own: plain HTTP there is no secure context, as on a LAN.
    const lan = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--host-resolver-rules=MAP chat-lan.test 127.0.0.1'],
    });
    try {
      const context = await newContext(lan, alice);
      const page = await openSignedIn(
        context,
        app.url.replace(/\/\/[^:/]+/, '//chat-lan.test'),
        `/chat/${conversationId}`,
      );
      expect(await page.evaluate('window.isSecureContext')).toBe(false);
      await page.getByRole('textbox', { name: 'Message' }).fill('Sent from the office LAN');
      await page.getByRole('button', { name: 'Send' }).click();
      const log = page.getByRole('log', { name: 'Messages' });
      await log.getByText('Sent from the office LAN').waitFor({ timeout: 3000 });
      await log.getByText('Sent', { exact: true }).waitFor();
      expect(await page.getByRole('textbox', { name: 'Message' }).inputValue()).toBe('');
    } finally {
      await lan.close();
    }
  });

  it('an error line of “Earlier messages” goes once they load', async () => {
    await Promise.all(Array.from({ length: 51 }, (_, i) => say(bob, conversationId, `Line ${i + 1}`)));
    const page = await open(alice);
    const pane = page.getByRole('region', { name: 'Bob Durand' });
    const earlier = pane.getByRole('button', { name: 'Earlier messages' });
    await earlier.waitFor();
    await page.context().setOffline(true);
    await earlier.click();
    const unreachable = pane.getByRole('alert').filter({ hasText: 'The server cannot be reached' });
    await unreachable.waitFor();
    await page.context().setOffline(false);
    await connectionIs(page, 'online');
    await earlier.click();
    await earlier.waitFor({ state: 'detached' });
    expect(await pane.getByRole('log', { name: 'Messages' }).locator('li p').count()).toBe(51);
    expect(await unreachable.count()).toBe(0);
  });

  it('more than 50 unread: “New messages” moves up to the first unread one once earlier messages load', async () => {
    for (let n = 1; n <= 5; n += 1) await say(alice, conversationId, `Read ${n}`);
    await Promise.all(Array.from({ length: 60 }, (_, i) => say(bob, conversationId, `Unread ${i + 1}`)));
    const page = await open(alice);
    const log = page.getByRole('log', { name: 'Messages' });
    await log.locator('li.new-divider').waitFor();
    await page.getByRole('button', { name: 'Earlier messages' }).click();
    await log.getByText('Read 1', { exact: true }).waitFor();
    // Above the divider: Alice's five messages, the ones she had read; below it, the 60 she had not.
    // (The DOM's types are not this project's: the few the function uses.)
    type Item = { classList: { contains(name: string): boolean }; querySelector(selector: string): unknown };
    const above = await log.evaluate((box: { querySelectorAll(selector: string): ArrayLike<Item> }) => {
      const items = Array.from(box.querySelectorAll('li'));
      const at = items.findIndex((li) => li.classList.contains('new-divider'));
      return items.slice(0, at).filter((li) => li.querySelector('p')).length;
    });
    expect(above).toBe(5);
  });

  it('tells a screen reader of each message that came during a cut, not only the last', async () => {
    proxy = await startProxy([app.url]);
    const page = await open(alice, proxy.url);
    const log = page.getByRole('log', { name: 'Messages' });
    await log.waitFor();
    await until(async () => (await page.getByText('Loading…').count()) === 0, 'the history is read');
    await page.evaluate(`
      window.__told = [];
      new MutationObserver((records) => {
        for (const record of records) for (const node of record.addedNodes) window.__told.push(node.textContent);
      }).observe(document.querySelector('main [data-announcer]'), { childList: true, subtree: true });
    `);
    proxy.blockAll = true;
    proxy.dropConnections();
    await connectionIs(page, 'reconnecting');
    for (const body of ['First', 'Second', 'Third']) await say(bob, conversationId, body);
    proxy.blockAll = false;
    await connectionIs(page, 'online');
    await log.getByText('Third').waitFor();
    await page.waitForTimeout(300);
    const told = ((await page.evaluate('window.__told')) as string[]).join(' ');
    expect(told).toContain('First');
    expect(told).toContain('Second');
    expect(told).toContain('Third');
  });

  it('keeps the keyboard’s focus in the conversation when “Earlier messages” goes with the last page', async () => {
    await Promise.all(Array.from({ length: 51 }, (_, i) => say(bob, conversationId, `Line ${i + 1}`)));
    const page = await open(alice);
    const earlier = page.getByRole('button', { name: 'Earlier messages' });
    await earlier.focus();
    await page.keyboard.press('Enter');
    await earlier.waitFor({ state: 'detached' });
    const log = page.getByRole('log', { name: 'Messages' });
    await until(async () => (await log.locator('li p').count()) === 51, 'the earlier messages are shown');
    // Where the button was, not on the page itself (the focus rescue's first pick, the phone's "← Conversations", is
    // hidden on a desktop).
    expect(await page.evaluate('document.activeElement.getAttribute("role") ?? document.activeElement.tagName')).toBe(
      'log',
    );
  });

  /** A page of `user`'s whose first message sent the server answers with a refusal of `code`; the next ones pass. */
  async function refusingFirstSend(user: TestUser, code: string): Promise<Page> {
    const page = await (await contextOf(user)).newPage();
    await page.routeWebSocket(/\/socket\.io\//, (ws) => {
      const server = ws.connectToServer();
      let refused = false;
      ws.onMessage((message) => {
        const send = typeof message === 'string' ? /^42(\d+)\["message:send"/.exec(message) : null;
        if (send && !refused) {
          refused = true;
          ws.send(`43${send[1]}[{"ok":false,"error":{"code":"${code}","message":"Refused"}}]`);
          return;
        }
        server.send(message);
      });
    });
    return page;
  }

  it('keeps the keyboard’s focus in the conversation when a message not sent is sent again with “Retry”', async () => {
    // A refusal that sending again can overcome (the session renewed meanwhile), so "Retry" is offered.
    const page = await refusingFirstSend(alice, 'TOKEN_EXPIRED');
    await page.goto(`${app.url}/chat/${conversationId}`);
    await connectionIs(page, 'online');
    await page.getByRole('textbox', { name: 'Message' }).fill('Second try');
    await page.getByRole('textbox', { name: 'Message' }).press('Enter');
    const log = page.getByRole('log', { name: 'Messages' });
    const retry = log.getByRole('button', { name: 'Retry' });
    await retry.focus();
    await page.keyboard.press('Enter');
    await log.getByText('Sent', { exact: true }).waitFor();
    expect(await retry.count()).toBe(0);
    // Where the button was, not on the page itself (the focus rescue's first pick, the phone's "← Conversations", is
    // hidden on a desktop).
    expect(await page.evaluate('document.activeElement.getAttribute("role") ?? document.activeElement.tagName')).toBe(
      'log',
    );
  });

  it('a message that comes while the reader is scrolled up stays unread until they scroll back to the end', async () => {
    for (let n = 1; n <= 40; n += 1) await say(alice, conversationId, `Older ${n}`);
    const page = await open(bob);
    const log = page.getByRole('log', { name: 'Messages' });
    await log.getByText('Older 40', { exact: true }).waitFor();
    const bobsMark = async () => {
      const res = await http(app.url, 'GET', `/api/v1/conversations/${conversationId}`, { token: bob.token });
      return (res.body as { members: Array<{ userId: string; lastReadSeq: number }> }).members.find(
        (m) => m.userId === bob.id,
      )?.lastReadSeq;
    };
    const bobsUnread = async () => {
      const res = await http(app.url, 'GET', '/api/v1/conversations', { token: bob.token });
      return (res.body as { items: Array<{ id: string; unreadCount: number }> }).items.find(
        (c) => c.id === conversationId,
      )?.unreadCount;
    };
    // Opened at the end: what is there is read.
    await until(async () => (await bobsMark()) === 40, 'the conversation opened is read');
    // (The DOM's types are not this project's: the few the functions use.)
    type Box = { scrollTop: number; scrollHeight: number };
    const scrollTo = async (where: 'top' | 'end') => {
      await log.evaluate((box: Box, to) => {
        box.scrollTop = to === 'top' ? 0 : box.scrollHeight;
      }, where);
      // The scroll event is handled by the next frame.
      await page.evaluate('new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))');
    };

    // Bob scrolls up to read older messages; Alice writes. The message is in the log, below, off screen.
    await scrollTo('top');
    await say(alice, conversationId, 'Are you there?');
    await log.getByText('Are you there?').waitFor();
    // Time enough for a read mark to be sent (it went at once).
    await page.waitForTimeout(1000);
    expect({ mark: await bobsMark(), unread: await bobsUnread() }).toEqual({ mark: 40, unread: 1 });
    // A control says there is something new below; the log has not moved.
    const jump = page.getByRole('button', { name: '1 new message ↓' });
    await jump.waitFor();
    expect(await log.evaluate((box: Box) => box.scrollTop)).toBe(0);

    // Back at the end by hand: it is read, under a "New messages" line, and the control goes.
    await scrollTo('end');
    await until(async () => (await bobsMark()) === 41, 'the message is read once at the end');
    expect(await bobsUnread()).toBe(0);
    // The line is right above what came while he was up the log (not above the whole history, read on opening).
    await log.locator('li.new-divider + li', { hasText: 'Are you there?' }).waitFor();
    await jump.waitFor({ state: 'detached' });

    // Scrolled up again, two more come: the control counts them, and pressing it reads them.
    await scrollTo('top');
    await say(alice, conversationId, 'Hello?');
    await say(alice, conversationId, 'Lunch at noon');
    await log.getByText('Lunch at noon').waitFor();
    const jumpTwo = page.getByRole('button', { name: '2 new messages ↓' });
    await jumpTwo.waitFor();
    expect(await bobsMark()).toBe(41);
    await jumpTwo.click();
    await until(async () => (await bobsMark()) === 43, 'the messages are read once the control is pressed');
    await jumpTwo.waitFor({ state: 'detached' });
    expect(
      await log.evaluate((box: Box & { clientHeight: number }) => box.scrollHeight - box.scrollTop - box.clientHeight),
    ).toBeLessThan(48);
  });

  it('a message the server refuses says why, to a screen reader too, with no “Retry” where sending again cannot succeed, and can be discarded', async () => {
    // The server refuses the first send as it does a message to a conversation the user is no longer in.
    const page = await refusingFirstSend(alice, 'FORBIDDEN');
    await page.goto(`${app.url}/chat/${conversationId}`);
    await connectionIs(page, 'online');
    await page.getByRole('textbox', { name: 'Message' }).fill('I will bring snacks');
    await page.getByRole('textbox', { name: 'Message' }).press('Enter');
    const log = page.getByRole('log', { name: 'Messages' });
    const item = log.locator('li', { hasText: 'I will bring snacks' });
    const receipt = item.locator('.receipt', { hasText: 'Not sent' });
    await receipt.waitFor();
    const why = 'Not sent: you are no longer a member of this conversation.';
    expect(await receipt.textContent()).toBe(`${why} Discard`);
    expect(await item.getByRole('button', { name: 'Retry' }).count()).toBe(0);
    // Said to a screen reader: the line changed out of its sight.
    expect(await page.locator('main [data-announcer]').textContent()).toBe(why);

    // Given up on, it goes (it stayed until the user signed out), and the focus stays in the conversation.
    await item.getByRole('button', { name: 'Discard' }).focus();
    await page.keyboard.press('Enter');
    await item.waitFor({ state: 'detached' });
    expect(await page.evaluate('document.activeElement.getAttribute("role") ?? document.activeElement.tagName')).toBe(
      'log',
    );
  });

  it('a group left on another device while this tab was cut off, or polled, closes here once it is back', async () => {
    const carol = await registerUser(app, 'Carol Bookworm');
    const [first, second] = [await group(alice, [carol], 'Book club'), await group(alice, [carol], 'Chess club')];
    await say(alice, first, 'Chapter 3 for Friday');
    await say(alice, second, 'Board 4 is free');
    proxy = await startProxy([app.url]);
    const context = await contextOf(carol);
    await context.clock.install();
    const page = await openSignedIn(context, proxy.url, `/chat/${first}`);
    await page.getByRole('log', { name: 'Messages' }).getByText('Chapter 3 for Friday').waitFor();
    await connectionIs(page, 'online');

    // Cut off, she leaves the group on her phone: back online, the subscribe again is refused, and the group goes.
    proxy.blockAll = true;
    proxy.dropConnections();
    await connectionIs(page, 'reconnecting');
    const left = await http(app.url, 'DELETE', `/api/v1/conversations/${first}/members/me`, { token: carol.token });
    expect(left.status).toBe(204);
    proxy.blockAll = false;
    await page.waitForURL(/\/chat$/);
    await until(async () => (await conversationLink(page, /Book club/).count()) === 0, 'the group left goes');

    // With Socket.IO blocked the client polls: the group left elsewhere goes with the next poll.
    await conversationLink(page, /Chess club/).click();
    await page.getByRole('log', { name: 'Messages' }).getByText('Board 4 is free').waitFor();
    proxy.blockSocketIo = true;
    proxy.dropConnections();
    await hurriedConnectionIs(page, 'polling');
    const leftToo = await http(app.url, 'DELETE', `/api/v1/conversations/${second}/members/me`, { token: carol.token });
    expect(leftToo.status).toBe(204);
    await hurryUntil(page, async () => new URL(page.url()).pathname === '/chat', 'the group goes with a poll');
    expect(await page.getByRole('button', { name: 'Leave the group' }).count()).toBe(0);
  });
});
