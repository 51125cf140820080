// Signs and verifies the HS256 tokens. The secret comes from JWT_SECRET, or is generated once and kept in the
// database so that every instance shares it.
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { InjectDataSource } from '@nestjs/typeorm';
import { createSecretKey, randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { DomainException } from '../common/domain.exception.js';
import { ErrorCode } from '../common/error-codes.js';
import { AppConfig } from '../config/app-config.js';
import { AppSecretsRepository } from './app-secrets.repository.js';
import type { TokenClaims } from './principal.js';
import type { Role } from './user.entity.js';

const SECRET_NAME = 'jwt_secret';
/** How many verified tokens an instance remembers (about 0.5 KB each). */
const VERIFIED_TOKENS_KEPT = 10_000;

@Injectable()
export class TokenService implements OnModuleInit {
  private readonly logger = new Logger('TokenService');
  /**
   * Built once the secret is known, around a KeyObject: handed a string, jsonwebtoken first tries it as a PEM
   * public key and builds (and throws away) an error on every verification.
   */
  private jwt: JwtService;
  /**
   * Tokens whose signature this instance has checked, with their claims, oldest first. A token comes back with every
   * request and handshake of its session, and jsonwebtoken's checks (decoding, HMAC, a dozen claims) took about
   * 0.25 ms of a vote's way to the handler on this machine. The same string under the same key verifies the same way:
   * only its expiry is checked again at each use; whether its subject is still current is the caller's check, every
   * time (PrincipalRegistry).
   */
  private readonly verified = new Map<string, Readonly<TokenClaims>>();

  constructor(
    private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly secrets: AppSecretsRepository,
  ) {}

  async onModuleInit(): Promise<void> {
    if (this.config.jwt.secret) {
      this.useSecret(this.config.jwt.secret);
      return;
    }
    // First instance wins; the others read what it wrote.
    const secret = await this.secrets.getOrCreate(
      this.dataSource.manager,
      SECRET_NAME,
      randomBytes(48).toString('base64url'),
    );
    this.useSecret(secret);
    this.logger.log('Using the JWT secret kept in the database (JWT_SECRET is unset)');
  }

  private useSecret(secret: string): void {
    this.jwt = new JwtService({
      secret: createSecretKey(Buffer.from(secret, 'utf8')),
      signOptions: { algorithm: 'HS256' },
      verifyOptions: { algorithms: ['HS256'] },
    });
  }

  /**
   * Signs a token; `expiresInSeconds` defaults to JWT_EXPIRES_IN. `authTime` (epoch seconds) is the login that began
   * a chain of refreshes: the token carries it and never outlives it by more than JWT_SESSION_MAX_AGE.
   */
  async sign(
    subject: { id: string; role: Role; tokenVersion: number },
    expiresInSeconds = this.config.jwt.expiresInSeconds,
    authTime?: number,
  ): Promise<{ token: string; expiresAt: Date }> {
    const now = Math.floor(Date.now() / 1000);
    const claims: TokenClaims = {
      sub: subject.id,
      role: subject.role,
      tv: subject.tokenVersion,
      iat: now,
      exp: now + expiresInSeconds,
    };
    if (authTime !== undefined) {
      claims.auth_time = authTime;
      claims.exp = Math.min(claims.exp, authTime + this.config.jwt.sessionMaxAgeSeconds);
    }
    const token = await this.jwt.signAsync(claims);
    return { token, expiresAt: new Date(claims.exp * 1000) };
  }

  /** Verifies signature and expiry; throws TOKEN_EXPIRED or UNAUTHORIZED. */
  async verify(token: string): Promise<Readonly<TokenClaims>> {
    const known = this.verified.get(token);
    if (known) {
      // jsonwebtoken's rule: expired once the current second reaches `exp`.
      if (Math.floor(Date.now() / 1000) < known.exp) return known;
      this.verified.delete(token);
      throw new DomainException(ErrorCode.TOKEN_EXPIRED, 'Token expired');
    }
    let claims: TokenClaims;
    try {
      claims = await this.jwt.verifyAsync<TokenClaims>(token);
    } catch (err) {
      if ((err as Error).name === 'TokenExpiredError')
        throw new DomainException(ErrorCode.TOKEN_EXPIRED, 'Token expired');
      throw DomainException.unauthorized();
    }
    if (
      typeof claims.sub !== 'string' ||
      typeof claims.role !== 'string' ||
      typeof claims.tv !== 'number' ||
      typeof claims.exp !== 'number'
    ) {
      throw DomainException.unauthorized();
    }
    if (this.verified.size >= VERIFIED_TOKENS_KEPT) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, Object.freeze(claims));
    return claims;
  }
}
