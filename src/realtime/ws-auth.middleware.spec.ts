import { EventEmitter } from 'node:events';
import type { Socket } from 'socket.io';
import type { Principal } from '../auth/principal.js';
import type { PrincipalRegistry } from '../auth/principal.registry.js';
import { DomainException } from '../common/domain.exception.js';
import { ErrorCode } from '../common/error-codes.js';
import { QueryFailedError } from 'typeorm';
import {
  AUTH_FAILED,
  AUTH_REQUIRED,
  createWsAuthMiddleware,
  handshakeToken,
  SERVICE_UNAVAILABLE,
} from './ws-auth.middleware.js';

// ESM specs have no global `jest` object; Jest exposes it here.
const { jest } = import.meta;

const ID = '0b7f4c1e-2a3d-4e5f-8a9b-0c1d2e3f4a5b';

interface FakeHandshake {
  auth?: Record<string, unknown>;
  headers?: Record<string, string>;
  query?: Record<string, string>;
}

function fakeSocket(handshake: FakeHandshake) {
  const join = jest.fn();
  // Emitters where the middleware listens: the connection's close and the socket's disconnect.
  const conn = Object.assign(new EventEmitter(), {
    request: { headers: {} } as unknown,
    readyState: 'open' as 'open' | 'closed',
  });
  const socket = Object.assign(new EventEmitter(), {
    handshake: { auth: handshake.auth ?? {}, headers: handshake.headers ?? {}, query: handshake.query ?? {} },
    data: {} as Record<string, unknown>,
    conn,
    connected: false,
    join,
  });
  return { socket, asSocket: socket as unknown as Socket, join };
}

function principalOf(role: Principal['role']): Principal {
  return { id: ID, role, tokenVersion: 3, expiresAt: Date.now() + 3_600_000 };
}

describe('createWsAuthMiddleware', () => {
  let authenticate: jest.Mock<Promise<Principal>, [string]>;
  let onAuthenticated: jest.Mock<void, [Socket]>;
  let sut: (socket: Socket, next: (err?: Error) => void) => void;

  /** Runs the middleware and resolves with what it passed to next(). */
  function run(socket: Socket): Promise<Error | undefined> {
    return new Promise((resolve) => sut(socket, (err?: Error) => resolve(err)));
  }

  beforeEach(() => {
    authenticate = jest.fn();
    onAuthenticated = jest.fn();
    const principals = { authenticate } as unknown as PrincipalRegistry;
    sut = createWsAuthMiddleware(principals, { onAuthenticated });
  });

  it('should refuse a handshake without a token with "Authentication required"', async () => {
    const { asSocket } = fakeSocket({});
    const err = await run(asSocket);
    expect(err).toBeInstanceOf(Error);
    expect(err?.message).toBe('Authentication required');
    expect(AUTH_REQUIRED).toBe('Authentication required');
    expect(authenticate).not.toHaveBeenCalled();
    expect(onAuthenticated).not.toHaveBeenCalled();
  });

  it('should never read a token from the query string', async () => {
    const { asSocket } = fakeSocket({ query: { token: 'a.b.c', auth: 'a.b.c', authorization: 'Bearer a.b.c' } });
    expect((await run(asSocket))?.message).toBe('Authentication required');
    expect(authenticate).not.toHaveBeenCalled();
  });

  it('should refuse an Authorization header that is not a bearer token', async () => {
    const { asSocket } = fakeSocket({ headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    expect((await run(asSocket))?.message).toBe('Authentication required');
    expect(authenticate).not.toHaveBeenCalled();
  });

  it('should ignore a non-string auth.token', async () => {
    const { asSocket } = fakeSocket({ auth: { token: 42 } });
    expect((await run(asSocket))?.message).toBe('Authentication required');
  });

  it('should authenticate the token from auth.token, keep the principal and join its server-owned and user rooms', async () => {
    const principal = principalOf('user');
    authenticate.mockResolvedValue(principal);
    const { socket, asSocket, join } = fakeSocket({ auth: { token: 'the.auth.token' } });
    expect(await run(asSocket)).toBeUndefined();
    expect(authenticate).toHaveBeenCalledWith('the.auth.token');
    expect(socket.data).toEqual({ principal });
    expect(join).toHaveBeenCalledWith([`principal:user:${ID}`, `user:${ID}`]);
    expect(join).toHaveBeenCalledTimes(1);
    expect(onAuthenticated).toHaveBeenCalledWith(asSocket);
    // The token does not stay in memory for the socket's life.
    expect(socket.handshake.auth).toEqual({ token: undefined });
  });

  it('should accept "Bearer " in front of auth.token', async () => {
    authenticate.mockResolvedValue(principalOf('user'));
    const { asSocket } = fakeSocket({ auth: { token: 'Bearer the.auth.token' } });
    expect(await run(asSocket)).toBeUndefined();
    expect(authenticate).toHaveBeenCalledWith('the.auth.token');
  });

  it('should authenticate the token from an Authorization: Bearer header', async () => {
    authenticate.mockResolvedValue(principalOf('admin'));
    const { socket, asSocket, join } = fakeSocket({ headers: { authorization: 'Bearer header.token.value' } });
    expect(await run(asSocket)).toBeUndefined();
    expect(authenticate).toHaveBeenCalledWith('header.token.value');
    expect(socket.handshake.headers.authorization).toBeUndefined();
    expect(join).toHaveBeenCalledWith([`principal:user:${ID}`, `user:${ID}`]);
  });

  it('should prefer auth.token over the header', async () => {
    authenticate.mockResolvedValue(principalOf('user'));
    const { asSocket } = fakeSocket({ auth: { token: 'from.auth' }, headers: { authorization: 'Bearer from.header' } });
    await run(asSocket);
    expect(authenticate).toHaveBeenCalledWith('from.auth');
  });

  it('should join a kiosk to its server-owned and workstation rooms', async () => {
    authenticate.mockResolvedValue(principalOf('kiosk'));
    const { asSocket, join } = fakeSocket({ auth: { token: 'kiosk.token.value' } });
    expect(await run(asSocket)).toBeUndefined();
    expect(join).toHaveBeenCalledWith([`principal:workstation:${ID}`, `kiosk:workstation:${ID}`]);
    expect(join).toHaveBeenCalledTimes(1);
  });

  it('should join a worker to its server-owned room only', async () => {
    authenticate.mockResolvedValue(principalOf('worker'));
    const { socket, asSocket, join } = fakeSocket({ auth: { token: 'worker.token.value' } });
    expect(await run(asSocket)).toBeUndefined();
    expect(join).toHaveBeenCalledWith([`principal:job:${ID}`]);
    expect(socket.data).toEqual({ principal: expect.objectContaining({ id: ID, role: 'worker' }) });
    expect(onAuthenticated).toHaveBeenCalledTimes(1);
  });

  it('should refuse with "Too many connections" a principal that may open no more sockets', async () => {
    authenticate.mockResolvedValue(principalOf('user'));
    const admit = jest.fn(async () => false);
    sut = createWsAuthMiddleware({ authenticate } as unknown as PrincipalRegistry, { onAuthenticated, admit });
    const { asSocket, join } = fakeSocket({ auth: { token: 'the.auth.token' } });
    expect((await run(asSocket))?.message).toBe('Too many connections');
    expect(admit).toHaveBeenCalledWith(expect.objectContaining({ id: ID, role: 'user' }), asSocket);
    expect(join).not.toHaveBeenCalled();
    expect(onAuthenticated).not.toHaveBeenCalled();
  });

  describe('the place admit took', () => {
    let admit: jest.Mock<Promise<boolean>, [Principal, Socket]>;
    let release: jest.Mock<void, [Principal, Socket]>;

    beforeEach(() => {
      authenticate.mockResolvedValue(principalOf('user'));
      admit = jest.fn<Promise<boolean>, [Principal, Socket]>(async () => true);
      release = jest.fn();
      sut = createWsAuthMiddleware({ authenticate } as unknown as PrincipalRegistry, {
        onAuthenticated,
        admit,
        release,
      });
    });

    it('should give it back at once when the connection closed while it was being taken', async () => {
      const { socket, asSocket } = fakeSocket({ auth: { token: 'the.auth.token' } });
      admit.mockImplementation(async () => {
        socket.conn.readyState = 'closed';
        return true;
      });
      await run(asSocket);
      expect(release).toHaveBeenCalledWith(expect.objectContaining({ id: ID, role: 'user' }), asSocket);
    });

    it('should give it back when the connection closes before the socket connects', async () => {
      const { socket, asSocket } = fakeSocket({ auth: { token: 'the.auth.token' } });
      expect(await run(asSocket)).toBeUndefined();
      expect(release).not.toHaveBeenCalled();
      socket.conn.emit('close', 'transport close');
      expect(release).toHaveBeenCalledTimes(1);
      expect(release).toHaveBeenCalledWith(expect.objectContaining({ id: ID }), asSocket);
    });

    it('should give it back when taking it failed, its answer lost after it may have been taken', async () => {
      const { socket, asSocket } = fakeSocket({ auth: { token: 'the.auth.token' } });
      admit.mockRejectedValue(new Error('Command timed out'));
      expect((await run(asSocket))?.message).toBe(SERVICE_UNAVAILABLE);
      expect(release).toHaveBeenCalledTimes(1);
      expect(release).toHaveBeenCalledWith(expect.objectContaining({ id: ID, role: 'user' }), asSocket);
      // Nothing more when its connection closes: the handshake was refused.
      socket.conn.emit('close', 'transport close');
      expect(release).toHaveBeenCalledTimes(1);
      expect(onAuthenticated).not.toHaveBeenCalled();
    });

    it('should leave it to the disconnect of a socket that connected', async () => {
      const live = fakeSocket({ auth: { token: 'the.auth.token' } });
      await run(live.asSocket);
      live.socket.connected = true;
      live.socket.conn.emit('close', 'transport close');
      // Connected, then gone through its disconnect while its connection stayed open.
      const left = fakeSocket({ auth: { token: 'the.auth.token' } });
      await run(left.asSocket);
      left.socket.emit('disconnect', 'client namespace disconnect');
      left.socket.conn.emit('close', 'transport close');
      expect(release).not.toHaveBeenCalled();
    });
  });

  it('should drop the raw request once authenticated', async () => {
    authenticate.mockResolvedValue(principalOf('user'));
    const { socket, asSocket } = fakeSocket({ auth: { token: 'the.auth.token' } });
    await run(asSocket);
    expect(socket.conn.request).toBeUndefined();
  });

  it.each([
    ['an invalid or revoked token', DomainException.unauthorized()],
    ['an expired token', new DomainException(ErrorCode.TOKEN_EXPIRED, 'Token expired')],
    ['an unexpected failure', new Error('database down')],
  ])('should refuse %s with "Authentication failed"', async (_case, failure) => {
    authenticate.mockRejectedValue(failure);
    const { socket, asSocket, join } = fakeSocket({ auth: { token: 'bad.token.value' } });
    const err = await run(asSocket);
    expect(err?.message).toBe('Authentication failed');
    expect(AUTH_FAILED).toBe('Authentication failed');
    expect(join).not.toHaveBeenCalled();
    expect(socket.data).toEqual({});
    expect(onAuthenticated).not.toHaveBeenCalled();
  });

  // The token may be good: the account's state could not be read. "Authentication failed" would make the client
  // give the token up (packages/client stops after two), logging users out over a database blip.
  it.each([
    ['Postgres unreachable', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    [
      'a broken Postgres connection',
      new QueryFailedError('SELECT', [], new Error('Connection terminated unexpectedly')),
    ],
    ['the pool timing out', new Error('timeout exceeded when trying to connect')],
    ['Redis unreachable', Object.assign(new Error('Reached the max retries'), { name: 'MaxRetriesPerRequestError' })],
  ])('should refuse with "Service unavailable", not "Authentication failed", when %s', async (_case, failure) => {
    authenticate.mockRejectedValue(failure);
    const { socket, asSocket, join } = fakeSocket({ auth: { token: 'good.token.value' } });
    const err = await run(asSocket);
    expect(err?.message).toBe('Service unavailable');
    expect(SERVICE_UNAVAILABLE).toBe('Service unavailable');
    expect(join).not.toHaveBeenCalled();
    expect(socket.data).toEqual({});
    expect(onAuthenticated).not.toHaveBeenCalled();
  });
});

describe('handshakeToken', () => {
  it('should answer undefined for an empty auth.token and no header', () => {
    expect(handshakeToken({ handshake: { auth: { token: '' }, headers: {} } } as unknown as Socket)).toBeUndefined();
  });

  it('should read a lower-case bearer scheme from the header', () => {
    expect(
      handshakeToken({ handshake: { auth: {}, headers: { authorization: 'bearer a.b.c' } } } as unknown as Socket),
    ).toBe('a.b.c');
  });
});
