// Before the browser specs: build web/dist when it is missing or older than its sources (about 2 s), and read once the
// `--disable-features` switch every spec's Chromium starts with (test/web/browser.ts).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const DISABLE_FEATURES = '--disable-features=';

/**
 * Chromium's headless mode opens each page in a browser window of its own, and each window loaded its address bar's
 * two popups (chrome://omnibox-popup.top-chrome/) in a renderer process of their own: about 1.5 CPU-seconds a page on
 * the slower CI machine, 6 pages 24 → 9.5 CPU-seconds and 17 → 10 s without them (2026-12-02). Chromium reads only
 * the last `--disable-features`, so these two go after Playwright's own list, read from a browser it launches here:
 * once for the run (each spec file, with its own module registry, launched one for it before, about 1.5 CPU-seconds).
 */
const NO_POPUPS = ['WebUIOmniboxPopup', 'WebUIOmniboxAimPopup'];

async function disabledFeatures(executablePath) {
  const server = await chromium.launchServer({ executablePath, headless: true, args: ['--no-sandbox'] });
  const own = server
    .process()
    .spawnargs.findLast((arg) => arg.startsWith(DISABLE_FEATURES))
    ?.slice(DISABLE_FEATURES.length);
  await server.close();
  return DISABLE_FEATURES + [...(own ? own.split(',') : []), ...NO_POPUPS].join(',');
}

export default async function setUpBrowserSpecs() {
  const root = join(import.meta.dirname, '..', '..');
  const result = spawnSync(process.execPath, [join(root, 'scripts', 'build-if-needed.mjs'), '--web'], {
    cwd: root,
    stdio: 'inherit',
    // Jest sets NODE_ENV=test, which would make Vite bundle React's development build.
    env: { ...process.env, NODE_ENV: 'production' },
  });
  if (result.status !== 0) throw new Error('Building the web app failed');
  // The workers, started after this, inherit both.
  process.env.CHROMIUM_PATH ??= '/usr/bin/chromium';
  if (!existsSync(process.env.CHROMIUM_PATH))
    throw new Error(`No Chromium at ${process.env.CHROMIUM_PATH}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  process.env.CHROMIUM_DISABLE_FEATURES = await disabledFeatures(process.env.CHROMIUM_PATH);
}
