import type { DataSource } from 'typeorm';

// Any constant shared by all instances; two instances starting together must not both create the schema.
const MIGRATION_LOCK_KEY = 7_311_042_019;

/** Runs pending migrations under a Postgres advisory lock, each in its own transaction. */
export async function runMigrationsLocked(dataSource: DataSource): Promise<number> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      return applied.length;
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await runner.release();
  }
}
