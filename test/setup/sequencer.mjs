// The order in which Jest hands spec files to its workers. Jest's own order needs the timings of an earlier run on
// the same machine (its cache); a clean clone, as CI runs, has none and falls back to file size, so long specs could
// start last and leave the other workers idle at the end, and the browser specs (Chromium and an app each) could
// run side by side and starve each other of the two cores. This one reads the timings of a reference run
// (test/setup/durations.json: `node scripts/test-durations.mjs <jest --json output>` refreshes it), prefers Jest's
// own timings when it has them, and orders the files by simulating the workers: each free worker takes the longest
// file left, except that a second browser spec waits until no other one is running.
import TestSequencer from '@jest/test-sequencer';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

/** Seconds assumed for a file the table does not know (a new spec). */
const UNKNOWN_SECONDS = 10;
/** Projects whose files should not run at the same time as another file of the same project. */
const ONE_AT_A_TIME = new Set(['web']);

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
      return { test, seconds, exclusive: ONE_AT_A_TIME.has(project) };
    });
    entries.sort((a, b) => b.seconds - a.seconds);
    const ordered = [];
    const free = new Array(this.workers).fill(0);
    let exclusiveUntil = 0;
    while (entries.length > 0) {
      const worker = free.indexOf(Math.min(...free));
      const now = free[worker];
      let next = entries.findIndex((e) => !e.exclusive || exclusiveUntil <= now);
      // Only exclusive files are left: the next one starts when the running one ends.
      if (next < 0) next = 0;
      const [entry] = entries.splice(next, 1);
      const start = entry.exclusive ? Math.max(now, exclusiveUntil) : now;
      free[worker] = start + entry.seconds;
      if (entry.exclusive) exclusiveUntil = free[worker];
      ordered.push(entry.test);
    }
    return ordered;
  }
}
