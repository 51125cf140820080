// The unit of work on a real database: Postgres with TEST_DATABASE_URL, where BEGIN is pipelined with the work's
// first statements and COMMIT may follow the last one, else embedded PGlite (each awaited). One pooled connection,
// so every run reuses the connection the one before left behind.
import { jest } from '@jest/globals';
import type { PoolClient } from 'pg';
import { openTestDatabase, type TestDatabase, testDatabaseKind } from '../../test/helpers/test-database.js';
import { sqlStatement } from './sql-runner.js';

const INSERT_PROBE = sqlStatement('uow-spec.insert', `INSERT INTO uow_probe (id, note) VALUES ($1, $2) RETURNING id`);
const pipelined = testDatabaseKind === 'postgres';

describe(`UnitOfWork on a database [${testDatabaseKind}]`, () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await openTestDatabase(2);
    await db.dataSource.query(`CREATE TABLE uow_probe (id int PRIMARY KEY, note text NOT NULL)`);
  }, 120_000);

  afterAll(() => db?.close());

  const count = async (): Promise<number> =>
    (await db.dataSource.query(`SELECT count(*)::int AS n FROM uow_probe`))[0].n as number;

  it('should commit statements sent together with the BEGIN, then run the effects in order', async () => {
    const seen: string[] = [];
    const result = await db.uow.run(async ({ manager, afterCommit }) => {
      const [a, b] = await Promise.all([
        manager.query(`INSERT INTO uow_probe (id, note) VALUES (1, 'one') RETURNING id`),
        manager.query(`INSERT INTO uow_probe (id, note) VALUES (2, 'two') RETURNING id`),
      ]);
      afterCommit(() => seen.push('first'));
      afterCommit(() => seen.push('second'));
      return [a[0].id, b[0].id];
    });
    expect(result).toEqual([1, 2]);
    expect(seen).toEqual(['first', 'second']);
    expect(await count()).toBe(2);
  });

  it('should roll everything back, run no effect and surface the error when a pipelined statement fails', async () => {
    const seen: string[] = [];
    const before = await count();
    await expect(
      db.uow.run(async ({ manager, afterCommit }) => {
        afterCommit(() => seen.push('effect'));
        await Promise.all([
          manager.query(`INSERT INTO uow_probe (id, note) VALUES (10, 'kept?')`),
          manager.query(`INSERT INTO uow_probe (id, note) VALUES (1, 'duplicate key')`),
          manager.query(`INSERT INTO uow_probe (id, note) VALUES (11, 'after the failure')`),
        ]);
      }),
    ).rejects.toThrow(/duplicate key/);
    expect(seen).toEqual([]);
    expect(await count()).toBe(before);
  });

  it('should fail, keep nothing and run no effect when the work caught the error of a statement that failed', async () => {
    const seen: string[] = [];
    const before = await count();
    await expect(
      db.uow.run(async ({ manager, afterCommit }) => {
        afterCommit(() => seen.push('effect'));
        await manager.query(`INSERT INTO uow_probe (id, note) VALUES (40, 'written first')`);
        // A duplicate the work expects and handles: the statement failed all the same, and with it the transaction.
        await manager.query(`INSERT INTO uow_probe (id, note) VALUES (1, 'duplicate key')`).catch(() => undefined);
      }),
    ).rejects.toThrow('The database rolled the transaction back: one of its statements failed');
    expect(seen).toEqual([]);
    expect(await count()).toBe(before);
  });

  it('should roll back when the work throws after its statements succeeded, and leave the connection usable', async () => {
    const before = await count();
    await expect(
      db.uow.run(async ({ manager }) => {
        await manager.query(`INSERT INTO uow_probe (id, note) VALUES (20, 'rolled back')`);
        throw new Error('a rule refused it');
      }),
    ).rejects.toThrow('a rule refused it');
    expect(await count()).toBe(before);
    // The same pooled connections serve the next units of work, one after another and side by side.
    await Promise.all(
      [30, 31, 32, 33].map((id) =>
        db.uow.run(({ manager }) => manager.query(`INSERT INTO uow_probe (id, note) VALUES ($1, 'next')`, [id])),
      ),
    );
    expect(await count()).toBe(before + 4);
  });

  describe('with COMMIT sent behind the last statement', () => {
    it('should send COMMIT before the last statement has answered (Postgres), and commit and run the effects', async () => {
      const seen: string[] = [];
      let sentAfterLast: string[] = [];
      const id = await db.uow.run(async (tx) => {
        await db.sql.rows(tx.manager, INSERT_PROBE, [50, 'first']);
        const client = (await tx.manager.queryRunner!.connect()) as PoolClient;
        const sent = jest.spyOn(client, 'query');
        try {
          tx.afterCommit(() => seen.push('effect'));
          tx.commitBehindNextStatement();
          const last = db.sql.rows<{ id: number }>(tx.manager, INSERT_PROBE, [51, 'last']);
          sentAfterLast = sent.mock.calls.map(([q]) => (typeof q === 'string' ? q : (q as { text: string }).text));
          return (await last)[0].id;
        } finally {
          sent.mockRestore();
        }
      });
      expect(id).toBe(51);
      expect(sentAfterLast).toEqual(pipelined ? [INSERT_PROBE.text, 'COMMIT'] : [INSERT_PROBE.text]);
      expect(seen).toEqual(['effect']);
      const rows = await db.dataSource.query(`SELECT id FROM uow_probe WHERE id IN (50, 51) ORDER BY id`);
      expect(rows.map((r: { id: number }) => r.id)).toEqual([50, 51]);
    });

    it('should keep nothing, run no effect and throw the statement error when the last statement fails', async () => {
      const seen: string[] = [];
      const before = await count();
      await expect(
        db.uow.run(async (tx) => {
          tx.afterCommit(() => seen.push('effect'));
          await db.sql.rows(tx.manager, INSERT_PROBE, [60, 'written first']);
          tx.commitBehindNextStatement();
          await db.sql.rows(tx.manager, INSERT_PROBE, [1, 'duplicate key']);
        }),
      ).rejects.toThrow(/duplicate key/);
      expect(seen).toEqual([]);
      expect(await count()).toBe(before);
    });

    it('should commit, run the effects queued, then throw, when the work fails after its last statement succeeded', async () => {
      const seen: string[] = [];
      const before = await count();
      await expect(
        db.uow.run(async (tx) => {
          tx.afterCommit(() => seen.push('effect'));
          tx.commitBehindNextStatement();
          await db.sql.rows(tx.manager, INSERT_PROBE, [70, 'committed with the COMMIT already sent']);
          throw new Error('a check after the last statement');
        }),
      ).rejects.toThrow('a check after the last statement');
      // Where COMMIT waits for the work (embedded), the failure rolls back as always.
      expect(seen).toEqual(pipelined ? ['effect'] : []);
      expect(await count()).toBe(pipelined ? before + 1 : before);
      // The connection is usable after either ending.
      await db.uow.run((tx) => db.sql.rows(tx.manager, INSERT_PROBE, [71, 'next']));
      expect(await count()).toBe(pipelined ? before + 2 : before + 1);
    });

    it('should commit as usual when no statement follows the declaration', async () => {
      const before = await count();
      await db.uow.run(async (tx) => {
        await db.sql.rows(tx.manager, INSERT_PROBE, [80, 'before the declaration']);
        tx.commitBehindNextStatement();
      });
      expect(await count()).toBe(before + 1);
    });
  });
});
