// The unit of work on a real database: Postgres with TEST_DATABASE_URL, where BEGIN is pipelined with the work's
// first statements, else embedded PGlite (BEGIN awaited). One pooled connection, so every run
// reuses the connection the one before left behind.
import { openTestDatabase, type TestDatabase, testDatabaseKind } from '../../test/helpers/test-database.js';

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
});
