import { jest } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import type { AttemptLimiter } from '../redis/attempt-limiter.js';
import type { AccountStateCache } from './account-state.cache.js';
import type { AccountSockets } from './account-sockets.port.js';
import { AuthService, LOGIN_FAILURES_PER_EMAIL } from './auth.service.js';
import type { TokenService } from './token.service.js';
import type { UsersRepository } from './users.repository.js';

describe(AuthService.name, () => {
  it('should give a login attempt back when the account cannot be read (an outage is not a wrong password)', async () => {
    const refund = jest.fn(async () => undefined);
    const limiter = { reserve: jest.fn(async () => ({ refund })) };
    const outage = new Error('Connection terminated unexpectedly');
    const users = { findWithPassword: jest.fn(async () => Promise.reject(outage)) };
    const sut = new AuthService(
      { manager: {} } as unknown as DataSource,
      users as unknown as UsersRepository,
      {} as TokenService,
      limiter as unknown as AttemptLimiter,
      {} as AccountStateCache,
      {} as AccountSockets,
      new AppConfig({}),
    );
    await expect(sut.login({ email: 'a@x.io', password: 'password-123' }, '10.0.0.1')).rejects.toBe(outage);
    expect(limiter.reserve).toHaveBeenCalledWith(
      expect.any(String),
      [LOGIN_FAILURES_PER_EMAIL, 'a@x.io'],
      expect.anything(),
    );
    expect(refund).toHaveBeenCalledTimes(1);
  });
});
