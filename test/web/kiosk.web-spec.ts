// The kiosk, end to end in two browsers with short timers: an admin adds a workstation and creates a session; the
// kiosk screen, set up with the workstation token, takes the code, counts down, shows the warning, then the end
// screen; the admin sees the workstation occupied meanwhile. Cut off from the server past its deadline, the kiosk
// screen ends the session by itself.
import { jest } from '@jest/globals';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { startApp, type TestApp } from '../helpers/app.js';
import { loginAdmin, registerUser } from '../helpers/factories.js';
import { client } from '../helpers/http.js';
import { createKiosk } from '../helpers/kiosk.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';
import {
  closeBrowserAndApp,
  launchBrowser,
  loadedChunks,
  newContext,
  openSignedIn,
  screenshot,
  seriousViolations,
  until,
} from './browser.js';

jest.setTimeout(90_000);

describe('Kiosk in the browser', () => {
  let app: TestApp;
  let browser: Browser;
  let proxy: TestProxy;
  const contexts: BrowserContext[] = [];
  // Shared by the two tests: the admin's page, and the kiosk's (through a proxy that can cut it off).
  let adminPage: Page;
  let kiosk: Page;
  let firstToken: string;

  /** A session of `minutes` created on the admin's page, its code entered on the kiosk: its code and countdown. */
  async function sessionOnKiosk(minutes: string, holder = ''): Promise<{ code: string; timer: Locator }> {
    await adminPage.getByRole('spinbutton', { name: 'Duration (minutes)' }).fill(minutes);
    await adminPage.getByRole('textbox', { name: 'Holder' }).fill(holder);
    const shown = adminPage.locator('.access-code strong');
    const previous = await shown.textContent();
    await adminPage.getByRole('button', { name: 'Create session' }).click();
    await until(async () => (await shown.textContent()) !== previous, 'the new access code is shown');
    const code = (await shown.textContent())!;
    await kiosk.getByRole('textbox', { name: 'Access code' }).fill(code);
    await kiosk.getByRole('button', { name: 'Start' }).click();
    const timer = kiosk.getByRole('timer', { name: 'Time left' });
    await timer.waitFor();
    return { code, timer };
  }

  beforeAll(async () => {
    [app, browser] = await Promise.all([
      startApp({ KIOSK_MIN_DURATION_SECONDS: '1', KIOSK_WARNING_SECONDS: '5', KIOSK_TICK_SECONDS: '1' }),
      launchBrowser(),
    ]);
    proxy = await startProxy([app.url]);
  });
  afterAll(async () => {
    for (const context of contexts) await context.close();
    await proxy?.close();
    await closeBrowserAndApp(browser, app);
  });

  it('takes the code, counts down, warns, and ends; the kiosk screen reaches nothing else', async () => {
    const admin = await loginAdmin(app);
    const adminContext = await newContext(browser, admin);
    const kioskContext = await newContext(browser);
    contexts.push(adminContext, kioskContext);
    adminPage = await openSignedIn(adminContext, app.url, '/admin/kiosk');

    // A workstation, and its token to paste once on the kiosk.
    await adminPage.getByRole('textbox', { name: 'Workstation name' }).fill('Library PC 1');
    await adminPage.getByRole('button', { name: 'Add workstation' }).click();
    const token = await adminPage.getByRole('textbox', { name: /Token for Library PC 1/ }).inputValue();
    expect(token.split('.')).toHaveLength(3);
    firstToken = token;

    kiosk = await kioskContext.newPage();
    await kiosk.goto(`${proxy.url}/kiosk`);
    await kiosk.getByRole('textbox', { name: 'Workstation token' }).waitFor();
    // The public computer fetches none of the admin dashboard's code (its chart library).
    expect(await loadedChunks(kiosk)).not.toContain('Dashboard');
    expect(await seriousViolations(kiosk)).toEqual([]);
    await screenshot(kiosk, 'kiosk-setup');
    await kiosk.getByRole('textbox', { name: 'Workstation token' }).fill(token);
    await kiosk.getByRole('button', { name: 'Save' }).click();
    await kiosk.getByRole('textbox', { name: 'Access code' }).waitFor();
    expect(await kiosk.evaluate('localStorage.getItem("realtime-hub.kiosk.token")')).toBe(token);
    expect(kiosk.url()).toBe(`${proxy.url}/kiosk`);
    // Nothing else of the app is reachable from the kiosk screen.
    expect(await kiosk.getByRole('link').count()).toBe(0);
    expect(await seriousViolations(kiosk)).toEqual([]);
    await screenshot(kiosk, 'kiosk-code');
    // On a phone, the code screen fits the screen: nothing is cut off, the page does not scroll sideways.
    for (const width of [375, 320]) {
      await kiosk.setViewportSize({ width, height: 700 });
      expect(Number(await kiosk.evaluate('document.documentElement.scrollWidth'))).toBeLessThanOrEqual(width);
      const field = (await kiosk.getByRole('textbox', { name: 'Access code' }).boundingBox())!;
      expect(field.x).toBeGreaterThanOrEqual(0);
      expect(field.x + field.width).toBeLessThanOrEqual(width);
    }
    await kiosk.setViewportSize({ width: 1280, height: 800 });

    // A wrong code is refused and said so.
    await kiosk.getByRole('textbox', { name: 'Access code' }).fill('ZZZZZZ');
    await kiosk.getByRole('button', { name: 'Start' }).click();
    await kiosk.getByRole('alert').filter({ hasText: 'This code is not valid.' }).waitFor();

    // A 9-second session (0.15 minute).
    await adminPage.getByRole('spinbutton', { name: 'Duration (minutes)' }).fill('0.15');
    await adminPage.getByRole('textbox', { name: 'Holder' }).fill('Camille');
    await adminPage.getByRole('button', { name: 'Create session' }).click();
    const code = (await adminPage.locator('.access-code strong').textContent())!;
    expect(code).toMatch(/^[A-Z0-9]{6}$/);

    await kiosk.getByRole('textbox', { name: 'Access code' }).fill(code.toLowerCase());
    await kiosk.getByRole('button', { name: 'Start' }).click();
    const timer = kiosk.getByRole('timer', { name: 'Time left' });
    await timer.waitFor();
    const first = (await timer.textContent())!;
    expect(first).toMatch(/^00:0[5-9]$/);
    await kiosk.getByText('Hello Camille: time left').waitFor();

    // The admin sees the workstation occupied.
    await adminPage
      .getByRole('region', { name: /^Occupied/ })
      .getByText('Library PC 1')
      .waitFor();

    // Counting down.
    await until(async () => (await timer.textContent()) !== first, 'the countdown moves', 3000);
    // The warning at 5 s left, announced (role alert).
    await kiosk
      .getByRole('alert')
      .filter({ hasText: /seconds? left: save your work/ })
      .waitFor({ timeout: 8000 });
    expect(await seriousViolations(kiosk)).toEqual([]);
    await screenshot(kiosk, 'kiosk-countdown');

    // The end screen.
    await kiosk.getByRole('heading', { name: 'Session ended' }).waitFor({ timeout: 10_000 });
    await kiosk.getByText('Your time is up.').waitFor();
    expect(await seriousViolations(kiosk)).toEqual([]);
    await screenshot(kiosk, 'kiosk-ended');
  });

  it('shows the time added by the admin, an offline banner that clears itself, and the end by staff', async () => {
    await kiosk.getByRole('button', { name: 'New session' }).click();
    // 9 seconds: the warning comes at 5 s left.
    const { code, timer } = await sessionOnKiosk('0.15', 'Dominique');
    const warning = kiosk.getByRole('alert').filter({ hasText: /seconds? left: save your work/ });
    await warning.waitFor({ timeout: 8000 });

    // Five more minutes from the administration screen: the kiosk's countdown follows, and the warning goes.
    await adminPage.getByRole('button', { name: `Extend +5 min, session ${code}` }).click();
    await timer.filter({ hasText: /^0[45]:\d\d$/ }).waitFor({ timeout: 5000 });
    await warning.waitFor({ state: 'detached', timeout: 2000 });

    // Cut off: the offline banner shows, the countdown goes on; back: the banner clears itself.
    proxy.blockAll = true;
    proxy.dropConnections();
    const banner = kiosk.getByRole('alert').filter({ hasText: 'Connection lost' });
    await banner.waitFor();
    const during = await timer.textContent();
    await until(async () => (await timer.textContent()) !== during, 'the countdown goes on offline', 3000);
    proxy.blockAll = false;
    await banner.waitFor({ state: 'detached', timeout: 15_000 });

    // Ended by staff.
    await adminPage.getByRole('button', { name: `End session ${code}` }).click();
    await kiosk.getByRole('heading', { name: 'Session ended' }).waitFor({ timeout: 5000 });
    await kiosk.getByText('The session was ended by staff.').waitFor();
    await adminPage.getByRole('button', { name: `End session ${code}` }).waitFor({ state: 'detached' });

    // A new token for the workstation (its old one leaked): the kiosk is cut off at once and asks to be set up again;
    // the new token brings it back.
    await adminPage.getByRole('button', { name: /^New token for Library PC 1/ }).click();
    const rotated = adminPage.getByRole('textbox', { name: /Token for Library PC 1/ });
    await until(async () => (await rotated.inputValue()) !== firstToken, 'the new token is shown');
    const newToken = await rotated.inputValue();
    await kiosk.getByRole('button', { name: 'Set up again' }).click();
    await kiosk.getByRole('textbox', { name: 'Workstation token' }).fill(newToken);
    await kiosk.getByRole('button', { name: 'Save' }).click();
    await kiosk.getByRole('textbox', { name: 'Access code' }).waitFor();
  });

  it('ends the session on its own screen at its deadline when the end cannot reach it', async () => {
    const { timer } = await sessionOnKiosk('0.1', 'Eden');

    // The network goes and stays gone past the session's end: no `session_terminated` can arrive, and the server
    // cannot be asked. The screen still ends the session, rather than staying open at 00:00.
    proxy.blockAll = true;
    proxy.dropConnections();
    await kiosk.getByRole('alert').filter({ hasText: 'Connection lost' }).waitFor();
    await timer.filter({ hasText: '00:00' }).waitFor({ timeout: 10_000 });
    const ranOut = Date.now();
    await kiosk.getByRole('heading', { name: 'Session ended' }).waitFor({ timeout: 10_000 });
    // It waited for the end, then for an answer, first.
    expect(Date.now() - ranOut).toBeGreaterThan(1500);
    await kiosk.getByText('Your time is up.').waitFor();
    proxy.blockAll = false;
  });

  it('goes on counting at its deadline when the server has time left that it missed (extended while away)', async () => {
    await kiosk.getByRole('button', { name: 'New session' }).click();
    const { code, timer } = await sessionOnKiosk('0.1');

    // Five more minutes while the kiosk is cut off: its countdown runs out on the old deadline.
    proxy.blockAll = true;
    proxy.dropConnections();
    await adminPage.getByRole('button', { name: `Extend +5 min, session ${code}` }).click();
    await timer.filter({ hasText: '00:00' }).waitFor({ timeout: 10_000 });
    proxy.blockAll = false;
    // Back within the wait at zero: the server's answer (or the channel's snapshot) has the time left.
    await timer.filter({ hasText: /^0[45]:\d\d$/ }).waitFor({ timeout: 10_000 });
    await kiosk.waitForTimeout(3000);
    expect(await kiosk.getByRole('heading', { name: 'Session ended' }).count()).toBe(0);

    await adminPage.getByRole('button', { name: `End session ${code}` }).click();
    await kiosk.getByText('The session was ended by staff.').waitFor({ timeout: 5000 });
  });

  it('reloaded with the server out of reach, it counts down what is left of the session, not the whole of it', async () => {
    await kiosk.getByRole('button', { name: 'New session' }).click();
    const { code, timer } = await sessionOnKiosk('10', 'Reloaded');
    await kiosk.waitForTimeout(3000);
    // The page itself still loads (a reboot, F5), the server's API and socket do not.
    proxy.blockSocketIo = true;
    await kiosk.route('**/api/**', (route) => route.abort());
    try {
      await kiosk.reload();
      await timer.waitFor();
      const [minutes, seconds] = (await timer.textContent())!.split(':').map(Number);
      expect(minutes * 60 + seconds).toBeLessThanOrEqual(597);
      expect(minutes * 60 + seconds).toBeGreaterThan(560);
    } finally {
      await kiosk.unroute('**/api/**');
      proxy.blockSocketIo = false;
    }
    await adminPage.getByRole('button', { name: `End session ${code}` }).click();
    await kiosk.getByText('The session was ended by staff.').waitFor({ timeout: 15_000 });
  });

  it('says it is there every 10 s while it idles (the workstation is seen without connecting again)', async () => {
    const admin = await loginAdmin(app);
    const seen = async () => {
      const res = await client(app.url).get('/api/v1/kiosk/workstations', { token: admin.token });
      return Date.parse(res.body.items.find((w: { name: string }) => w.name === 'Library PC 1').lastSeenAt);
    };
    const before = await seen();
    await until(async () => (await seen()) > before, 'a heartbeat moves lastSeenAt', 15_000);
  });

  it('holds the administration on a phone: no sideways scroll, no scroll area a keyboard cannot reach', async () => {
    await adminPage.setViewportSize({ width: 375, height: 700 });
    // No open session left: the sessions table is empty.
    await adminPage.getByText('No open session.').waitFor();
    expect(Number(await adminPage.evaluate('document.documentElement.scrollWidth'))).toBeLessThanOrEqual(375);
    expect(await seriousViolations(adminPage)).toEqual([]);

    // People: its table (wider than the screen) scrolls by itself, and nothing in it widens the page.
    await registerUser(app, 'Noor Haddad');
    await adminPage.goto(`${app.url}/admin/people`);
    await adminPage
      .getByRole('button', { name: /Noor Haddad/ })
      .first()
      .waitFor();
    expect(Number(await adminPage.evaluate('document.documentElement.scrollWidth'))).toBeLessThanOrEqual(375);
    expect(await seriousViolations(adminPage)).toEqual([]);
  });

  /**
   * A kiosk page set up with a new workstation's token, through the proxy, on its code screen; with `clock`, the page's
   * clock is installed before it loads (moved on with `page.clock.fastForward`).
   */
  async function kioskPage(name: string, width = 1280, { clock = false } = {}): Promise<Page> {
    const admin = await loginAdmin(app);
    const { token } = await createKiosk(app, admin, name);
    const context = await newContext(browser);
    contexts.push(context);
    const page = await context.newPage();
    if (clock) await page.clock.install();
    await page.setViewportSize({ width, height: 700 });
    await page.addInitScript(`localStorage.setItem('realtime-hub.kiosk.token', ${JSON.stringify(token)})`);
    await page.goto(`${proxy.url}/kiosk`);
    await page.getByRole('textbox', { name: 'Access code' }).waitFor();
    return page;
  }

  /** A session made over REST by the admin: its id and access code. */
  async function createSession(durationSeconds: number, holderName: string): Promise<{ id: string; code: string }> {
    const admin = await loginAdmin(app);
    const res = await client(app.url).post('/api/v1/kiosk/sessions', {
      token: admin.token,
      body: { durationSeconds, holderName },
    });
    expect(res.status).toBe(201);
    return { id: res.body.id, code: res.body.accessCode };
  }

  async function enterCode(page: Page, code: string): Promise<void> {
    await page.getByRole('textbox', { name: 'Access code' }).fill(code);
    await page.getByRole('button', { name: 'Start' }).click();
    await page.getByRole('timer', { name: 'Time left' }).waitFor();
  }

  // A test that cut the kiosk off and failed leaves the next its network.
  afterEach(() => {
    proxy.blockAll = false;
  });

  it('"I have finished" pressed offline shows the end at once, and ends the session once the kiosk is back', async () => {
    const page = await kioskPage('Flaky Wi-Fi PC');
    const first = await createSession(600, 'Alix');
    await enterCode(page, first.code);

    proxy.blockAll = true;
    proxy.dropConnections();
    const offline = page.getByRole('alert').filter({ hasText: 'Connection lost' });
    await offline.waitFor();
    await page.getByRole('button', { name: 'I have finished' }).click();
    // At once, not when the request would have timed out.
    await page.getByText('You ended the session.').waitFor({ timeout: 1500 });
    // Said to a screen reader: the focus is on the end screen's heading, not fallen back to the page.
    expect(await page.evaluate('document.activeElement.textContent')).toBe('Session ended');
    // Reloaded once back (what the press sent, in the page's memory, is gone): the end is kept in the browser's
    // storage, and sent once the kiosk is connected.
    proxy.blockAll = false;
    await page.reload();
    await offline.waitFor({ state: 'detached', timeout: 15_000 });
    const admin = await loginAdmin(app);
    const status = async () =>
      (await client(app.url).get(`/api/v1/kiosk/sessions/${first.id}`, { token: admin.token })).body as {
        status: string;
        endReason: string | null;
      };
    await until(async () => (await status()).status === 'ended', 'the finished session ends on the server', 10_000);
    expect((await status()).endReason).toBe('closed');

    // The next visitor on that computer starts theirs (the workstation no longer runs one).
    const next = await createSession(600, 'Bastien');
    await enterCode(page, next.code);
  });

  it('on a 320 px phone, the warning banner stays inside its card and the screen', async () => {
    const page = await kioskPage('Phone PC', 320);
    // The warning (5 s before the end) comes 3 s in.
    const { code } = await createSession(8, 'Camille');
    await enterCode(page, code);
    await page
      .getByRole('alert')
      .filter({ hasText: /left: save your work/ })
      .waitFor();
    const layout = (await page.evaluate(`({
      pageWidth: document.documentElement.scrollWidth,
      cardRight: document.querySelector('.kiosk-card').getBoundingClientRect().right,
      bannerRight: document.querySelector('.banner.warning').getBoundingClientRect().right,
    })`)) as { pageWidth: number; cardRight: number; bannerRight: number };
    expect({ pageWidth: layout.pageWidth, bannerInCard: layout.bannerRight <= layout.cardRight + 0.5 }).toEqual({
      pageWidth: 320,
      bannerInCard: true,
    });
  });

  it('says a refused code in the language the visitor switches to', async () => {
    const page = await kioskPage('Bilingual PC');
    await page.getByRole('textbox', { name: 'Access code' }).fill('ZZZZZZ');
    await page.getByRole('button', { name: 'Start' }).click();
    await page.getByRole('alert').filter({ hasText: 'This code is not valid.' }).waitFor();
    await page.getByRole('combobox', { name: 'Language' }).selectOption('fr');
    await page.getByRole('button', { name: 'Commencer' }).waitFor();
    expect(await page.locator('#code-error').textContent()).toBe('Ce code n’est pas valide.');
  });

  /**
   * An admin's browser whose requests to `url` reach the server at once and whose answers come back late (a slow
   * network), held until `release()`; `asked()` counts those requests.
   */
  async function adminWithLateAnswers(url: string | RegExp) {
    const adminContext = await newContext(browser, await loginAdmin(app));
    contexts.push(adminContext);
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    let asked = 0;
    await adminContext.route(url, async (route) => {
      const response = await route.fetch();
      asked += 1;
      await released;
      await route.fulfill({ response });
    });
    return { adminContext, release: () => release(), asked: () => asked };
  }

  it('the administration keeps a session ended, and one created, while its catch-up read was on its way', async () => {
    const admin = await loginAdmin(app);
    const ending = await createSession(600, 'Ends meanwhile');
    // The open sessions' reads answer late.
    const { adminContext, release, asked } = await adminWithLateAnswers(/\/api\/v1\/kiosk\/sessions\?status=/);
    const page = await adminContext.newPage();
    await page.goto(`${app.url}/admin/kiosk`);
    // The first load's two reads and the channel's catch-up's two (once its subscription is in place).
    await until(async () => asked() >= 4, 'the first load and the catch-up read the sessions', 15_000);

    // Meanwhile, elsewhere: one session ended, another created; their live updates reach the page.
    const ended = await client(app.url).post(`/api/v1/kiosk/sessions/${ending.id}/terminate`, { token: admin.token });
    expect(ended.status).toBe(200);
    const created = await createSession(600, 'Created meanwhile');
    await page.getByRole('cell', { name: created.code, exact: true }).waitFor();

    // The reads made before those changes answer now: neither brings the ended one back nor drops the new one.
    release();
    await page.getByText('Loading…').waitFor({ state: 'detached' });
    await page.waitForTimeout(1000);
    expect({
      endedShown: await page.getByRole('cell', { name: ending.code, exact: true }).count(),
      createdShown: await page.getByRole('cell', { name: created.code, exact: true }).count(),
    }).toEqual({ endedShown: 0, createdShown: 1 });
  });

  it('the administration does not bring back a session ended while its extension was answered', async () => {
    const admin = await loginAdmin(app);
    const session = await createSession(600, 'Extended then ended');
    // The extension reaches the server at once; its answer comes back late.
    const { adminContext, release } = await adminWithLateAnswers(`**/api/v1/kiosk/sessions/${session.id}/extend`);
    const page = await adminContext.newPage();
    await page.goto(`${app.url}/admin/kiosk`);
    const row = page.getByRole('row').filter({ has: page.getByRole('cell', { name: session.code, exact: true }) });
    await row.waitFor();
    await row.getByRole('button', { name: /^Extend/ }).click();
    // Meanwhile another admin ends it: its row goes with the live update.
    await until(
      async () =>
        (await client(app.url).get(`/api/v1/kiosk/sessions/${session.id}`, { token: admin.token })).body
          .durationSeconds > 600,
      'the extension is stored',
    );
    const ended = await client(app.url).post(`/api/v1/kiosk/sessions/${session.id}/terminate`, { token: admin.token });
    expect(ended.status).toBe(200);
    await row.waitFor({ state: 'detached' });
    // The extension's answer, older than the end, does not bring it back with live buttons.
    const answered = page.waitForResponse((res) => res.url().endsWith(`/${session.id}/extend`));
    release();
    await answered;
    await page.waitForTimeout(500);
    expect(await row.count()).toBe(0);
  });

  it('a session it ended on its screen with no word from the server is ended there too: the next visitor starts', async () => {
    const page = await kioskPage('Cut-off PC', 1280, { clock: true });
    const admin = await loginAdmin(app);
    const first = await createSession(60, 'Extended away');
    await enterCode(page, first.code);
    // Cut off, and five more minutes given meanwhile: the screen runs out on the deadline it knows, asks, hears
    // nothing, and shows the end (the page's clock moved on: a minute, the wait at zero, the wait for an answer).
    proxy.blockAll = true;
    proxy.dropConnections();
    await page.getByRole('alert').filter({ hasText: 'Connection lost' }).waitFor();
    const extended = await client(app.url).post(`/api/v1/kiosk/sessions/${first.id}/extend`, {
      token: admin.token,
      body: { seconds: 300 },
    });
    expect(extended.status).toBe(200);
    await page.clock.fastForward(61_000);
    await page.getByRole('timer', { name: 'Time left' }).filter({ hasText: '00:00' }).waitFor();
    await page.clock.fastForward(2_000);
    await page.clock.fastForward(4_000);
    await page.getByText('Your time is up.').waitFor();

    // Back: the next visitor's code starts their session, rather than being refused while the server still runs the
    // one the screen ended (for the five minutes added).
    proxy.blockAll = false;
    await page
      .getByRole('alert')
      .filter({ hasText: 'Connection lost' })
      .waitFor({ state: 'detached', timeout: 15_000 });
    await page.getByRole('button', { name: 'New session' }).click();
    const next = await createSession(600, 'Next visitor');
    await page.getByRole('textbox', { name: 'Access code' }).fill(next.code);
    await page.getByRole('button', { name: 'Start' }).click();
    const timer = page.getByRole('timer', { name: 'Time left' });
    const refused = page.locator('#code-error');
    await until(async () => (await timer.count()) + (await refused.count()) > 0, 'the code is answered', 15_000);
    expect(await refused.count()).toBe(0);
    const status = await client(app.url).get(`/api/v1/kiosk/sessions/${first.id}`, { token: admin.token });
    expect(status.body.status).toBe('ended');
  });

  it('from the keyboard: the code field has the focus whenever the code screen shows, the countdown once it starts', async () => {
    const page = await kioskPage('Keyboard PC');
    const focused = () =>
      page.evaluate('document.activeElement.getAttribute("name") ?? document.activeElement.textContent');
    // Typed at once, with no click or Tab past the language first.
    expect(await focused()).toBe('code');
    const { code } = await createSession(600, 'Kim');
    await page.keyboard.type(code);
    await page.keyboard.press('Enter');
    await page.getByRole('timer', { name: 'Time left' }).waitFor();
    // The session's screen takes the focus (not the language switch the focus fell to when the form went).
    expect(await focused()).toBe('Hello Kim: time left');
    await page.getByRole('button', { name: 'I have finished' }).press('Enter');
    await page.getByRole('button', { name: 'New session' }).press('Enter');
    await page.getByRole('textbox', { name: 'Access code' }).waitFor();
    expect(await focused()).toBe('code');
  });

  it('takes down "Too many attempts" once the wait the server gave is over: the next visitor is not told to wait', async () => {
    const page = await kioskPage('Guessed-at PC', 1280, { clock: true });
    const field = page.getByRole('textbox', { name: 'Access code' });
    const start = page.locator('button[type="submit"][aria-disabled="false"]');
    const limited = page.getByRole('alert').filter({ hasText: 'Too many attempts' });
    await field.fill('ZZZZZZ');
    // Wrong codes, one at a time, until the workstation is refused for a while (the 6th within a minute).
    await until(async () => {
      if ((await limited.count()) > 0) return true;
      if ((await start.count()) > 0) await start.click();
      return false;
    }, 'the attempts are refused');
    // The server's limit is 60 s from the first wrong code at most: a minute on, the screen no longer says to wait.
    await page.clock.fastForward(61_000);
    await limited.waitFor({ state: 'detached', timeout: 2000 });
  });

  /**
   * What a visitor walking up to the kiosk's code screen finds: its language (the switch's and the page's), the code
   * field's text, any error line, where the focus is, and how far the page is scrolled.
   */
  async function codeScreenFound(page: Page) {
    const field = page.getByRole('textbox', { name: /^(Access code|Code d’accès)$/ });
    await field.waitFor();
    return {
      language: await page.getByRole('combobox', { name: /^(Language|Langue)$/ }).inputValue(),
      pageLanguage: await page.evaluate('document.documentElement.lang'),
      code: await field.inputValue(),
      alerts: await page.getByRole('alert').allTextContents(),
      focused: await page.evaluate('document.activeElement.getAttribute("name")'),
      scrolled: await page.evaluate('window.scrollY'),
    };
  }
  const CLEAN = { language: 'en', pageLanguage: 'en', code: '', alerts: [], focused: 'code', scrolled: 0 };

  it('gives the next visitor a clean code screen once a session ends: the kiosk’s language, the focus in the field', async () => {
    const page = await kioskPage('Town hall PC');
    // A visitor reads French, and finishes their session; the next one presses "New session".
    await page.getByRole('combobox', { name: 'Language' }).selectOption('fr');
    const { code } = await createSession(600, 'Ines');
    await page.getByRole('textbox', { name: 'Code d’accès' }).fill(code);
    await page.getByRole('button', { name: 'Commencer' }).click();
    await page.getByRole('button', { name: 'J’ai terminé' }).click();
    await page.getByRole('button', { name: 'Nouvelle session' }).click();
    expect(await codeScreenFound(page)).toEqual(CLEAN);
  });

  it('takes away a refused code, its error and the visitor’s language a minute after the visitor walked away', async () => {
    const page = await kioskPage('Town hall PC 2', 1280, { clock: true });
    // A visitor reads French, types a code that is refused (their own, once their session has ended, or a wrong one),
    // and walks away.
    await page.getByRole('combobox', { name: 'Language' }).selectOption('fr');
    await page.getByRole('textbox', { name: 'Code d’accès' }).fill('ZZZZZZ');
    await page.getByRole('button', { name: 'Commencer' }).click();
    await page.getByRole('alert').filter({ hasText: 'Ce code n’est pas valide.' }).waitFor();
    // Not while the visitor may still be reading it; a minute on (the page's clock moved past the socket's ping
    // timeout too: it connects again).
    await page.clock.fastForward(40_000);
    expect(await page.getByRole('textbox', { name: 'Code d’accès' }).inputValue()).toBe('ZZZZZZ');
    await page.clock.fastForward(20_000);
    await page
      .getByRole('alert')
      .filter({ hasText: /^(Connection lost|Connexion perdue)/ })
      .waitFor({ state: 'detached', timeout: 15_000 });
    expect(await codeScreenFound(page)).toEqual(CLEAN);
  });

  it('gives the next visitor the kiosk’s language after the end screen, also when it was restarted during the session', async () => {
    const page = await kioskPage('Library PC 2', 360, { clock: true });
    await page.setViewportSize({ width: 360, height: 420 });
    await page.getByRole('combobox', { name: 'Language' }).selectOption('fr');
    const { code } = await createSession(600, 'Jules');
    await page.getByRole('textbox', { name: 'Code d’accès' }).fill(code);
    await page.getByRole('button', { name: 'Commencer' }).click();
    await page.getByRole('timer', { name: 'Temps restant' }).waitFor();
    // The computer restarts in the middle of the session.
    await page.reload();
    await page.getByRole('button', { name: 'J’ai terminé' }).click();
    await page.getByRole('heading', { name: 'Session terminée' }).waitFor();
    await page.evaluate('window.scrollTo(0, document.documentElement.scrollHeight)');
    expect(Number(await page.evaluate('window.scrollY'))).toBeGreaterThan(0);
    // Nobody presses "New session": the end screen gives way by itself.
    await page.clock.fastForward(15_000);
    expect(await codeScreenFound(page)).toEqual(CLEAN);
  });

  it('takes for its own the language it was set up in: each visitor starts in it', async () => {
    const admin = await loginAdmin(app);
    const { token } = await createKiosk(app, admin, 'Mairie PC');
    const context = await newContext(browser);
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(`${proxy.url}/kiosk`);
    await page.getByRole('combobox', { name: 'Language' }).selectOption('fr');
    await page.getByRole('textbox', { name: 'Jeton du poste' }).fill(token);
    await page.getByRole('button', { name: 'Enregistrer' }).click();
    // A visitor reads English, and finishes their session.
    await page.getByRole('combobox', { name: 'Langue' }).selectOption('en');
    const { code } = await createSession(600, 'Noa');
    await enterCode(page, code);
    await page.getByRole('button', { name: 'I have finished' }).click();
    await page.getByRole('button', { name: 'New session' }).click();
    expect(await codeScreenFound(page)).toEqual({ ...CLEAN, language: 'fr', pageLanguage: 'fr' });
  });
});
