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

  describe('logout', () => {
    function logoutWith(invalidate: () => Promise<void>) {
      const users = { revokeTokens: jest.fn(async () => undefined) };
      const accounts = { invalidate: jest.fn(invalidate) };
      const sockets = { disconnect: jest.fn() };
      const sut = new AuthService(
        { manager: {} } as unknown as DataSource,
        users as unknown as UsersRepository,
        {} as TokenService,
        {} as AttemptLimiter,
        accounts as unknown as AccountStateCache,
        sockets as unknown as AccountSockets,
        new AppConfig({}),
      );
      return { sut, users, accounts, sockets };
    }
    const actor = { id: '0b7f4c1e-2a3d-4e5f-8a9b-0c1d2e3f4a5b', role: 'user' as const, tokenVersion: 1, expiresAt: 0 };

    it('should revoke, tell every instance, then close the sockets', async () => {
      const order: string[] = [];
      const { sut, users, accounts, sockets } = logoutWith(async () => void order.push('invalidate'));
      sockets.disconnect.mockImplementation(() => void order.push('disconnect'));
      await sut.logout(actor);
      expect(users.revokeTokens).toHaveBeenCalledWith({}, actor.id);
      expect(accounts.invalidate).toHaveBeenCalledWith(actor.id);
      expect(order).toEqual(['invalidate', 'disconnect']);
    });

    // The revocation has committed: the logout has happened. Answering 503 would tell the client it had not (and
    // leave this instance's sockets open); the other instances follow within the account cache's age limit.
    it('should succeed and close the sockets when the other instances cannot be told (Redis unreachable)', async () => {
      const outage = Object.assign(new Error('Reached the max retries'), { name: 'MaxRetriesPerRequestError' });
      const { sut, users, sockets } = logoutWith(() => Promise.reject(outage));
      const warn = jest.spyOn((sut as unknown as { logger: { warn: () => void } }).logger, 'warn');
      warn.mockImplementation(() => undefined);
      await expect(sut.logout(actor)).resolves.toBeUndefined();
      expect(users.revokeTokens).toHaveBeenCalledTimes(1);
      expect(sockets.disconnect).toHaveBeenCalledWith(actor.id);
      expect(warn).toHaveBeenCalledWith(
        expect.objectContaining({ userId: actor.id, err: 'Reached the max retries' }),
        expect.any(String),
      );
    });

    it('should fail, telling nobody, when the revocation itself fails', async () => {
      const { sut, users, accounts, sockets } = logoutWith(async () => undefined);
      const outage = new Error('Connection terminated unexpectedly');
      users.revokeTokens.mockRejectedValue(outage);
      await expect(sut.logout(actor)).rejects.toBe(outage);
      expect(accounts.invalidate).not.toHaveBeenCalled();
      expect(sockets.disconnect).not.toHaveBeenCalled();
    });
  });
});
