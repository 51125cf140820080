// The order in which Jest hands spec files to its workers. Jest's own order needs the timings of an earlier run on
// the same machine (its cache); a clean clone, as CI runs, has none and falls back to file size, so long specs could
// start last and leave the other workers idle at the end, and the browser specs (Chromium and an app each) could
// run side by side and starve each other of the two cores. This one reads the timings of a reference run
// (test/setup/durations.json: `node scripts/test-durations.mjs <npm test's output>` refreshes it), prefers Jest's
// own timings when it has them, and orders the files by simulating the workers: each free worker takes the longest
// file left, except that a second browser spec waits until no other one is running, and a second fault spec (two
// instances, proxies and the mixed load each) likewise: two of them beside a browser spec made a kiosk's ticks, which
// one instance claims for the other half a second late by design, come more than a second late twice in one run.
import TestSequencer from '@jest/test-sequencer';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

/** Seconds assumed for a file the table does not know (a new spec). */
const UNKNOWN_SECONDS = 10;
/** Projects whose files should not run at the same time as another file of the same project. */
const ONE_AT_A_TIME = new Set(['web', 'faults']);

const durations = JSON.parse(readFileSync(new URL('./durations.json', import.meta.url), 'utf8'));

export default class DurationSequencer extends TestSequencer {
  constructor(options) {
    super(options);
    this.workers = Math.max(1, options.globalConfig.maxWorkers ?? 1);
  }

  sort(tests) {
    const entries = tests.map((test) => {
      const project = test.context.config.displayName?.name ?? '';
      const cached = this._getCache(test)[test.path]?.[1];
      const known = durations[`${project} ${relative(test.context.config.rootDir, test.path)}`];
      const seconds = cached ? cached / 1000 : (known ?? UNKNOWN_SECONDS);
      return { test, seconds, group: ONE_AT_A_TIME.has(project) ? project : undefined };
    });
    entries.sort((a, b) => b.seconds - a.seconds);
    const ordered = [];
    const free = new Array(this.workers).fill(0);
    /** When the running file of each one-at-a-time project ends. */
    const busyUntil = new Map();
    const startOf = (entry, now) => Math.max(now, entry.group ? (busyUntil.get(entry.group) ?? 0) : 0);
    while (entries.length > 0) {
      const worker = free.indexOf(Math.min(...free));
      const now = free[worker];
      let next = entries.findIndex((e) => startOf(e, now) <= now);
      // Only files of busy one-at-a-time projects are left: the one that can start first (the longest on a tie).
      if (next < 0)
        next = entries.reduce((best, e, i) => (startOf(e, now) < startOf(entries[best], now) ? i : best), 0);
      const [entry] = entries.splice(next, 1);
      free[worker] = startOf(entry, now) + entry.seconds;
      if (entry.group) busyUntil.set(entry.group, free[worker]);
      ordered.push(entry.test);
    }
    return ordered;
  }
}
