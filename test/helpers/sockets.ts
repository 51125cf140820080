// Real socket.io-client sockets for specs: connect with a token, emit with an acknowledgement, wait for events.
// Every socket opened here is closed by closeAllSockets() (call it in afterEach).
import { io, type Socket } from 'socket.io-client';

export type Ack<T = any> =
  { ok: true; data: T } | { ok: false; error: { code: string; message: string; details?: unknown } };

const open = new Set<Socket>();

export interface ConnectOptions {
  transports?: ('websocket' | 'polling')[];
  headers?: Record<string, string>;
  auth?: Record<string, unknown>;
  query?: Record<string, string>;
  /** Listeners added before the connection, for what the server may send as soon as it accepts it. */
  listeners?: Record<string, (...args: any[]) => void>;
}

/** Connects and resolves once connected; rejects with the connect_error message. */
export function connect(url: string, token: string | undefined, options: ConnectOptions = {}): Promise<Socket> {
  const socket = io(url, {
    transports: options.transports ?? ['websocket'],
    auth: options.auth ?? (token === undefined ? {} : { token }),
    extraHeaders: options.headers,
    query: options.query,
    reconnection: false,
    forceNew: true,
    timeout: 10_000,
  });
  open.add(socket);
  for (const [event, listener] of Object.entries(options.listeners ?? {})) socket.on(event, listener);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err: Error) => {
      socket.close();
      reject(err);
    });
  });
}

/** The connect_error message a connection attempt ends with (fails the test if it connects). */
export async function connectError(
  url: string,
  token: string | undefined,
  options: ConnectOptions = {},
): Promise<string> {
  try {
    await connect(url, token, options);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('Expected the connection to be refused');
}

export function emitAck<T = any>(socket: Socket, event: string, ...args: unknown[]): Promise<Ack<T>> {
  return socket.timeout(10_000).emitWithAck(event, ...args) as Promise<Ack<T>>;
}

/** Resolves with the next `event` payload that satisfies `match`. */
export function waitFor<T = any>(
  socket: Socket,
  event: string,
  match: (payload: T) => boolean = () => true,
  timeoutMs = 10_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, handler);
      reject(new Error(`Timed out waiting for "${event}"`));
    }, timeoutMs);
    const handler = (payload: T) => {
      if (!match(payload)) return;
      clearTimeout(timer);
      socket.off(event, handler);
      resolve(payload);
    };
    socket.on(event, handler);
  });
}

/** Collects every `event` payload from now on. */
export function collect<T = any>(socket: Socket, event: string): T[] {
  const seen: T[] = [];
  socket.on(event, (payload: T) => seen.push(payload));
  return seen;
}

/** Resolves when the socket is disconnected by the server, with the reason. */
export function waitDisconnect(socket: Socket, timeoutMs = 10_000): Promise<string> {
  if (!socket.connected) return Promise.resolve('already disconnected');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('Timed out waiting for disconnect')), timeoutMs);
    socket.once('disconnect', (reason: string) => {
      clearTimeout(timer);
      resolve(reason);
    });
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function closeAllSockets(): void {
  for (const socket of open) socket.close();
  open.clear();
}

/** The longest pause between two checks of `eventually`. */
const EVENTUALLY_MAX_PAUSE_MS = 200;

/**
 * Retries `check` until it passes: it returns true, or returns nothing without throwing (an assertion). Events may
 * arrive before anyone waits for them, and effects that cross instances settle shortly after; fails with the
 * check's last error. The pause between checks starts at `everyMs` and doubles up to 200 ms: many checks are HTTP
 * requests, and a check every 25 ms through a wait of seconds, on a CI machine whose cores the run already keeps
 * busy, took CPU from the server it was waiting for.
 */
export async function eventually(
  check: () => boolean | void | Promise<boolean | void>,
  timeoutMs = 10_000,
  everyMs = 25,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let pause = everyMs; ; pause = Math.min(pause * 2, EVENTUALLY_MAX_PAUSE_MS)) {
    let failure: unknown;
    try {
      if ((await check()) !== false) return;
    } catch (err) {
      failure = err;
    }
    if (Date.now() > deadline) throw failure ?? new Error('Condition not met in time');
    await sleep(pause);
  }
}
