// The token version, role and disabled flag of accounts, read on every request and socket event.
// Cached per instance; a change is broadcast on the cluster bus so every instance drops its copy at once.
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ClusterBus } from '../redis/cluster-bus.js';
import { PrincipalRegistry } from './principal.registry.js';
import { TokenSubjectCache } from './subject-state.cache.js';
import type { AccountRole, Role } from './user.entity.js';
import { UsersRepository } from './users.repository.js';

interface AccountState {
  tokenVersion: number;
  role: AccountRole;
  disabled: boolean;
}

// A safety net only: invalidation is pushed, so entries rarely live this long.
const MAX_AGE_MS = 60_000;

@Injectable()
export class AccountStateCache extends TokenSubjectCache<AccountState> {
  constructor(
    @InjectDataSource() dataSource: DataSource,
    users: UsersRepository,
    bus: ClusterBus,
    principals: PrincipalRegistry,
  ) {
    super(bus, principals, ['admin', 'user'], {
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

  /** An enabled account, with the role the token was issued for. */
  protected override accepts(state: AccountState, role: Role): boolean {
    return !state.disabled && state.role === role;
  }
}
