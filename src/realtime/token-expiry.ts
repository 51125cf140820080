// Per-socket token timers: `auth:expiring` 60 s before the token ends, then TOKEN_EXPIRED and a disconnect.
// Node timers overflow past ~24.8 days (a kiosk token lasts 365), so long waits are re-armed in steps.
import type { Socket } from 'socket.io';
import { ErrorCode } from '../common/error-codes.js';
import type { ServerEvents } from './client-events.js';

export const EXPIRING_NOTICE_MS = 60_000;
const MAX_TIMER_MS = 24 * 24 * 3600 * 1000;

const timers = new WeakMap<Socket, Set<NodeJS.Timeout>>();

/** Runs `run` at `when`, in steps no longer than MAX_TIMER_MS; every pending handle stays in `handles`. */
function at(handles: Set<NodeJS.Timeout>, when: number, run: () => void): void {
  const wait = when - Date.now();
  const handle = setTimeout(
    () => {
      handles.delete(handle);
      if (wait > MAX_TIMER_MS) at(handles, when, run);
      else run();
    },
    Math.max(0, Math.min(wait, MAX_TIMER_MS)),
  );
  // The socket keeps the process busy while it lives; its token timer alone must not hold a shutdown open.
  handle.unref();
  handles.add(handle);
}

export function clearTokenTimers(socket: Socket): void {
  for (const timer of timers.get(socket) ?? []) clearTimeout(timer);
  timers.delete(socket);
}

/** (Re)arms the timers for a token ending at `expiresAt` (epoch ms). */
export function armTokenTimers(socket: Socket, expiresAt: number): void {
  clearTokenTimers(socket);
  const handles = new Set<NodeJS.Timeout>();
  const expiringAt = expiresAt - EXPIRING_NOTICE_MS;
  if (expiringAt > Date.now()) {
    at(handles, expiringAt, () => {
      socket.emit('auth:expiring', {
        expiresAt: new Date(expiresAt).toISOString(),
      } satisfies ServerEvents['auth:expiring']);
    });
  }
  at(handles, expiresAt, () => {
    socket.emit('error', {
      code: ErrorCode.TOKEN_EXPIRED,
      message: 'Token expired',
      event: null,
    } satisfies ServerEvents['error']);
    socket.disconnect(true);
  });
  timers.set(socket, handles);
}
