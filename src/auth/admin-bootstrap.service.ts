// Ensures an admin account at start: from ADMIN_EMAIL / ADMIN_PASSWORD, or admin@localhost with a random
// password written to DATA_DIR/admin-password.txt (mode 0600); only that file's path is logged.
import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { AccountSockets } from './account-sockets.port.js';
import { AccountStateCache } from './account-state.cache.js';
import { normalEmail } from './account-text.js';
import { hashPassword, verifyPassword } from './passwords.js';
import { announceRevocation } from './revocation.js';
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
    private readonly sockets: AccountSockets,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const email = normalEmail(this.config.admin.email ?? DEFAULT_ADMIN_EMAIL);
    const configured = this.config.admin.password;
    const password = configured ?? randomBytes(18).toString('base64url');
    const m = this.dataSource.manager;
    const inserted = await this.users.insertAdminIfAbsent(
      m,
      email,
      await hashPassword(password, this.config.passwordHash),
    );
    if (inserted !== undefined) {
      if (configured === undefined) await this.writePasswordFile(email, password, 'Created the admin account');
      else this.logger.log({ email }, 'Created the admin account');
      return;
    }
    // The account exists: keep it an enabled admin, and make a configured password the current one.
    const existing = await this.users.findAdminCandidate(m, email);
    if (!existing) return;
    const demoted = existing.role !== 'admin' || existing.disabled;
    if (configured === undefined) {
      if (!demoted) return;
      // Without ADMIN_PASSWORD, an account the server makes admin gets the generated password, never the one it had:
      // registration proves no ownership of the address, so an ordinary account at ADMIN_EMAIL may be anyone's, and a
      // disabled admin's password may be why it was disabled.
      const restored = await this.users.restoreAdmin(
        m,
        existing.id,
        await hashPassword(password, this.config.passwordHash),
        true,
      );
      if (!restored) return;
      // Its tokens are revoked: the sockets other instances hold with them close too.
      await announceRevocation(this.accounts, this.sockets, existing.id, this.logger);
      await this.writePasswordFile(email, password, 'Restored the admin account with a new password');
      return;
    }
    const passwordStale = !(await verifyPassword(existing.passwordHash, configured));
    if (demoted || passwordStale) {
      await this.users.restoreAdmin(
        m,
        existing.id,
        passwordStale ? await hashPassword(configured, this.config.passwordHash) : undefined,
      );
      await announceRevocation(this.accounts, this.sockets, existing.id, this.logger);
      this.logger.log({ email }, 'Restored the configured admin account');
    }
  }

  /** The generated password, in DATA_DIR/admin-password.txt (0600); only the file's path is logged. */
  private async writePasswordFile(email: string, password: string, what: string): Promise<void> {
    await mkdir(this.config.dataDir, { recursive: true, mode: 0o700 });
    const file = join(this.config.dataDir, ADMIN_PASSWORD_FILE);
    // Written to a new file, then renamed over the old one: writeFile's mode applies only to a file it creates, and
    // a file left in DATA_DIR (by an earlier database, a backup, a person) keeps its own, perhaps readable by all.
    const fresh = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(fresh, `${email}\n${password}\n`, { mode: 0o600, flag: 'wx' });
    await rename(fresh, file);
    this.logger.log({ email, passwordFile: file }, `${what}; its password is in the file`);
  }
}
