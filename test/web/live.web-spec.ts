// Live screens in two browsers: a vote in one changes the count in the other within a second; the admin
// dashboard's tiles move when a user connects.
import { jest } from '@jest/globals';
import type { Browser, BrowserContext } from 'playwright-core';
import { startApp, type TestApp } from '../helpers/app.js';
import { loginAdmin, registerUser } from '../helpers/factories.js';
import { http } from '../helpers/http.js';
import { closeBrowserAndApp, launchBrowser, newContext, openSignedIn, screenshot, until } from './browser.js';

jest.setTimeout(60_000);

describe('Live screens in the browser', () => {
  let app: TestApp;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    [app, browser] = await Promise.all([startApp({ DASHBOARD_INTERVAL_MS: '200' }), launchBrowser()]);
  });
  afterAll(async () => {
    await closeBrowserAndApp(browser, app);
  });
  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
  });

  async function context(user?: Parameters<typeof newContext>[1]) {
    const created = await newContext(browser, user);
    contexts.push(created);
    return created;
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
});
