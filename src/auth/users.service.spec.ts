import { jest } from '@jest/globals';
import type { DataSource, EntityManager } from 'typeorm';
import { UnitOfWork } from '../database/unit-of-work.js';
import type { AccountSockets } from './account-sockets.port.js';
import type { AccountStateCache } from './account-state.cache.js';
import type { Principal } from './principal.js';
import type { User } from './user.entity.js';
import type { UsersRepository } from './users.repository.js';
import { UsersService } from './users.service.js';

const ADMIN: Principal = { id: '0b7f4c1e-2a3d-4e5f-8a9b-0c1d2e3f4a5b', role: 'admin', tokenVersion: 1, expiresAt: 0 };
const TARGET = '1c8f5d2f-3b4e-4f60-9bac-1d2e3f4a5b6c';

describe(UsersService.name, () => {
  function serviceWith(invalidate: () => Promise<void>, admin: Partial<User> = {}) {
    const manager = {} as EntityManager;
    const stored: User = {
      id: TARGET,
      email: 'target@x.io',
      displayName: 'Target',
      role: 'user',
      disabled: false,
      tokenVersion: 4,
      createdAt: new Date('2024-01-01T00:00:00Z'),
    } as User;
    // The admin's own row, locked beside the target's: still an enabled admin at the token's version.
    const adminRow = { ...stored, id: ADMIN.id, email: 'admin@x.io', role: 'admin', tokenVersion: 1, ...admin } as User;
    const users = {
      lock: jest.fn(async (_manager: EntityManager, id: string) => ({ ...(id === ADMIN.id ? adminRow : stored) })),
      save: jest.fn(async (_manager: EntityManager, user: User) => user),
    };
    const accounts = { invalidate: jest.fn(invalidate) };
    const sockets = { disconnect: jest.fn() };
    // UnitOfWork without its config runs TypeORM's own transaction: here, the work and then its after-commit effects.
    const dataSource = { transaction: (work: (m: EntityManager) => Promise<unknown>) => work(manager) };
    const sut = new UsersService(
      dataSource as unknown as DataSource,
      new UnitOfWork(dataSource as unknown as DataSource),
      users as unknown as UsersRepository,
      accounts as unknown as AccountStateCache,
      sockets as unknown as AccountSockets,
    );
    return { sut, users, accounts, sockets };
  }

  it("should revoke the account's tokens, tell every instance, then close its sockets", async () => {
    const order: string[] = [];
    const { sut, users, accounts, sockets } = serviceWith(async () => void order.push('invalidate'));
    sockets.disconnect.mockImplementation(() => void order.push('disconnect'));
    const answer = await sut.update(ADMIN, TARGET, { disabled: true });
    expect(answer).toMatchObject({ id: TARGET, disabled: true });
    expect(users.save).toHaveBeenCalledWith({}, expect.objectContaining({ disabled: true, tokenVersion: 5 }));
    expect(accounts.invalidate).toHaveBeenCalledWith(TARGET);
    expect(order).toEqual(['invalidate', 'disconnect']);
  });

  // The change has committed: answering 503 would tell the admin it had not, and leave this instance's sockets of a
  // disabled account open. The other instances follow within the account cache's age limit.
  it('should answer the committed change and close the sockets when the other instances cannot be told', async () => {
    const outage = Object.assign(new Error('Reached the max retries'), { name: 'MaxRetriesPerRequestError' });
    const { sut, sockets } = serviceWith(() => Promise.reject(outage));
    const warn = jest.spyOn((sut as unknown as { logger: { warn: () => void } }).logger, 'warn');
    warn.mockImplementation(() => undefined);
    await expect(sut.update(ADMIN, TARGET, { role: 'admin' })).resolves.toMatchObject({ id: TARGET, role: 'admin' });
    expect(sockets.disconnect).toHaveBeenCalledWith(TARGET);
    expect(warn).toHaveBeenCalledWith(expect.objectContaining({ userId: TARGET }), expect.any(String));
  });

  // The guard checked the admin's token as the request arrived; a demotion, a disable or a logout that committed since
  // revoked it, and the change must not land after that.
  it.each([
    ['demoted', { role: 'user' as const, tokenVersion: 2 }],
    ['disabled', { disabled: true, tokenVersion: 2 }],
    ['signed out', { tokenVersion: 2 }],
  ])('should refuse the change when the admin was %s since the token was checked', async (_what, admin) => {
    const { sut, users, accounts } = serviceWith(async () => undefined, admin);
    await expect(sut.update(ADMIN, TARGET, { disabled: true })).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    expect(users.save).not.toHaveBeenCalled();
    expect(accounts.invalidate).not.toHaveBeenCalled();
  });

  it('should lock both accounts in id order, so two admins changing each other at once cannot deadlock', async () => {
    const { sut, users } = serviceWith(async () => undefined);
    await sut.update(ADMIN, TARGET, { disabled: true });
    expect(users.lock.mock.calls.map(([, id]) => id)).toEqual([ADMIN.id, TARGET].sort());
  });

  // CONTRACT: every older token stops working on a PATCH, whatever it changes; sending the account as it is signs it
  // out everywhere.
  it('should revoke and announce when nothing changed too', async () => {
    const { sut, users, accounts, sockets } = serviceWith(async () => undefined);
    await sut.update(ADMIN, TARGET, { role: 'user', disabled: false });
    expect(users.save).toHaveBeenCalledWith(
      {},
      expect.objectContaining({ role: 'user', disabled: false, tokenVersion: 5 }),
    );
    expect(accounts.invalidate).toHaveBeenCalledWith(TARGET);
    expect(sockets.disconnect).toHaveBeenCalledWith(TARGET);
  });
});
