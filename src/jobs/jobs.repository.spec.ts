// The SQL of jobs and their events on a real database: Postgres with TEST_DATABASE_URL (concurrent sweeps really
// race), else embedded PGlite (see test/helpers/test-database.ts).
import { insertUser, openTestDatabase, type TestDatabase, testDatabaseKind } from '../../test/helpers/test-database.js';
import { JobsRepository } from './jobs.repository.js';

describe(`${JobsRepository.name} [${testDatabaseKind}]`, () => {
  let db: TestDatabase;
  const sut = new JobsRepository();
  let owner: string;

  beforeAll(async () => {
    db = await openTestDatabase(6);
    owner = await insertUser(db.dataSource, 'Owner');
  }, 120_000);

  afterAll(() => db?.close());

  const create = (name = 'crawl', ownerId = owner) =>
    sut.insert(db.dataSource.manager, { ownerId, name, totalPages: null });

  it('should insert a pending job with no events, and answer what decides worker access', async () => {
    const job = await create();
    expect(job).toMatchObject({ ownerId: owner, name: 'crawl', status: 'pending', lastSeq: 0, tokenVersion: 0 });
    expect(await sut.find(db.dataSource.manager, job.id)).toEqual(job);
    expect(await sut.workerAccess(db.dataSource.manager, job.id)).toEqual({
      id: job.id,
      status: 'pending',
      tokenVersion: 0,
    });
    expect(await sut.workerAccess(db.dataSource.manager, '00000000-0000-4000-8000-000000000000')).toBeNull();
  });

  it('should write a batch under the lock: events in one statement, the job once', async () => {
    const job = await create();
    await db.uow.run(async ({ manager }) => {
      const locked = (await sut.lock(manager, job.id))!;
      expect(locked).toMatchObject({ lastSeq: 0, state: { status: 'pending', itemsScraped: 0 } });
      const events = JSON.stringify([
        { seq: 1, type: 'job_started', data: {} },
        { seq: 2, type: 'job_progress', data: { itemsScraped: 5 } },
      ]);
      await sut.saveBatch(
        manager,
        job.id,
        events,
        { ...locked.state, status: 'running', itemsScraped: 5 },
        2,
        locked.now,
      );
    });
    const history = await sut.history(db.dataSource.manager, job.id, 0, 10);
    expect(history.map((e) => [e.seq, e.type, e.data])).toEqual([
      [1, 'job_started', {}],
      [2, 'job_progress', { itemsScraped: 5 }],
    ]);
    expect((await sut.history(db.dataSource.manager, job.id, 1, 10)).map((e) => e.seq)).toEqual([2]);
    expect(await sut.find(db.dataSource.manager, job.id)).toMatchObject({
      status: 'running',
      lastSeq: 2,
      itemsScraped: 5,
    });
    expect(await db.uow.run(({ manager }) => sut.lock(manager, '00000000-0000-4000-8000-000000000000'))).toBeNull();
  });

  it('should fail each stalled running job once, whatever the number of sweeps at once', async () => {
    const stalled = await create('stalled');
    const fresh = await create('fresh');
    await db.dataSource.query(
      `UPDATE jobs SET status = 'running', last_event_at = now() - interval '1 hour' WHERE id = $1`,
      [stalled.id],
    );
    await db.dataSource.query(`UPDATE jobs SET status = 'running', last_event_at = now() WHERE id = $1`, [fresh.id]);
    const sweeps = await Promise.all([1, 2, 3].map(() => sut.failStalled(db.dataSource.manager, 60, 100)));
    const claimed = sweeps.flat().filter((r) => r.id === stalled.id || r.id === fresh.id);
    expect(claimed).toEqual([{ id: stalled.id, seq: 1, finished_at: expect.any(Date) }]);
    expect(await sut.find(db.dataSource.manager, stalled.id)).toMatchObject({ status: 'failed', error: 'stalled' });
    expect((await sut.history(db.dataSource.manager, stalled.id, 0, 10)).map((e) => [e.seq, e.type])).toEqual([
      [1, 'job_failed'],
    ]);
    expect(await sut.find(db.dataSource.manager, fresh.id)).toMatchObject({ status: 'running' });
  });

  it('should page newest first, by owner and status, after a cursor at full precision', async () => {
    const other = await insertUser(db.dataSource, 'Other');
    const first = await create('first', other);
    const second = await create('second', other);
    await create('not theirs');
    const page = await sut.page(db.dataSource.manager, { ownerId: other, take: 10 });
    expect(page.map((r) => r.job.name)).toEqual(['second', 'first']);
    const rest = await sut.page(db.dataSource.manager, {
      ownerId: other,
      after: [page[0].cursorCreatedAt, page[0].job.id],
      take: 10,
    });
    expect(rest.map((r) => r.job.id)).toEqual([first.id]);
    expect(await sut.page(db.dataSource.manager, { ownerId: other, status: 'running', take: 10 })).toEqual([]);
    expect((await sut.page(db.dataSource.manager, { take: 100 })).map((r) => r.job.id)).toContain(second.id);
  });
});
