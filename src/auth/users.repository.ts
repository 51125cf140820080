// The SQL of accounts (the `users` table), but for `last_seen_at` (last-seen.repository.ts). Every method takes the
// EntityManager to run on: inside a transaction, that transaction's manager (embedded PGlite has one backend; any
// other connection would wait forever).
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { normalEmail } from './account-text.js';
import { type AccountRole, User } from './user.entity.js';

export interface UserSearchSpec {
  /**
   * Prefix of the display name, in any case (and, with `matchEmail`, of the email). The database lower-cases it, as it
   * does the names it is matched against and ordered by: JavaScript folds some letters otherwise ("İ" to "i" + U+0307,
   * a final "Σ" to "ς", where Postgres gives "i" and "σ"), and a prefix folded by one never matched a name folded by the
   * other. Emails are stored lower-cased by JavaScript (normalEmail), so the prefix is matched against them so folded.
   */
  prefix?: string;
  /** Match the prefix against emails too (admins only: an email prefix that matches would leak the address). */
  matchEmail: boolean;
  /** Leave disabled accounts out. */
  enabledOnly: boolean;
  /** The last row of the previous page: its display name (as stored; the database folds it) and id. */
  after?: readonly [name: string, id: string];
  /** Rows to fetch (the page size plus one, to learn whether there is more). */
  take: number;
}

/** What decides whether an account's tokens are still good. */
export type AccountState = Pick<User, 'id' | 'tokenVersion' | 'role' | 'disabled'>;

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

@Injectable()
export class UsersRepository {
  /**
   * Inserts a user account through TypeORM, so that entity subscribers hear of it (the dashboard counts
   * registrations); a taken email fails as a unique violation (`isUniqueViolation`).
   */
  async insert(
    manager: EntityManager,
    fields: { email: string; passwordHash: string; displayName: string; role: AccountRole },
  ): Promise<User> {
    const users = manager.getRepository(User);
    return users.save(users.create(fields));
  }

  /**
   * Inserts the admin account unless the email is taken (no entity event: this runs at start, before anyone counts);
   * answers the new id, or undefined when the email was taken.
   */
  async insertAdminIfAbsent(manager: EntityManager, email: string, passwordHash: string): Promise<string | undefined> {
    const inserted: { id: string }[] = await manager.query(
      `INSERT INTO users (email, password_hash, display_name, role) VALUES ($1, $2, 'Administrator', 'admin')
       ON CONFLICT (email) DO NOTHING RETURNING id`,
      [email, passwordHash],
    );
    return inserted[0]?.id;
  }

  async find(manager: EntityManager, id: string): Promise<User | null> {
    return manager.findOneBy(User, { id });
  }

  /** The account with its password hash (which other reads leave out), for a login. */
  async findWithPassword(manager: EntityManager, email: string): Promise<User | null> {
    return manager.findOne(User, {
      where: { email },
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
  }

  /** What the admin bootstrap checks of an existing account: its id, password hash, role and disabled flag. */
  async findAdminCandidate(
    manager: EntityManager,
    email: string,
  ): Promise<Pick<User, 'id' | 'passwordHash' | 'role' | 'disabled'> | null> {
    return manager.findOne(User, {
      where: { email },
      select: { id: true, passwordHash: true, role: true, disabled: true },
    });
  }

  async accountState(manager: EntityManager, id: string): Promise<AccountState | null> {
    return manager.findOne(User, {
      where: { id },
      select: { id: true, tokenVersion: true, role: true, disabled: true },
    });
  }

  /** Ordered by the database's lower-cased display name, then id. */
  async search(manager: EntityManager, spec: UserSearchSpec): Promise<User[]> {
    const qb = manager
      .createQueryBuilder(User, 'u')
      .orderBy('lower(u.display_name)', 'ASC')
      .addOrderBy('u.id', 'ASC')
      .limit(spec.take);
    if (spec.enabledOnly) qb.andWhere('u.disabled = false');
    if (spec.prefix) {
      // lower() leaves the LIKE escapes as they are; of an immutable function of a bound value, the planner makes a
      // constant, so the pattern still uses the prefix index.
      const prefix = `${escapeLike(spec.prefix)}%`;
      if (spec.matchEmail) {
        const emailPrefix = `${escapeLike(normalEmail(spec.prefix))}%`;
        qb.andWhere(`(lower(u.display_name) LIKE lower(:prefix) OR u.email LIKE :emailPrefix)`, {
          prefix,
          emailPrefix,
        });
      } else qb.andWhere(`lower(u.display_name) LIKE lower(:prefix)`, { prefix });
    }
    if (spec.after) {
      const [name, id] = spec.after;
      qb.andWhere('(lower(u.display_name), u.id) > (lower(:name), :id::uuid)', { name, id });
    }
    return qb.getMany();
  }

  /** The account under its row lock, for the rest of the transaction. */
  async lock(manager: EntityManager, id: string): Promise<User | null> {
    return manager.findOne(User, { where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  /** Writes a locked account's changed columns back. */
  async save(manager: EntityManager, user: User): Promise<User> {
    return manager.save(user);
  }

  /** Replaces the account's password hash by one of the same password, unless it changed since `stale` was read. */
  async replacePasswordHash(manager: EntityManager, id: string, stale: string, fresh: string): Promise<void> {
    await manager
      .createQueryBuilder()
      .update(User)
      .set({ passwordHash: fresh })
      .where('id = :id AND password_hash = :stale', { id, stale })
      .execute();
  }

  /**
   * Makes the account an enabled admin (with a new password hash when given) and revokes its tokens; with
   * `onlyIfDemoted`, only when it is not an enabled admin already (another instance starting at the same time restored
   * it first). Answers whether it changed the account.
   */
  async restoreAdmin(
    manager: EntityManager,
    id: string,
    passwordHash?: string,
    onlyIfDemoted = false,
  ): Promise<boolean> {
    const update = manager
      .createQueryBuilder()
      .update(User)
      .set({
        role: 'admin',
        disabled: false,
        ...(passwordHash !== undefined ? { passwordHash } : {}),
        tokenVersion: () => 'token_version + 1',
      })
      .where('id = :id', { id });
    if (onlyIfDemoted) update.andWhere(`(role <> 'admin' OR disabled)`);
    return ((await update.execute()).affected ?? 0) > 0;
  }

  /** Revokes every token of the account (bumps its token version). */
  async revokeTokens(manager: EntityManager, id: string): Promise<void> {
    await manager.increment(User, { id }, 'tokenVersion', 1);
  }
}
