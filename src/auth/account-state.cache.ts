// The token version, role and disabled flag of accounts, read on every request and socket event.
// Cached per instance; a change is broadcast on the cluster bus so every instance drops its copy at once.
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { ClusterBus } from '../redis/cluster-bus.js';
import { PrincipalRegistry } from './principal.registry.js';
import { type AccountRole, User } from './user.entity.js';

interface AccountState {
  tokenVersion: number;
  role: AccountRole;
  disabled: boolean;
  loadedAt: number;
}

const TOPIC = 'account:changed';
// A safety net only: invalidation is pushed, so entries rarely live this long.
const MAX_AGE_MS = 60_000;
const MAX_ENTRIES = 50_000;

@Injectable()
export class AccountStateCache implements OnModuleInit {
  private readonly entries = new Map<string, AccountState>();
  /** Grows with every invalidation, so that a read in flight across one is not cached. */
  private epoch = 0;

  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly bus: ClusterBus,
    private readonly principals: PrincipalRegistry,
  ) {}

  onModuleInit(): void {
    this.bus.on(TOPIC, (payload) => {
      this.epoch += 1;
      this.entries.delete((payload as { userId: string }).userId);
    });
    this.principals.register(['admin', 'user'], (id, tv, role) => this.isCurrent(id, tv, role));
  }

  async isCurrent(userId: string, tokenVersion: number, role: string): Promise<boolean> {
    let state = this.entries.get(userId);
    // A newer token than the cached state means the cache is behind: reload.
    if (!state || Date.now() - state.loadedAt > MAX_AGE_MS || tokenVersion > state.tokenVersion) {
      state = await this.load(userId);
    }
    return state !== undefined && !state.disabled && state.tokenVersion === tokenVersion && state.role === role;
  }

  /** Drops the cached state of a user on every instance, resolving once they all have (call after the commit). */
  async invalidate(userId: string): Promise<void> {
    await this.bus.publish(TOPIC, { userId });
  }

  private async load(userId: string): Promise<AccountState | undefined> {
    const epoch = this.epoch;
    const user = await this.users.findOne({
      where: { id: userId },
      select: { id: true, tokenVersion: true, role: true, disabled: true },
    });
    if (!user) {
      this.entries.delete(userId);
      return undefined;
    }
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value as string);
    const state = { tokenVersion: user.tokenVersion, role: user.role, disabled: user.disabled, loadedAt: Date.now() };
    if (epoch === this.epoch) this.entries.set(userId, state);
    return state;
  }
}
