// What the kiosk specs (one instance, and two) share: the short timers they run the app with, making a workstation,
// recording a socket's events, and a barrier on `kiosk:workstations`.
import type { Socket } from 'socket.io-client';
import type { TestApp } from './app.js';
import type { TestUser } from './factories.js';
import { client } from './http.js';
import { connect, waitFor } from './sockets.js';

/** Short timers so that a whole session runs in seconds. */
export const KIOSK_ENV = {
  KIOSK_TICK_SECONDS: '1',
  KIOSK_WARNING_SECONDS: '3,1',
  KIOSK_MIN_DURATION_SECONDS: '1',
  KIOSK_OFFLINE_SECONDS: '1',
};
/** The offline countdown, with room for the database's and this process's clocks to disagree a little. */
export const KIOSK_OFFLINE_MS = Number(KIOSK_ENV.KIOSK_OFFLINE_SECONDS) * 1000 + 100;

export interface Kiosk {
  id: string;
  token: string;
}

/** A new workstation, made by `admin` through `app`, and its kiosk token. */
export async function createKiosk(app: TestApp, admin: TestUser, name: string): Promise<Kiosk> {
  const res = await client(app.url).post('/api/v1/kiosk/workstations', { token: admin.token, body: { name } });
  expect(res.status).toBe(201);
  return { id: res.body.workstation.id, token: res.body.token };
}

export interface Logged {
  event: string;
  payload: any;
}

/** Every event the socket receives from now on (only `events`, when given), in order. */
export function record(socket: Socket, events?: readonly string[]): Logged[] {
  const log: Logged[] = [];
  socket.onAny((event: string, payload: unknown) => {
    if (!events || events.includes(event)) log.push({ event, payload });
  });
  return log;
}

/**
 * Barrier: a new workstation comes online on each of `apps`, after whatever the spec waited for; each of `watchers`
 * (on `kiosk:workstations`) hears their updates after anything those instances published before.
 */
export async function workstationsBarrier(apps: TestApp[], admin: TestUser, ...watchers: Socket[]): Promise<void> {
  for (const app of apps) {
    const kiosk = await createKiosk(app, admin, 'Barrier');
    const online = watchers.map((watcher) =>
      waitFor(watcher, 'workstation:update', (u) => u.workstation.id === kiosk.id),
    );
    await connect(app.url, kiosk.token);
    await Promise.all(online);
  }
}
