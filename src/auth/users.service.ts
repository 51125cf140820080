// Finding users, and the admin's changes to an account (which revoke its tokens on every instance).
import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { DomainException } from '../common/domain.exception.js';
import { cursorField, decodeCursor, type Page, type PageQueryDto, pageLimit, toPage } from '../common/pagination.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { AccountSockets } from './account-sockets.port.js';
import { AccountStateCache } from './account-state.cache.js';
import { announceRevocation } from './revocation.js';
import type { AdminUserDto, PublicUserDto, UpdateUserDto, UserSearchQueryDto } from './dto/auth.dto.js';
import type { Principal } from './principal.js';
import type { User } from './user.entity.js';
import { toAdminUserDto, toPublicUserDto } from './user.mapper.js';
import { UsersRepository } from './users.repository.js';

@Injectable()
export class UsersService {
  private readonly logger = new Logger('UsersService');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly uow: UnitOfWork,
    private readonly users: UsersRepository,
    private readonly accounts: AccountStateCache,
    private readonly sockets: AccountSockets,
  ) {}

  /** Users see `{id, displayName}` of enabled accounts, found by name; admins see every account whole, by name or email. */
  async search(
    actor: Principal,
    query: UserSearchQueryDto & PageQueryDto,
  ): Promise<Page<PublicUserDto | AdminUserDto>> {
    const limit = pageLimit(query);
    const cursor = decodeCursor(query.cursor, [cursorField.text, cursorField.uuid]);
    const isAdmin = actor.role === 'admin';
    const rows = await this.users.search(this.dataSource.manager, {
      prefix: query.query,
      // Emails match for admins only: an email prefix that matches would let anyone rebuild an address letter by letter.
      matchEmail: isAdmin,
      enabledOnly: !isAdmin,
      after: cursor,
      take: limit + 1,
    });
    return toPage(
      rows,
      limit,
      (u) => [u.displayName, u.id],
      (u) => (isAdmin ? toAdminUserDto(u) : toPublicUserDto(u)),
    );
  }

  async update(actor: Principal, id: string, dto: UpdateUserDto): Promise<AdminUserDto> {
    if (actor.id === id && ((dto.role !== undefined && dto.role !== 'admin') || dto.disabled === true)) {
      throw DomainException.forbidden('Admins cannot demote or disable themselves');
    }
    const user = await this.uow.run(async ({ manager, afterCommit }) => {
      const current = await this.lockWithActor(manager, actor, id);
      if (!current) throw DomainException.notFound('User');
      // Every PATCH revokes, whether or not it changes a field (CONTRACT: "every older token of that user stops
      // working"): an admin signs an account out everywhere by sending it unchanged.
      current.role = dto.role ?? current.role;
      current.disabled = dto.disabled ?? current.disabled;
      current.tokenVersion += 1;
      await this.users.save(manager, current);
      // The answer waits until every instance has dropped the account's cached state; committed, the change stands
      // (and is answered) even when they cannot be told at once (announceRevocation).
      afterCommit(() => announceRevocation(this.accounts, this.sockets, id, this.logger));
      return current;
    });
    return toAdminUserDto(user);
  }

  /**
   * Locks the account to change, and the admin changing it, in id order (two admins changing each other at once
   * cannot deadlock), and checks under that lock that the admin's token is still current: the guard checked it as the
   * request arrived, and a change committed since (another admin demoting or disabling this one, a logout) must not
   * let a change this admin may no longer make land after it. Answers the locked account, null when it does not exist.
   */
  private async lockWithActor(manager: EntityManager, actor: Principal, id: string): Promise<User | null> {
    const locked = new Map<string, User | null>();
    for (const one of [...new Set([actor.id, id])].sort()) locked.set(one, await this.users.lock(manager, one));
    this.assertStillAdmin(actor, locked.get(actor.id) ?? null);
    return locked.get(id) ?? null;
  }

  private assertStillAdmin(actor: Principal, row: User | null): void {
    if (!row || row.disabled || row.role !== 'admin' || row.tokenVersion !== actor.tokenVersion) {
      throw DomainException.unauthorized();
    }
  }
}
