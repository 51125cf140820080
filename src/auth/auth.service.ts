// Register, login (throttled per email and per IP), refresh and me.
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { QueryFailedError, type Repository } from 'typeorm';
import { DomainException } from '../common/domain.exception.js';
import { ErrorCode } from '../common/error-codes.js';
import { SlidingWindowLimiter } from '../redis/sliding-window.limiter.js';
import type { AuthResponseDto, LoginDto, RefreshResponseDto, RegisterDto, UserDto } from './dto/auth.dto.js';
import { hashPassword, verifyPassword } from './passwords.js';
import type { Principal } from './principal.js';
import { TokenService } from './token.service.js';
import { toUserDto } from './user.mapper.js';
import { User } from './user.entity.js';

export const LOGIN_WINDOW_MS = 15 * 60_000;
export const LOGIN_MAX_FAILURES_PER_EMAIL = 10;
export const LOGIN_MAX_FAILURES_PER_IP = 100;

export function isUniqueViolation(err: unknown): boolean {
  return err instanceof QueryFailedError && (err.driverError as { code?: string } | undefined)?.code === '23505';
}

@Injectable()
export class AuthService implements OnModuleInit {
  /** Verified against for unknown emails, so a miss costs as much as a wrong password. */
  private decoyHash: string;

  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly tokens: TokenService,
    private readonly limiter: SlidingWindowLimiter,
  ) {}

  async onModuleInit(): Promise<void> {
    this.decoyHash = await hashPassword('decoy-password-never-matches');
  }

  async register(dto: RegisterDto): Promise<AuthResponseDto> {
    const passwordHash = await hashPassword(dto.password);
    let user: User;
    try {
      user = await this.users.save(
        this.users.create({ email: dto.email, passwordHash, displayName: dto.displayName, role: 'user' }),
      );
    } catch (err) {
      if (isUniqueViolation(err)) throw DomainException.conflict('Email already registered');
      throw err;
    }
    return this.issue(user);
  }

  async login(dto: LoginDto, ip: string): Promise<AuthResponseDto> {
    const emailKey = `login:email:${dto.email}`;
    const ipKey = `login:ip:${ip}`;
    const [byEmail, byIp] = await Promise.all([
      this.limiter.count(emailKey, LOGIN_WINDOW_MS),
      this.limiter.count(ipKey, LOGIN_WINDOW_MS),
    ]);
    if (byEmail >= LOGIN_MAX_FAILURES_PER_EMAIL || byIp >= LOGIN_MAX_FAILURES_PER_IP) {
      throw new DomainException(ErrorCode.RATE_LIMITED, 'Too many failed login attempts; try again later');
    }
    const user = await this.users.findOne({
      where: { email: dto.email },
      select: {
        id: true,
        email: true,
        passwordHash: true,
        displayName: true,
        role: true,
        disabled: true,
        tokenVersion: true,
        createdAt: true,
      },
    });
    const valid = await verifyPassword(user?.passwordHash ?? this.decoyHash, dto.password);
    if (!user || !valid) {
      await Promise.all([this.limiter.record(emailKey, LOGIN_WINDOW_MS), this.limiter.record(ipKey, LOGIN_WINDOW_MS)]);
      throw DomainException.unauthorized('Invalid email or password');
    }
    if (user.disabled) throw DomainException.forbidden('Account disabled');
    return this.issue(user);
  }

  async refresh(actor: Principal): Promise<RefreshResponseDto> {
    const user = await this.requireUser(actor.id);
    const { token } = await this.tokens.sign({ id: user.id, role: user.role, tokenVersion: user.tokenVersion });
    return { accessToken: token };
  }

  async me(actor: Principal): Promise<UserDto> {
    return toUserDto(await this.requireUser(actor.id));
  }

  private async requireUser(id: string): Promise<User> {
    const user = await this.users.findOneBy({ id });
    if (!user) throw DomainException.unauthorized();
    return user;
  }

  private async issue(user: User): Promise<AuthResponseDto> {
    const { token } = await this.tokens.sign({ id: user.id, role: user.role, tokenVersion: user.tokenVersion });
    return { accessToken: token, user: toUserDto(user) };
  }
}
