import { createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import type { Socket } from 'socket.io';
import type { Principal } from './principal.js';
import type { Role } from './user.entity.js';

export const ROLES_KEY = 'roles';
export const PUBLIC_KEY = 'public';

/** Who may call a route or WS event. Without it: users and admins. */
export const Roles = (...roles: Role[]): MethodDecorator & ClassDecorator => SetMetadata(ROLES_KEY, roles);

/** A route anyone may call without a token. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC_KEY, true);

/** The caller of a REST route or WS event. */
export const Actor = createParamDecorator((_data: unknown, ctx: ExecutionContext): Principal => {
  if (ctx.getType() === 'ws') return (ctx.switchToWs().getClient<Socket>().data as { principal: Principal }).principal;
  return ctx.switchToHttp().getRequest<{ principal: Principal }>().principal;
});
