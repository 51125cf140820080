// Ensures an admin account at start: from ADMIN_EMAIL / ADMIN_PASSWORD, or admin@localhost with a random
// password written to DATA_DIR/admin-password.txt (mode 0600); only that file's path is logged.
import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { AccountStateCache } from './account-state.cache.js';
import { hashPassword, verifyPassword } from './passwords.js';
import { UsersRepository } from './users.repository.js';

export const DEFAULT_ADMIN_EMAIL = 'admin@localhost';
export const ADMIN_PASSWORD_FILE = 'admin-password.txt';

@Injectable()
export class AdminBootstrapService implements OnApplicationBootstrap {
  private readonly logger = new Logger('AdminBootstrap');

  constructor(
    private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersRepository,
    private readonly accounts: AccountStateCache,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const email = (this.config.admin.email ?? DEFAULT_ADMIN_EMAIL).toLowerCase();
    const configured = this.config.admin.password;
    const password = configured ?? randomBytes(18).toString('base64url');
    const m = this.dataSource.manager;
    const inserted = await this.users.insertAdminIfAbsent(
      m,
      email,
      await hashPassword(password, this.config.passwordHash),
    );
    if (inserted !== undefined) {
      if (!configured) {
        await mkdir(this.config.dataDir, { recursive: true, mode: 0o700 });
        const file = join(this.config.dataDir, ADMIN_PASSWORD_FILE);
        // Written to a new file, then renamed over the old one: writeFile's mode applies only to a file it creates, and
        // a file left in DATA_DIR (by an earlier database, a backup, a person) keeps its own, perhaps readable by all.
        const fresh = `${file}.${randomBytes(6).toString('hex')}.tmp`;
        await writeFile(fresh, `${email}\n${password}\n`, { mode: 0o600, flag: 'wx' });
        await rename(fresh, file);
        this.logger.log({ email, passwordFile: file }, 'Created the admin account; its password is in the file');
      } else {
        this.logger.log({ email }, 'Created the admin account');
      }
      return;
    }
    // The account exists: keep it an enabled admin, and make a configured password the current one.
    const existing = await this.users.findAdminCandidate(m, email);
    if (!existing) return;
    const passwordStale = configured !== undefined && !(await verifyPassword(existing.passwordHash, configured));
    if (existing.role !== 'admin' || existing.disabled || passwordStale) {
      await this.users.restoreAdmin(
        m,
        existing.id,
        passwordStale ? await hashPassword(configured, this.config.passwordHash) : undefined,
      );
      await this.accounts.invalidate(existing.id);
      this.logger.log({ email }, 'Restored the configured admin account');
    }
  }
}
