// Waiting on the server's timed work instead of a fixed time. A spec that must prove a scheduler did NOT publish
// something waits until the scheduler of every instance has run a whole pass begun after the wait began (whatever
// such a pass publishes is published by then), then sends a barrier event and awaits it before the check.
import type { Type } from '@nestjs/common';
import type { TestApp } from './app.js';

/** A scheduler whose `tick()` runs one pass, or answers the pass in flight (passes never overlap). */
interface Scheduler {
  tick(): Promise<void>;
}

/** Resolves once each app's `scheduler` has run a whole pass that began after this call. */
export async function passesBegunNow(apps: TestApp[], scheduler: Type<Scheduler>): Promise<void> {
  await Promise.all(
    apps.map(async ({ app }) => {
      const instance = app.get(scheduler);
      await instance.tick(); // the pass in flight, if any, else a new one
      await instance.tick(); // a pass begun after that one ended
    }),
  );
}
