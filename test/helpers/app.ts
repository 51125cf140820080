// Starts the real application on a random port: embedded (a fresh PGlite data directory) or on the test
// Postgres (a fresh database per app group) and Redis (a fresh key prefix per app group).
import type { INestApplication } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { createApp } from '../../src/bootstrap.js';
import { AppConfig } from '../../src/config/app-config.js';
import { dataSourceOptions } from '../../src/database/data-source-options.js';
import { EmbeddedPostgres } from '../../src/database/embedded-postgres.js';
import { MIGRATIONS } from '../../src/database/entities.js';
import { runMigrationsLocked } from '../../src/database/migrate.js';
import { mode, services } from './mode.js';

const execFileAsync = promisify(execFile);

export const ADMIN_EMAIL = 'admin@test.local';
export const ADMIN_PASSWORD = 'admin-password-for-tests';

export interface TestApp {
  app: INestApplication;
  config: AppConfig;
  url: string;
  close(): Promise<void>;
}

/** Resources shared by the instances of one group (one database, one Redis prefix). */
export interface Backend {
  env: Record<string, string>;
  dispose(): Promise<void>;
}

async function createDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `rthub_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: services.databaseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(services.databaseUrl!);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: services.databaseUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

async function deleteRedisKeys(prefix: string): Promise<void> {
  const redis = new Redis(services.redisUrl!);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** A template lock older than this was left by a process that died while building: it is taken over. */
const STALE_TEMPLATE_LOCK_MS = 120_000;

/**
 * A PGlite data directory with every migration applied and nothing else, made once per machine for this set of
 * migrations and this PGlite version (the key is a hash of both); each embedded app starts from a copy of it. A
 * fresh PGlite directory takes about 2.6 s to create and the migrations about 2 s more, per app, in every spec.
 * One process builds it (about 8 s alone) while the other workers wait for it: several builds at once would slow
 * every worker. `test/setup/embedded-template.ts` has it built before a spec's own hooks start their clocks.
 */
export async function embeddedTemplate(): Promise<string> {
  // Its package.json is not exported, so it is read from the file.
  const manifest = new URL('../../node_modules/@electric-sql/pglite/package.json', import.meta.url);
  const pgliteVersion = (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
  const key = createHash('sha256')
    .update(pgliteVersion)
    .update(MIGRATIONS.map((migration) => migration.toString()).join('\n'))
    .digest('hex')
    .slice(0, 16);
  const template = join(tmpdir(), `rthub-e2e-template-${key}`);
  const ready = (): boolean => existsSync(join(template, 'ready'));
  if (ready()) return template;
  const lock = `${template}.lock`;
  while (!(await tryLock(lock))) {
    if (ready()) return template;
    const heldSince = (await stat(lock).catch(() => undefined))?.mtimeMs ?? Date.now();
    if (Date.now() - heldSince > STALE_TEMPLATE_LOCK_MS) await rm(lock, { recursive: true, force: true });
    else await new Promise((resolve) => setTimeout(resolve, 250));
  }
  try {
    if (ready()) return template;
    const building = await mkdtemp(join(tmpdir(), 'rthub-e2e-template-building-'));
    try {
      const embedded = await EmbeddedPostgres.start(building, 2);
      const dataSource = await new DataSource(dataSourceOptions(embedded.endpoint, 2)).initialize();
      await runMigrationsLocked(dataSource);
      await dataSource.destroy();
      await embedded.stop();
      await writeFile(join(building, 'ready'), '');
      await rename(building, template);
    } catch (err) {
      await rm(building, { recursive: true, force: true });
      // A process that took over a lock it wrongly thought abandoned may have finished first: its template is as good.
      if (!ready()) throw err;
    }
    return template;
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

/** Takes a lock (a directory: making one is atomic); false while another process holds it. */
async function tryLock(path: string): Promise<boolean> {
  try {
    await mkdir(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/** A backend for one app (embedded) or one group of apps (services mode). */
export async function createBackend(): Promise<Backend> {
  const base = {
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    NODE_ENV: 'test',
    // Every spec registers its users from one address; the security specs lower it to test the limit itself.
    REGISTER_RATE_LIMIT: '1000000',
    // A hash at OWASP's baseline takes about 60 ms of a core; specs register and sign in hundreds of accounts.
    // src/auth/passwords.spec.ts checks the default cost.
    PASSWORD_HASH_MEMORY_KIB: '1024',
    PASSWORD_HASH_PASSES: '1',
  };
  if (mode === 'embedded') {
    const dataDir = await mkdtemp(join(tmpdir(), 'rthub-e2e-'));
    // cp(1): 0.33 s for the template's 40 MB and 1,068 files, against 0.8 s for Node's fs.cp (on every app start).
    await execFileAsync('cp', ['-R', join(await embeddedTemplate(), 'pg'), join(dataDir, 'pg')]);
    return { env: { ...base, DATA_DIR: dataDir }, dispose: () => rm(dataDir, { recursive: true, force: true }) };
  }
  const database = await createDatabase();
  const prefix = `rthub-test-${randomBytes(4).toString('hex')}`;
  const dataDir = await mkdtemp(join(tmpdir(), 'rthub-e2e-'));
  return {
    env: {
      ...base,
      DATA_DIR: dataDir,
      DATABASE_URL: database.url,
      REDIS_URL: services.redisUrl!,
      REDIS_PREFIX: prefix,
      // The whole services-mode suite on the sharded adapter: TEST_REDIS_ADAPTER=sharded.
      ...(process.env.TEST_REDIS_ADAPTER ? { REDIS_ADAPTER: process.env.TEST_REDIS_ADAPTER } : {}),
    },
    dispose: async () => {
      await database.drop();
      await deleteRedisKeys(prefix);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Starts one instance on a backend, listening on a random loopback port. */
export async function startInstance(backend: Backend, overrides: Record<string, string> = {}): Promise<TestApp> {
  const config = new AppConfig({ ...backend.env, ...overrides, PORT: '0', HOST: '127.0.0.1' });
  const app = await createApp(config);
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  let closed = false;
  return {
    app,
    config,
    url: `http://127.0.0.1:${address.port}`,
    close: async () => {
      if (closed) return;
      closed = true;
      await app.close();
    },
  };
}

/** One app on a backend of its own; `close()` also disposes the backend. */
export async function startApp(overrides: Record<string, string> = {}): Promise<TestApp> {
  const backend = await createBackend();
  const instance = await startInstance(backend, overrides);
  return {
    ...instance,
    close: async () => {
      await instance.close();
      await backend.dispose();
    },
  };
}

/** Several instances sharing one database and one Redis (services mode only). */
export async function startCluster(
  count: number,
  overrides: Record<string, string> = {},
): Promise<{ instances: TestApp[]; close(): Promise<void> }> {
  if (mode !== 'services') throw new Error('A cluster needs services mode (TEST_DATABASE_URL and TEST_REDIS_URL)');
  const backend = await createBackend();
  const instances: TestApp[] = [];
  for (let i = 0; i < count; i += 1) instances.push(await startInstance(backend, overrides));
  return {
    instances,
    close: async () => {
      for (const instance of instances) await instance.close();
      await backend.dispose();
    },
  };
}
