// The global REST guard: a bearer token whose subject is current, and a role the route allows.
import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { DomainException } from '../common/domain.exception.js';
import { ErrorCode } from '../common/error-codes.js';
import { ACCOUNT_ROLE_LIST, type Principal } from './principal.js';
import { PrincipalRegistry } from './principal.registry.js';
import { PUBLIC_KEY, ROLES_KEY } from './decorators.js';
import type { Role } from './user.entity.js';

export function bearerToken(header: unknown): string | undefined {
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

export function allowedRoles(reflector: Reflector, context: ExecutionContext): Role[] {
  return (
    reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, [context.getHandler(), context.getClass()]) ??
    ACCOUNT_ROLE_LIST
  );
}

@Injectable()
export class HttpAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly principals: PrincipalRegistry,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, [context.getHandler(), context.getClass()])) return true;
    const request = context.switchToHttp().getRequest<Request & { principal?: Principal }>();
    const token = bearerToken(request.headers.authorization);
    if (!token) throw new DomainException(ErrorCode.UNAUTHORIZED, 'Authentication required');
    const principal = await this.principals.authenticate(token);
    if (!allowedRoles(this.reflector, context).includes(principal.role)) throw DomainException.forbidden();
    request.principal = principal;
    return true;
  }
}
