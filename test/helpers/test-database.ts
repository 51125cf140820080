// A real database for repository specs, without the app: a fresh database with every migration on the test
// Postgres when TEST_DATABASE_URL is set (real concurrency: sessions wait on each other's row locks), else a copy
// of the embedded PGlite template the e2e suite starts from (one backend; transactions take turns).
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../src/config/app-config.js';
import { dataSourceOptions } from '../../src/database/data-source-options.js';
import { EmbeddedPostgres } from '../../src/database/embedded-postgres.js';
import { runMigrationsLocked } from '../../src/database/migrate.js';
import { SqlRunner } from '../../src/database/sql-runner.js';
import { UnitOfWork } from '../../src/database/unit-of-work.js';
import { createBackend } from './app.js';
import { services } from './mode.js';

/** Which database openTestDatabase() opens: name it in the describe, so a report says which one ran. */
export const testDatabaseKind: 'postgres' | 'embedded' = services.databaseUrl ? 'postgres' : 'embedded';

export interface TestDatabase {
  /** 'postgres' on TEST_DATABASE_URL, 'embedded' on PGlite. */
  kind: 'postgres' | 'embedded';
  dataSource: DataSource;
  config: AppConfig;
  sql: SqlRunner;
  uow: UnitOfWork;
  close(): Promise<void>;
}

/** Opens a database of its own for one spec file (`poolSize` connections); `close()` drops it. */
export async function openTestDatabase(poolSize = 8): Promise<TestDatabase> {
  const base = services.databaseUrl;
  if (base) {
    const name = `rthub_repo_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: base });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(base);
    url.pathname = `/${name}`;
    const dataSource = await new DataSource(dataSourceOptions({ url: url.toString() }, poolSize)).initialize();
    await runMigrationsLocked(dataSource);
    const config = new AppConfig({ DATABASE_URL: url.toString(), LOG_LEVEL: 'silent', NODE_ENV: 'test' });
    return wrap('postgres', dataSource, config, async () => {
      const client = new pg.Client({ connectionString: base });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    });
  }
  const backend = await createBackend();
  const dataDir = backend.env.DATA_DIR;
  const embedded = await EmbeddedPostgres.start(dataDir, poolSize);
  const dataSource = await new DataSource(dataSourceOptions(embedded.endpoint, poolSize)).initialize();
  const config = new AppConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent', NODE_ENV: 'test' });
  return wrap('embedded', dataSource, config, async () => {
    await embedded.stop();
    await backend.dispose();
    await rm(dataDir, { recursive: true, force: true });
  });
}

function wrap(
  kind: TestDatabase['kind'],
  dataSource: DataSource,
  config: AppConfig,
  dispose: () => Promise<void>,
): TestDatabase {
  return {
    kind,
    dataSource,
    config,
    sql: new SqlRunner(dataSource, config),
    uow: new UnitOfWork(dataSource, config),
    close: async () => {
      if (dataSource.isInitialized) await dataSource.destroy();
      await dispose();
    },
  };
}

/** Inserts a user straight into `users` (no hashing: repository specs never log in) and answers its id. */
export async function insertUser(dataSource: DataSource, displayName = 'User'): Promise<string> {
  const rows: { id: string }[] = await dataSource.query(
    `INSERT INTO users (email, password_hash, display_name) VALUES ($1, 'not-a-hash', $2) RETURNING id`,
    [`${randomBytes(6).toString('hex')}@repo.test`, displayName],
  );
  return rows[0].id;
}
