// Register, login (throttled per email and per IP), refresh and me.
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DomainException } from '../common/domain.exception.js';
import { isUniqueViolation } from '../database/query-results.js';
import { AttemptLimiter, type LimitRule } from '../redis/attempt-limiter.js';
import type { AuthResponseDto, LoginDto, RefreshResponseDto, RegisterDto, UserDto } from './dto/auth.dto.js';
import { hashPassword, needsRehash, verifyPassword } from './passwords.js';
import type { Principal } from './principal.js';
import { TokenService } from './token.service.js';
import { AccountSockets } from './account-sockets.port.js';
import { AccountStateCache } from './account-state.cache.js';
import { AppConfig } from '../config/app-config.js';
import { toUserDto } from './user.mapper.js';
import type { User } from './user.entity.js';
import { announceRevocation } from './revocation.js';
import { UsersRepository } from './users.repository.js';

const LOGIN_WINDOW_SECONDS = 15 * 60;
/** Failed logins: 10 per email and 100 per client IP within 15 minutes; a successful login gives its point back. */
export const LOGIN_FAILURES_PER_EMAIL: LimitRule = {
  name: 'login-email',
  points: 10,
  durationSeconds: LOGIN_WINDOW_SECONDS,
};
export const LOGIN_FAILURES_PER_IP: LimitRule = {
  name: 'login-ip',
  points: 100,
  durationSeconds: LOGIN_WINDOW_SECONDS,
};

@Injectable()
export class AuthService implements OnModuleInit {
  private readonly logger = new Logger('AuthService');
  /** Verified against for unknown emails, so a miss costs as much as a wrong password. */
  private decoyHash: string;
  private readonly registrationsPerIp: LimitRule;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersRepository,
    private readonly tokens: TokenService,
    private readonly limiter: AttemptLimiter,
    private readonly accounts: AccountStateCache,
    private readonly sockets: AccountSockets,
    private readonly config: AppConfig,
  ) {
    this.registrationsPerIp = {
      name: 'register-ip',
      points: config.limits.registrationsPerHour,
      durationSeconds: 3600,
    };
  }

  async onModuleInit(): Promise<void> {
    this.decoyHash = await hashPassword('decoy-password-never-matches', this.config.passwordHash);
  }

  /** Counted per client IP before the hash (each costs an argon2id run), refused or not. */
  async register(dto: RegisterDto, ip: string): Promise<AuthResponseDto> {
    await this.limiter.reserve('Too many registrations from this address; try again later', [
      this.registrationsPerIp,
      ip,
    ]);
    const passwordHash = await hashPassword(dto.password, this.config.passwordHash);
    let user: User;
    try {
      user = await this.users.insert(this.dataSource.manager, {
        email: dto.email,
        passwordHash,
        displayName: dto.displayName,
        role: 'user',
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw DomainException.conflict('Email already registered');
      throw err;
    }
    return this.issue(user);
  }

  async login(dto: LoginDto, ip: string): Promise<AuthResponseDto> {
    // Reserved before the hash is checked, so a burst is judged as it arrives; given back when the password is right.
    const reservation = await this.limiter.reserve(
      'Too many failed login attempts; try again later',
      [LOGIN_FAILURES_PER_EMAIL, dto.email],
      [LOGIN_FAILURES_PER_IP, ip],
    );
    let user: Awaited<ReturnType<UsersRepository['findWithPassword']>>;
    let valid: boolean;
    try {
      user = await this.users.findWithPassword(this.dataSource.manager, dto.email);
      valid = await verifyPassword(user?.passwordHash ?? this.decoyHash, dto.password);
    } catch (err) {
      // Not a wrong password (the database is unreachable, say: 503): it must not count as a failure, or an outage
      // would lock every account that tries to log in through it out for the window.
      await reservation.refund();
      throw err;
    }
    if (!user || !valid) throw DomainException.unauthorized('Invalid email or password');
    await reservation.refund();
    // Answered as the contract's login answers a refusal (401), with the reason in the message.
    if (user.disabled) throw DomainException.unauthorized('Account disabled');
    if (needsRehash(user.passwordHash, this.config.passwordHash)) await this.rehash(user, dto.password);
    return this.issue(user);
  }

  /**
   * Re-makes a hash made at another cost than the configuration's (PASSWORD_HASH_*), now that the password is known:
   * unless the password changed meanwhile. A failure leaves the old hash (the login goes on) for the next login.
   */
  private async rehash(user: Pick<User, 'id' | 'passwordHash'>, password: string): Promise<void> {
    try {
      const fresh = await hashPassword(password, this.config.passwordHash);
      await this.users.replacePasswordHash(this.dataSource.manager, user.id, user.passwordHash, fresh);
    } catch (err) {
      this.logger.warn({ err, userId: user.id }, 'Could not re-make a password hash at the configured cost');
    }
  }

  /** A fresh token of the same chain: never past JWT_SESSION_MAX_AGE from the login that began it. */
  async refresh(actor: Principal): Promise<RefreshResponseDto> {
    const user = await this.requireUser(actor.id);
    // The token was checked as the request arrived; a logout or a change of role may have revoked it since.
    if (user.tokenVersion !== actor.tokenVersion) throw DomainException.unauthorized();
    const authTime = actor.authTime ?? Math.floor(Date.now() / 1000);
    // A token that would end within a second is no token: past the session's age, a new login is needed.
    if (authTime + this.config.jwt.sessionMaxAgeSeconds <= Math.floor(Date.now() / 1000) + 1) {
      throw DomainException.unauthorized('The session is too old; log in again');
    }
    // Signed with the version of the token it replaces, never a newer one read here: a revocation that commits after
    // this read still revokes the new token, so a refresh racing a logout cannot outlive it.
    const { token } = await this.tokens.sign(
      { id: user.id, role: user.role, tokenVersion: actor.tokenVersion },
      undefined,
      authTime,
    );
    return { accessToken: token };
  }

  /**
   * Ends every session of the account: all its tokens stop working and its sockets close, on every instance. Once the
   * revocation has committed the logout has happened and answers so (204), whether or not the other instances could be
   * told at once (announceRevocation).
   */
  async logout(actor: Principal): Promise<void> {
    await this.users.revokeTokens(this.dataSource.manager, actor.id);
    await announceRevocation(this.accounts, this.sockets, actor.id, this.logger);
  }

  async me(actor: Principal): Promise<UserDto> {
    return toUserDto(await this.requireUser(actor.id));
  }

  private async requireUser(id: string): Promise<User> {
    const user = await this.users.find(this.dataSource.manager, id);
    if (!user) throw DomainException.unauthorized();
    return user;
  }

  /** A login (or a registration) begins a new chain of refreshes. */
  private async issue(user: User): Promise<AuthResponseDto> {
    const { token } = await this.tokens.sign(
      { id: user.id, role: user.role, tokenVersion: user.tokenVersion },
      undefined,
      Math.floor(Date.now() / 1000),
    );
    return { accessToken: token, user: toUserDto(user) };
  }
}
