// Who may hold a token: each role's owner registers how to check that a subject still exists and that the
// token's version is current (users here; workstations and jobs in their modules).
import { Injectable } from '@nestjs/common';
import { DomainException } from '../common/domain.exception.js';
import type { Principal, TokenClaims } from './principal.js';
import { TokenService } from './token.service.js';
import type { Role } from './user.entity.js';

/** Answers whether a subject with this token version may act now. */
export type SubjectCheck = (subjectId: string, tokenVersion: number, role: Role) => Promise<boolean>;

@Injectable()
export class PrincipalRegistry {
  private readonly checks = new Map<Role, SubjectCheck>();

  constructor(private readonly tokens: TokenService) {}

  register(roles: Role[], check: SubjectCheck): void {
    for (const role of roles) this.checks.set(role, check);
  }

  /** Verifies the token and that its subject is current; throws UNAUTHORIZED / TOKEN_EXPIRED. */
  async authenticate(token: string): Promise<Principal> {
    return this.fromClaims(await this.tokens.verify(token));
  }

  async fromClaims(claims: TokenClaims): Promise<Principal> {
    await this.assertCurrent(claims.sub, claims.tv, claims.role);
    return {
      id: claims.sub,
      role: claims.role,
      tokenVersion: claims.tv,
      expiresAt: claims.exp * 1000,
      authTime: typeof claims.auth_time === 'number' ? claims.auth_time : claims.iat,
    };
  }

  /** Throws UNAUTHORIZED when the subject is gone, disabled or its tokens were revoked. */
  async assertCurrent(subjectId: string, tokenVersion: number, role: Role): Promise<void> {
    const check = this.checks.get(role);
    if (!check || !(await check(subjectId, tokenVersion, role))) throw DomainException.unauthorized();
  }
}
