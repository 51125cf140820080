// `npm run migration:run:prod`, the command docs/operations.md gives for the runtime image: the compiled server's
// migrations under the start-up lock, with plain Node and no dev dependency. Needs Postgres (TEST_DATABASE_URL);
// builds first when dist/ is stale.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const root = join(import.meta.dirname, '..', '..');
const base = process.env.TEST_DATABASE_URL;
const run = promisify(execFile);

if (!base && process.env.REQUIRE_SERVICES === '1')
  throw new Error('REQUIRE_SERVICES=1 but TEST_DATABASE_URL is not set');

(base ? describe : describe.skip)(
  `npm run migration:run:prod${base ? '' : ' [skipped: set TEST_DATABASE_URL]'}`,
  () => {
    const name = `migration_run_${process.pid}`;
    const admin = new pg.Client({ connectionString: base });
    const url = new URL(base ?? 'postgres://x');
    url.pathname = `/${name}`;

    beforeAll(async () => {
      await run(process.execPath, [join(root, 'scripts', 'build-if-needed.mjs')], { cwd: root, timeout: 240_000 });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
    }, 300_000);
    afterAll(async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    });

    it('should apply every migration to an empty database, then none', async () => {
      const migrate = () =>
        run('npm', ['run', '-s', 'migration:run:prod'], {
          cwd: root,
          env: { ...process.env, NODE_OPTIONS: '', DATABASE_URL: url.toString() },
          timeout: 60_000,
        });
      expect((await migrate()).stdout).toMatch(/^Applied [1-9]\d* migration\(s\)$/m);
      expect((await migrate()).stdout).toContain('Applied 0 migration(s)');
    }, 120_000);
  },
);
