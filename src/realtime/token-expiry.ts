// Per-socket token deadlines: `auth:expiring` 60 s before the token ends, then TOKEN_EXPIRED and a disconnect.
// One clock for every socket, in one-second slots, rather than two Node timers per socket: a socket then costs a
// small record and a set entry, and no timer ever waits longer than a second (Node's overflow past ~24.8 days, for
// 365-day kiosk tokens, cannot happen). A socket that connects in its token's last minute also gets one short timer,
// for the notice it is owed at once (armTokenTimers).
import type { Socket } from 'socket.io';
import { ErrorCode } from '../common/error-codes.js';
import type { ServerEvents } from './client-events.js';

export const EXPIRING_NOTICE_MS = 60_000;
/** How long after the connection a late notice waits (armTokenTimers). */
export const LATE_NOTICE_DELAY_MS = 100;
const SLOT_MS = 1000;

interface Deadline {
  expiresAt: number;
  /** When `auth:expiring` is due on the clock; null once sent, or when it is not the clock's to send (armTokenTimers). */
  noticeAt: number | null;
  slot: number;
}

const deadlines = new WeakMap<Socket, Deadline>();
/** Sockets with something due, by the slot (epoch second) it falls in. */
const slots = new Map<number, Set<Socket>>();
let ticker: NodeJS.Timeout | undefined;

function place(socket: Socket, deadline: Deadline): void {
  const next = deadline.noticeAt ?? deadline.expiresAt;
  deadline.slot = Math.ceil(next / SLOT_MS);
  let set = slots.get(deadline.slot);
  if (!set) slots.set(deadline.slot, (set = new Set()));
  set.add(socket);
  if (!ticker) {
    ticker = setInterval(tick, SLOT_MS);
    // The socket keeps the process busy while it lives; its token deadline alone must not hold a shutdown open.
    ticker.unref();
  }
}

function tick(): void {
  const now = Date.now();
  const current = Math.floor(now / SLOT_MS);
  for (const [slot, sockets] of slots) {
    if (slot > current) continue;
    slots.delete(slot);
    for (const socket of sockets) fire(socket, now);
  }
  if (slots.size === 0 && ticker) {
    clearInterval(ticker);
    ticker = undefined;
  }
}

function fire(socket: Socket, now: number): void {
  const deadline = deadlines.get(socket);
  if (!deadline) return;
  if (now >= deadline.expiresAt) {
    deadlines.delete(socket);
    socket.emit('error', {
      code: ErrorCode.TOKEN_EXPIRED,
      message: 'Token expired',
      event: null,
    } satisfies ServerEvents['error']);
    socket.disconnect(true);
    return;
  }
  if (deadline.noticeAt !== null && now >= deadline.noticeAt) {
    deadline.noticeAt = null;
    sendNotice(socket, deadline);
  }
  place(socket, deadline);
}

function sendNotice(socket: Socket, deadline: Deadline): void {
  socket.emit('auth:expiring', {
    expiresAt: new Date(deadline.expiresAt).toISOString(),
  } satisfies ServerEvents['auth:expiring']);
}

export function clearTokenTimers(socket: Socket): void {
  const deadline = deadlines.get(socket);
  if (!deadline) return;
  deadlines.delete(socket);
  const set = slots.get(deadline.slot);
  set?.delete(socket);
  if (set?.size === 0) slots.delete(deadline.slot);
}

/**
 * (Re)arms the deadlines of a connected socket for a token ending at `expiresAt` (epoch ms). A socket that connects
 * with less than EXPIRING_NOTICE_MS left (`late: 'notice'`: a reconnection in the token's last minute) gets
 * `auth:expiring` at once: its moment has passed, and without it the client would learn of the end only from
 * TOKEN_EXPIRED, when the token can no longer be renewed. At once, not at the clock's next slot, which can fall up to
 * two seconds later, past the end of a token with a second or two left (the notice was then never sent); and
 * LATE_NOTICE_DELAY_MS after the connection rather than in the same write as its acceptance, so that a client adding
 * its listeners once connected usually has them (one busy at that moment reads both frames at once: clients should
 * listen before connecting, as the SDK does). A token handed over by `auth:refresh` (`late: 'none'`) gets no late
 * notice: the client has just renewed, and a session near its maximum age (JWT_SESSION_MAX_AGE) gets no token that
 * lasts longer, so a notice would only have it ask again every second.
 */
export function armTokenTimers(socket: Socket, expiresAt: number, late: 'notice' | 'none'): void {
  clearTokenTimers(socket);
  const noticeAt = expiresAt - EXPIRING_NOTICE_MS;
  const deadline: Deadline = { expiresAt, noticeAt: noticeAt > Date.now() ? noticeAt : null, slot: 0 };
  deadlines.set(socket, deadline);
  place(socket, deadline);
  if (deadline.noticeAt !== null || late === 'none') return;
  setTimeout(() => {
    // Not if the socket left, or was handed another token, meanwhile.
    if (deadlines.get(socket) === deadline && socket.connected) sendNotice(socket, deadline);
  }, LATE_NOTICE_DELAY_MS).unref();
}
