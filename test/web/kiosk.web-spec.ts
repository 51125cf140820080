// The kiosk, end to end in two browsers with short timers: an admin adds a workstation and creates a session; the
// kiosk screen, set up with the workstation token, takes the code, counts down, shows the warning, then the end
// screen; the admin sees the workstation occupied meanwhile. Cut off from the server past its deadline, the kiosk
// screen ends the session by itself.
import { jest } from '@jest/globals';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { startApp, type TestApp } from '../helpers/app.js';
import { loginAdmin, registerUser } from '../helpers/factories.js';
import { client } from '../helpers/http.js';
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
});
