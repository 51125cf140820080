// A migrated database and the database core on it, without the app, for repository specs: a fresh database on
// TEST_DATABASE_URL when it is set (real Postgres, real concurrency), else an embedded PGlite started from a copy of
// the e2e template (test/helpers/app.ts). Every spec gets a database of its own; close() drops or deletes it.
import { randomBytes } from 'node:crypto';
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
  readonly kind: 'postgres' | 'embedded';
  readonly dataSource: DataSource;
  readonly sql: SqlRunner;
  readonly uow: UnitOfWork;
  close(): Promise<void>;
}

async function adminQuery(text: string): Promise<void> {
  const admin = new pg.Client({ connectionString: services.databaseUrl });
  await admin.connect();
  try {
    await admin.query(text);
  } finally {
    await admin.end();
  }
}

/** Opens a database with every migration applied and nothing else; `poolSize` connections. */
export async function openTestDatabase(poolSize = 8): Promise<TestDatabase> {
  const base = { NODE_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_POOL_SIZE: String(poolSize) };
  if (services.databaseUrl) {
    const name = `rthub_repo_${randomBytes(6).toString('hex')}`;
    await adminQuery(`CREATE DATABASE ${name}`);
    const url = new URL(services.databaseUrl);
    url.pathname = `/${name}`;
    const config = new AppConfig({ ...base, DATABASE_URL: url.toString() });
    const dataSource = await new DataSource(dataSourceOptions({ url: url.toString() }, poolSize)).initialize();
    await runMigrationsLocked(dataSource);
    return {
      kind: 'postgres',
      dataSource,
      sql: new SqlRunner(dataSource, config),
      uow: new UnitOfWork(dataSource),
      close: async () => {
        await dataSource.destroy();
        await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      },
    };
  }
  const backend = await createBackend();
  const config = new AppConfig({ ...base, DATA_DIR: backend.env.DATA_DIR });
  const embedded = await EmbeddedPostgres.start(config.dataDir, poolSize);
  const dataSource = await new DataSource(dataSourceOptions(embedded.endpoint, poolSize)).initialize();
  await runMigrationsLocked(dataSource);
  return {
    kind: 'embedded',
    dataSource,
    sql: new SqlRunner(dataSource, config),
    uow: new UnitOfWork(dataSource),
    close: async () => {
      await dataSource.destroy();
      await embedded.stop();
      await backend.dispose();
    },
  };
}
