import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import type { Socket } from 'socket.io';
import { QueryFailedError } from 'typeorm';
import type { Principal } from '../auth/principal.js';
import type { PrincipalRegistry } from '../auth/principal.registry.js';
import { DomainException } from '../common/domain.exception.js';
import { toErrorBody } from '../common/error-body.js';
import { WsJwtGuard } from './ws-jwt.guard.js';

// ESM specs have no global `jest` object; Jest exposes it here.
const { jest } = import.meta;

const ID = '0b7f4c1e-2a3d-4e5f-8a9b-0c1d2e3f4a5b';

function handler(): void {}

function wsContext(socket: Socket): ExecutionContext {
  const host = new ExecutionContextHost([socket, {}, undefined, 'subscribe'], WsJwtGuard, handler);
  host.setType('ws');
  return host;
}

describe(WsJwtGuard.name, () => {
  let assertCurrent: jest.Mock<Promise<void>, [string, number, string]>;
  let disconnect: jest.Mock<void, [boolean]>;
  let socket: Socket;
  let sut: WsJwtGuard;

  /** Lets the guard's setImmediate run. */
  const settle = () => new Promise((resolve) => setImmediate(resolve));

  beforeEach(() => {
    assertCurrent = jest.fn();
    disconnect = jest.fn();
    const principal: Principal = { id: ID, role: 'user', tokenVersion: 1, expiresAt: Date.now() + 3_600_000 };
    socket = { data: { principal }, disconnect } as unknown as Socket;
    sut = new WsJwtGuard(new Reflector(), { assertCurrent } as unknown as PrincipalRegistry);
  });

  it('should let the event through while the subject is current', async () => {
    assertCurrent.mockResolvedValue(undefined);
    await expect(sut.canActivate(wsContext(socket))).resolves.toBe(true);
    expect(assertCurrent).toHaveBeenCalledWith(ID, 1, 'user');
    await settle();
    expect(disconnect).not.toHaveBeenCalled();
  });

  it('should refuse the event and disconnect the socket when its tokens were revoked', async () => {
    assertCurrent.mockRejectedValue(DomainException.unauthorized());
    await expect(sut.canActivate(wsContext(socket))).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await settle();
    expect(disconnect).toHaveBeenCalledWith(true);
  });

  // The account's state could not be read: the token may be good, and the socket is kept for when the database is
  // back. The exception filter answers the event SERVICE_UNAVAILABLE (acknowledgement and `error`).
  it.each([
    ['Postgres unreachable', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    [
      'a broken Postgres connection',
      new QueryFailedError('SELECT', [], new Error('Connection terminated unexpectedly')),
    ],
    ['the pool timing out', new Error('timeout exceeded when trying to connect')],
  ])('should refuse the event SERVICE_UNAVAILABLE and keep the socket when %s', async (_case, failure) => {
    assertCurrent.mockRejectedValue(failure);
    const refused = await sut.canActivate(wsContext(socket)).catch((err: unknown) => err);
    expect(refused).toBe(failure);
    expect(toErrorBody(refused).body.code).toBe('SERVICE_UNAVAILABLE');
    await settle();
    expect(disconnect).not.toHaveBeenCalled();
  });

  it('should disconnect the socket of an expired token without asking the database', async () => {
    (socket.data as { principal: Principal }).principal.expiresAt = Date.now() - 1;
    await expect(sut.canActivate(wsContext(socket))).rejects.toMatchObject({ code: 'TOKEN_EXPIRED' });
    expect(assertCurrent).not.toHaveBeenCalled();
    await settle();
    expect(disconnect).toHaveBeenCalledWith(true);
  });
});
