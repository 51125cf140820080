import type { Role } from './user.entity.js';

/** Claims of every token this server signs. */
export interface TokenClaims {
  sub: string;
  role: Role;
  /** The subject's token version when the token was signed. */
  tv: number;
  iat: number;
  exp: number;
  /** When the login that began this chain of refreshes happened (epoch seconds); absent on older tokens. */
  auth_time?: number;
}

/** Who is calling: the subject of a verified, unrevoked token. For kiosks `id` is the workstation, for workers the job. */
export interface Principal {
  id: string;
  role: Role;
  tokenVersion: number;
  /** Expiry of the token in epoch milliseconds. */
  expiresAt: number;
  /** When the login that began the token's refresh chain happened, in epoch seconds (`auth_time`, else `iat`). */
  authTime?: number;
}

export const ALL_ROLES: Role[] = ['admin', 'user', 'kiosk', 'worker'];
export const ACCOUNT_ROLE_LIST: Role[] = ['admin', 'user'];

/** Accounts (users and admins) as opposed to kiosk and worker tokens: only accounts chat, vote, own resources, show presence. */
export function isAccount(principal: Pick<Principal, 'role'>): boolean {
  return principal.role === 'user' || principal.role === 'admin';
}

/** The one test for "its owner, or an admin" (a job, a suggestion, a resource). */
export function isOwnerOrAdmin(principal: Pick<Principal, 'id' | 'role'>, ownerId: string): boolean {
  return principal.role === 'admin' || principal.id === ownerId;
}
