// Accounts and tokens for specs. `registerUser` goes through the API; `createUsers` inserts rows directly and
// mints tokens with the app's own TokenService, for specs that need many users quickly.
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { hashPassword } from '../../src/auth/passwords.js';
import { TokenService } from '../../src/auth/token.service.js';
import type { TestApp } from './app.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD } from './app.js';
import { http } from './http.js';

export interface TestUser {
  id: string;
  email: string;
  displayName: string;
  role: 'admin' | 'user';
  token: string;
  password: string;
}

export function uniqueEmail(tag = 'user'): string {
  return `${tag}-${randomBytes(5).toString('hex')}@test.local`;
}

export async function registerUser(
  app: TestApp,
  displayName = 'Test User',
  password = 'password-123',
): Promise<TestUser> {
  const email = uniqueEmail();
  const res = await http(app.url, 'POST', '/api/v1/auth/register', { body: { email, password, displayName } });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { ...res.body.user, token: res.body.accessToken, password };
}

export async function loginAdmin(app: TestApp): Promise<TestUser> {
  const res = await http(app.url, 'POST', '/api/v1/auth/login', {
    body: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD },
  });
  if (res.status !== 200) throw new Error(`admin login failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { ...res.body.user, token: res.body.accessToken, password: ADMIN_PASSWORD };
}

let sharedHash: Promise<string> | undefined;

/** Inserts `count` users in one statement and signs a token for each. */
export async function createUsers(app: TestApp, count: number, prefix = 'Bulk'): Promise<TestUser[]> {
  sharedHash ??= hashPassword('password-123');
  const hash = await sharedHash;
  const dataSource = app.app.get(DataSource);
  const tokens = app.app.get(TokenService);
  const tag = randomBytes(4).toString('hex');
  const rows: { id: string; email: string; display_name: string }[] = await dataSource.query(
    `INSERT INTO users (email, password_hash, display_name, role)
     SELECT 'bulk-' || $1 || '-' || i || '@test.local', $2, $3 || ' ' || i, 'user' FROM generate_series(1, $4::int) AS i
     RETURNING id, email, display_name`,
    [tag, hash, prefix, count],
  );
  return Promise.all(
    rows.map(async (row) => {
      const { token } = await tokens.sign({ id: row.id, role: 'user', tokenVersion: 0 });
      return {
        id: row.id,
        email: row.email,
        displayName: row.display_name,
        role: 'user' as const,
        token,
        password: 'password-123',
      };
    }),
  );
}
