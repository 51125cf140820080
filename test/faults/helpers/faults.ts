// What the fault tier needs beyond its own processes: the shared test Postgres for a fresh database per spec, and a
// `describe` that says what is missing when this machine cannot run the tier.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { missingForFaults } from './processes.js';

const databaseUrl = process.env.TEST_DATABASE_URL || undefined;
const required = process.env.REQUIRE_SERVICES === '1';

/** A fresh database on TEST_DATABASE_URL's server; `drop()` removes it. */
export async function freshDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `rthub_faults_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(databaseUrl!);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: databaseUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** `describe` for fault scenarios: skipped (saying what to set or install) unless this machine can run them. */
export function describeFaults(name: string, body: () => void): void {
  const missing = [...(databaseUrl ? [] : ['TEST_DATABASE_URL']), ...missingForFaults()];
  if (missing.length > 0) {
    if (required) throw new Error(`REQUIRE_SERVICES=1 but the fault tier lacks: ${missing.join(', ')}`);
    const skipped = describe.skip;
    skipped(`${name} [skipped: needs ${missing.join(', ')}]`, body);
    return;
  }
  describe(name, body);
}
