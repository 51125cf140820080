// Handshake authentication: a token from `auth.token` or an `Authorization: Bearer` header (never the URL).
// On success the socket carries its principal and joins its server-owned room and its own room; on failure the
// client gets connect_error: "Authentication failed" when the token is refused, "Service unavailable" when the check
// could not be made (Postgres or Redis unreachable), which a client retries with the same token.
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'socket.io';
import { channels } from '@realtime-hub/protocol';
import { bearerToken } from '../auth/http-auth.guard.js';
import type { Principal } from '../auth/principal.js';
import type { PrincipalRegistry } from '../auth/principal.registry.js';
import { isDependencyUnavailable } from '../common/unavailable.js';
import { principalRoom } from './principal-rooms.js';

export const AUTH_REQUIRED = 'Authentication required';
export const AUTH_FAILED = 'Authentication failed';

export function handshakeToken(socket: Pick<Socket, 'handshake'>): string | undefined {
  const fromAuth = (socket.handshake.auth as Record<string, unknown> | undefined)?.token;
  if (typeof fromAuth === 'string' && fromAuth.length > 0) return fromAuth.replace(/^Bearer\s+/i, '');
  return bearerToken(socket.handshake.headers.authorization);
}

/** The room a principal's sockets join on connect. */
export function ownRoom(principal: Principal): string | undefined {
  switch (principal.role) {
    case 'user':
    case 'admin':
      return channels.user(principal.id);
    case 'kiosk':
      return channels.kioskWorkstation(principal.id);
    default:
      return undefined;
  }
}

/**
 * Drops the token from the handshake once it has been checked: the socket keeps its principal, and the token (a few
 * hundred bytes per socket) would otherwise stay in memory as long as the socket. Set to undefined rather than
 * deleted, so the objects keep their shape. (`ws` still holds the bytes of the frame that carried it until the
 * socket's next frame, its first pong at the latest: bench/README.md, "Where each target stands".)
 */
function forgetToken(socket: Socket): void {
  const auth = socket.handshake.auth as Record<string, unknown> | undefined;
  if (auth && 'token' in auth) auth.token = undefined;
  if (socket.handshake.headers.authorization !== undefined) socket.handshake.headers.authorization = undefined;
}

export const TOO_MANY_CONNECTIONS = 'Too many connections';
export const SERVICE_UNAVAILABLE = 'Service unavailable';

export interface WsAuthOptions {
  /** Called once the socket is authenticated and admitted, before it connects. */
  onAuthenticated(socket: Socket): void;
  /** The client's address under TRUST_PROXY (the rule REST uses), kept as `socket.data.clientIp`. */
  clientIpOf?(request: IncomingMessage): string | undefined;
  /** Whether the principal may open one more socket (WS_MAX_SOCKETS_PER_USER); refused with "Too many connections". */
  admit?(principal: Principal, socket: Socket): Promise<boolean>;
  /**
   * Gives back the place `admit` took, for a handshake whose connection closed before its socket connected (a socket
   * that connected gives its place back as it disconnects), or whose `admit` failed (it may have taken the place).
   * Not awaited: it answers its own failures.
   */
  release?(principal: Principal, socket: Socket): void;
}

/**
 * Calls `release` if the handshake's connection closes before the socket connects. Socket.IO then drops the socket
 * without ever connecting it, so no disconnect is heard of it: its place would stay taken until it expired
 * (PRESENCE_TTL_SECONDS), and a client whose flaky network drops handshakes be refused "Too many connections" meanwhile.
 */
function releaseIfAbandoned(socket: Socket, release: () => void): void {
  const conn = socket.conn;
  // Closed while the place was being taken: its close has been heard already.
  if (conn.readyState === 'closed') {
    release();
    return;
  }
  // Heard before Socket.IO's own listener, which disconnects a connected socket: `connected` still tells a socket
  // that will leave through its disconnect from one that never connected.
  const onClose = (): void => {
    if (!socket.connected) release();
  };
  conn.prependOnceListener('close', onClose);
  // A connection can outlive its socket (a namespace disconnect): once the socket has left, its place is given back.
  socket.once('disconnect', () => conn.off('close', onClose));
}

export function createWsAuthMiddleware(principals: PrincipalRegistry, options: WsAuthOptions) {
  return (socket: Socket, next: (err?: Error) => void): void => {
    const token = handshakeToken(socket);
    if (!token) {
      next(new Error(AUTH_REQUIRED));
      return;
    }
    principals.authenticate(token).then(
      async (principal) => {
        try {
          if (options.admit && !(await options.admit(principal, socket))) {
            next(new Error(TOO_MANY_CONNECTIONS));
            return;
          }
        } catch {
          // Taking it may have failed after the place was taken (Redis ran the script and its answer was lost to the
          // command timeout or a dropped link): given back, or it stays taken until it expires (PRESENCE_TTL_SECONDS)
          // while the client, retrying with a new socket, takes another.
          options.release?.(principal, socket);
          next(new Error(SERVICE_UNAVAILABLE));
          return;
        }
        const { release } = options;
        if (options.admit && release) releaseIfAbandoned(socket, () => release(principal, socket));
        socket.data = { principal, clientIp: options.clientIpOf?.(socket.request) ?? socket.handshake.address };
        // The handshake (headers included) is already copied; the raw request would live as long as the socket.
        (socket.conn as unknown as { request?: unknown }).request = undefined;
        forgetToken(socket);
        const room = ownRoom(principal);
        void socket.join([principalRoom(principal.role, principal.id), ...(room ? [room] : [])]);
        options.onAuthenticated(socket);
        next();
      },
      // A dependency that could not be asked (the account's state is read from Postgres) says nothing of the token:
      // answered as such, so that a client keeps its token and retries instead of treating it as refused.
      (err: unknown) => next(new Error(isDependencyUnavailable(err) ? SERVICE_UNAVAILABLE : AUTH_FAILED)),
    );
  };
}
