import { randomBytes } from 'node:crypto';
import { DataSource, QueryFailedError } from 'typeorm';
import { MIGRATIONS } from '../../src/database/entities.js';
import { SqlRunner, type SqlStatement, sqlStatement } from '../../src/database/sql-runner.js';
import { type TestApp, createBackend, startApp, startInstance } from '../helpers/app.js';
import { registerUser } from '../helpers/factories.js';
import { client } from '../helpers/http.js';
import { describeE2E, mode } from '../helpers/mode.js';

interface MigrationRow {
  id: number;
  timestamp: string;
  name: string;
}

async function recordedMigrations(dataSource: DataSource): Promise<MigrationRow[]> {
  return dataSource.query(`SELECT id, "timestamp"::text AS "timestamp", name FROM migrations ORDER BY id`);
}

describeE2E('Database', () => {
  describe('concurrency', () => {
    let sut: TestApp;
    let dataSource: DataSource;
    const table = `scratch_counters_${randomBytes(4).toString('hex')}`;

    beforeAll(async () => {
      sut = await startApp();
      dataSource = sut.app.get(DataSource);
      await dataSource.query(`CREATE TABLE ${table} (id int PRIMARY KEY, value int NOT NULL)`);
    });
    afterAll(async () => {
      await dataSource.query(`DROP TABLE IF EXISTS ${table}`);
      await sut.close();
    });

    it('should end 200 concurrent read-modify-write increments under SELECT ... FOR UPDATE at 200', async () => {
      await dataSource.query(`INSERT INTO ${table} (id, value) VALUES (1, 0)`);
      await Promise.all(
        Array.from({ length: 200 }, () =>
          dataSource.transaction(async (manager) => {
            const [row]: { value: number }[] = await manager.query(
              `SELECT value FROM ${table} WHERE id = 1 FOR UPDATE`,
            );
            // Give the other transactions every chance to interleave between the read and the write.
            await new Promise((r) => setImmediate(r));
            await manager.query(`UPDATE ${table} SET value = $1 WHERE id = 1`, [row.value + 1]);
          }),
        ),
      );
      const [final]: { value: number }[] = await dataSource.query(`SELECT value FROM ${table} WHERE id = 1`);
      expect(final.value).toBe(200);
    });

    it('should roll back every statement of a failed transaction', async () => {
      await dataSource.query(`INSERT INTO ${table} (id, value) VALUES (2, 0)`);
      await expect(
        dataSource.transaction(async (manager) => {
          await manager.query(`UPDATE ${table} SET value = 5 WHERE id = 2`);
          await manager.query(`INSERT INTO ${table} (id, value) VALUES (2, 1)`); // duplicate key
        }),
      ).rejects.toThrow();
      const [row]: { value: number }[] = await dataSource.query(`SELECT value FROM ${table} WHERE id = 2`);
      expect(row.value).toBe(0);
    });
  });

  describe('hot statements', () => {
    let sut: TestApp;

    beforeAll(async () => {
      sut = await startApp();
    });
    afterAll(() => sut.close());

    async function preparedAfterTwoRuns(app: TestApp, statement: SqlStatement): Promise<string[]> {
      const runner = app.app.get(SqlRunner);
      return app.app.get(DataSource).transaction(async (manager) => {
        for (const n of [1, 2]) expect(await runner.rows(manager, statement, [n])).toEqual([{ n: n + 1 }]);
        const rows: { name: string }[] = await manager.query(`SELECT name FROM pg_prepared_statements`);
        return rows.map((r) => r.name);
      });
    }

    // On Postgres a hot statement is planned once per connection; the embedded engine shares one session among
    // its pooled connections, so there it must stay unnamed.
    it(`should ${mode === 'services' ? '' : 'not '}prepare named statements on this backend`, async () => {
      const statement = sqlStatement('test.increment', 'SELECT $1::int + 1 AS n');
      const names = await preparedAfterTwoRuns(sut, statement);
      expect(names.includes('test.increment')).toBe(mode === 'services');
    });

    it('should run them unnamed when DATABASE_PREPARED_STATEMENTS=false', async () => {
      const unprepared = await startApp({ DATABASE_PREPARED_STATEMENTS: 'false' });
      try {
        const names = await preparedAfterTwoRuns(unprepared, sqlStatement('test.unnamed', 'SELECT $1::int + 1 AS n'));
        expect(names).not.toContain('test.unnamed');
      } finally {
        await unprepared.close();
      }
    });

    it('should fail with a QueryFailedError carrying the driver error', async () => {
      const runner = sut.app.get(SqlRunner);
      const failing = sqlStatement('test.failing', 'SELECT 1 / $1::int AS n');
      const err = await runner.rows(sut.app.get(DataSource).manager, failing, [0]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(QueryFailedError);
      expect((err as QueryFailedError).driverError).toMatchObject({ code: '22012' });
    });
  });

  describe('migrations', () => {
    it('should record every migration, and apply none on a second start on the same backend', async () => {
      const backend = await createBackend();
      try {
        const first = await startInstance(backend);
        let before: MigrationRow[];
        let user: Awaited<ReturnType<typeof registerUser>>;
        try {
          before = await recordedMigrations(first.app.get(DataSource));
          user = await registerUser(first, 'Kept Between Starts');
        } finally {
          await first.close();
        }
        expect(before.map((m) => m.name).sort()).toEqual(MIGRATIONS.map((m) => m.name).sort());

        const second = await startInstance(backend);
        try {
          const dataSource = second.app.get(DataSource);
          expect(await recordedMigrations(dataSource)).toEqual(before);
          expect(await dataSource.showMigrations()).toBe(false);
          // The data is kept too: the account made on the first start still signs in.
          const login = await client(second.url).post('/api/v1/auth/login', {
            body: { email: user.email, password: user.password },
          });
          expect(login.status).toBe(200);
          expect(login.body.user.id).toBe(user.id);
        } finally {
          await second.close();
        }
      } finally {
        await backend.dispose();
      }
    });
  });
});
