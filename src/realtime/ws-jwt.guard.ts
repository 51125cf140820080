// Runs on every WS event: the socket's token has not expired, its subject is still current, and the event
// allows its role. A revoked socket is told why and disconnected. When the check cannot be made (Postgres
// unreachable, the account's cached state too old to trust), the event is refused SERVICE_UNAVAILABLE and the socket
// stays connected: an outage says nothing of its token.
import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Socket } from 'socket.io';
import { allowedRoles } from '../auth/http-auth.guard.js';
import { PrincipalRegistry } from '../auth/principal.registry.js';
import { DomainException } from '../common/domain.exception.js';
import { ErrorCode } from '../common/error-codes.js';
import { isDependencyUnavailable } from '../common/unavailable.js';
import type { SocketData } from './channel.service.js';

@Injectable()
export class WsJwtGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly principals: PrincipalRegistry,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'ws') return true;
    const socket = context.switchToWs().getClient<Socket>();
    const principal = (socket.data as Partial<SocketData>).principal;
    if (!principal) throw DomainException.unauthorized();
    if (principal.expiresAt <= Date.now()) {
      setImmediate(() => socket.disconnect(true));
      throw new DomainException(ErrorCode.TOKEN_EXPIRED, 'Token expired');
    }
    try {
      await this.principals.assertCurrent(principal.id, principal.tokenVersion, principal.role);
    } catch (err) {
      // The exception filter answers it SERVICE_UNAVAILABLE; the socket keeps its place for when the database is back.
      if (!isDependencyUnavailable(err)) setImmediate(() => socket.disconnect(true));
      throw err;
    }
    if (!allowedRoles(this.reflector, context).includes(principal.role)) throw DomainException.forbidden();
    return true;
  }
}
