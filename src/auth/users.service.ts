// Finding users, and the admin's changes to an account (which revoke its tokens on every instance).
import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, type Repository } from 'typeorm';
import { DomainException } from '../common/domain.exception.js';
import { cursorField, decodeCursor, type Page, type PageQueryDto, pageLimit, toPage } from '../common/pagination.js';
import { AccountSockets } from './account-sockets.port.js';
import { AccountStateCache } from './account-state.cache.js';
import type { AdminUserDto, PublicUserDto, UpdateUserDto, UserSearchQueryDto } from './dto/auth.dto.js';
import type { Principal } from './principal.js';
import { toAdminUserDto, toPublicUserDto } from './user.mapper.js';
import { User } from './user.entity.js';

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

@Injectable()
export class UsersService {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    @InjectDataSource() private readonly dataSource: DataSource,
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
    const qb = this.users
      .createQueryBuilder('u')
      .orderBy('lower(u.display_name)', 'ASC')
      .addOrderBy('u.id', 'ASC')
      .limit(limit + 1);
    if (!isAdmin) qb.andWhere('u.disabled = false');
    if (query.query) {
      const prefix = `${escapeLike(query.query.toLowerCase())}%`;
      // Emails match for admins only: an email prefix that matches would let anyone rebuild an address letter by letter.
      if (isAdmin) qb.andWhere(`(lower(u.display_name) LIKE :prefix OR u.email LIKE :prefix)`, { prefix });
      else qb.andWhere(`lower(u.display_name) LIKE :prefix`, { prefix });
    }
    if (cursor) {
      const [name, id] = cursor;
      qb.andWhere('(lower(u.display_name), u.id) > (:name, :id::uuid)', { name, id });
    }
    const rows = await qb.getMany();
    return toPage(
      rows,
      limit,
      (u) => [u.displayName.toLowerCase(), u.id],
      (u) => (isAdmin ? toAdminUserDto(u) : toPublicUserDto(u)),
    );
  }

  async update(actor: Principal, id: string, dto: UpdateUserDto): Promise<AdminUserDto> {
    if (actor.id === id && ((dto.role !== undefined && dto.role !== 'admin') || dto.disabled === true)) {
      throw DomainException.forbidden('Admins cannot demote or disable themselves');
    }
    const user = await this.dataSource.transaction(async (manager) => {
      const current = await manager.findOne(User, { where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!current) throw DomainException.notFound('User');
      const changed =
        (dto.role !== undefined && dto.role !== current.role) ||
        (dto.disabled !== undefined && dto.disabled !== current.disabled);
      if (!changed) return { user: current, changed };
      current.role = dto.role ?? current.role;
      current.disabled = dto.disabled ?? current.disabled;
      current.tokenVersion += 1;
      await manager.save(current);
      return { user: current, changed };
    });
    if (user.changed) {
      await this.accounts.invalidate(id);
      this.sockets.disconnect(id);
    }
    return toAdminUserDto(user.user);
  }
}
