import { applyDecorators, createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { Socket } from 'socket.io';
import type { Principal } from './principal.js';
import type { Role } from './user.entity.js';

export const ROLES_KEY = 'roles';
export const PUBLIC_KEY = 'public';

/** Who may call a route or WS event. Without it: users and admins. */
export const Roles = (...roles: Role[]): MethodDecorator & ClassDecorator => SetMetadata(ROLES_KEY, roles);

/**
 * A controller or route that needs a bearer token (the global guard checks it); with roles, only those roles may
 * call it. Documents the token, 401 and (with roles) 403 in OpenAPI, the same way everywhere.
 */
export function Authenticated(...roles: Role[]): ClassDecorator & MethodDecorator {
  const decorators = [ApiBearerAuth(), ApiUnauthorizedResponse({ description: 'UNAUTHORIZED / TOKEN_EXPIRED' })];
  if (roles.length > 0) {
    const who = roles.map((role) => `${role}s`).join(' and ');
    decorators.push(Roles(...roles), ApiForbiddenResponse({ description: `FORBIDDEN: ${who} only` }));
  }
  return applyDecorators(...decorators);
}

/** A route anyone may call without a token. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC_KEY, true);

/** The caller of a REST route or WS event. */
export const Actor = createParamDecorator((_data: unknown, ctx: ExecutionContext): Principal => {
  if (ctx.getType() === 'ws') return (ctx.switchToWs().getClient<Socket>().data as { principal: Principal }).principal;
  return ctx.switchToHttp().getRequest<{ principal: Principal }>().principal;
});
