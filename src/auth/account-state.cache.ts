// The token version, role and disabled flag of accounts, read on every request and socket event.
// Cached per instance; a change is broadcast on the cluster bus so every instance drops its copy at once.
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ClusterBus } from '../redis/cluster-bus.js';
import { PrincipalRegistry } from './principal.registry.js';
import { SubjectStateCache } from './subject-state.cache.js';
import type { AccountRole } from './user.entity.js';
import { UsersRepository } from './users.repository.js';

interface AccountState {
  tokenVersion: number;
  role: AccountRole;
  disabled: boolean;
}

// A safety net only: invalidation is pushed, so entries rarely live this long.
const MAX_AGE_MS = 60_000;

@Injectable()
export class AccountStateCache implements OnModuleInit {
  private readonly cache: SubjectStateCache<AccountState>;

  constructor(
    @InjectDataSource() dataSource: DataSource,
    users: UsersRepository,
    bus: ClusterBus,
    private readonly principals: PrincipalRegistry,
  ) {
    this.cache = new SubjectStateCache(bus, {
      topic: 'account:changed',
      idField: 'userId',
      maxEntries: 50_000,
      maxAgeMs: () => MAX_AGE_MS,
      load: async (id) => {
        const user = await users.accountState(dataSource.manager, id);
        return user ? { tokenVersion: user.tokenVersion, role: user.role, disabled: user.disabled } : undefined;
      },
    });
  }

  onModuleInit(): void {
    this.cache.listen();
    this.principals.register(['admin', 'user'], (id, tv, role) => this.isCurrent(id, tv, role));
  }

  async isCurrent(userId: string, tokenVersion: number, role: string): Promise<boolean> {
    const state = await this.cache.get(userId, tokenVersion);
    return state !== undefined && !state.disabled && state.tokenVersion === tokenVersion && state.role === role;
  }

  /** Drops the cached state of a user on every instance, resolving once they all have (call after the commit). */
  async invalidate(userId: string): Promise<void> {
    await this.cache.announce(userId);
  }
}
