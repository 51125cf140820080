// The SQL of resources on a real database: Postgres with TEST_DATABASE_URL, else embedded PGlite
// (see test/helpers/test-database.ts).
import { insertUser, openTestDatabase, type TestDatabase, testDatabaseKind } from '../../test/helpers/test-database.js';
import type { ResourceVisibility } from './resource-access.js';
import { ResourcesRepository } from './resources.repository.js';

describe(`${ResourcesRepository.name} [${testDatabaseKind}]`, () => {
  let db: TestDatabase;
  const sut = new ResourcesRepository();
  let owner: string;
  let other: string;

  beforeAll(async () => {
    db = await openTestDatabase(4);
    owner = await insertUser(db.dataSource, 'Owner');
    other = await insertUser(db.dataSource, 'Other');
  }, 120_000);

  afterAll(() => db?.close());

  const create = (name: string, visibility: ResourceVisibility = 'public', ownerId = owner) =>
    sut.insert(db.dataSource.manager, { ownerId, name, visibility, data: { n: 1 } });

  it('should insert at version 1, made by the owner, with millisecond times from the database', async () => {
    const resource = await create('Board');
    expect(resource).toMatchObject({ ownerId: owner, name: 'Board', visibility: 'public', data: { n: 1 } });
    expect(resource).toMatchObject({ version: 1, updatedBy: owner });
    const [{ micros }]: { micros: number }[] = await db.dataSource.query(
      `SELECT (extract(microseconds FROM updated_at)::int % 1000) AS micros FROM resources WHERE id = $1`,
      [resource.id],
    );
    expect(micros).toBe(0);
    expect(await sut.find(db.dataSource.manager, resource.id)).toEqual(resource);
  });

  it('should write the new state with a later updated_at, and delete', async () => {
    const resource = await create('Doc');
    const updated = await db.uow.run(async ({ manager }) => {
      const locked = await sut.lockForWrite(manager, resource.id);
      expect(locked?.version).toBe(1);
      return sut.update(manager, resource.id, {
        name: 'Doc 2',
        visibility: 'private',
        data: { n: 2, nested: { a: [1, 'two'] } },
        version: 2,
        updatedBy: other,
      });
    });
    expect(updated).toMatchObject({ name: 'Doc 2', visibility: 'private', version: 2, updatedBy: other });
    expect(updated.data).toEqual({ n: 2, nested: { a: [1, 'two'] } });
    expect(updated.updatedAt.getTime()).toBeGreaterThanOrEqual(resource.updatedAt.getTime());
    await db.uow.run(({ manager }) => sut.delete(manager, resource.id));
    expect(await sut.find(db.dataSource.manager, resource.id)).toBeNull();
    expect(await db.uow.run(({ manager }) => sut.lockForWrite(manager, resource.id))).toBeNull();
  });

  it('should keep a reader FOR SHARE waiting until a change under the write lock commits', async () => {
    const resource = await create('Shared');
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const lockTaken = new Promise<void>((resolve) => (locked = resolve));
    const writer = db.uow.run(async ({ manager }) => {
      await sut.lockForWrite(manager, resource.id);
      await sut.update(manager, resource.id, {
        name: 'Shared',
        visibility: 'private',
        data: {},
        version: 2,
        updatedBy: owner,
      });
      locked();
      await held;
    });
    await lockTaken;
    let read: string | undefined;
    const reader = db.uow
      .run(({ manager }) => sut.lockForRead(manager, resource.id))
      .then((r) => (read = r?.visibility));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(read).toBeUndefined();
    release();
    await writer;
    await reader;
    expect(read).toBe('private');
  });

  it('should page newest first, public and own for a user, every one for an admin, after a cursor', async () => {
    const stranger = await insertUser(db.dataSource, 'Stranger');
    const pause = () => new Promise((resolve) => setTimeout(resolve, 5));
    const mine = await create('mine', 'private', stranger);
    await pause();
    const hidden = await create('hidden', 'private');
    await pause();
    const open = await create('open', 'public');
    const ids = new Set([mine.id, hidden.id, open.id]);
    const forUser = (await sut.page(db.dataSource.manager, { readableBy: stranger, take: 1000 })).filter((r) =>
      ids.has(r.id),
    );
    expect(forUser.map((r) => r.name)).toEqual(['open', 'mine']);
    const forAdmin = (await sut.page(db.dataSource.manager, { take: 1000 })).filter((r) => ids.has(r.id));
    expect(forAdmin.map((r) => r.name)).toEqual(['open', 'hidden', 'mine']);
    const after = await sut.page(db.dataSource.manager, {
      after: [open.updatedAt.toISOString(), open.id],
      take: 1000,
    });
    expect(after.map((r) => r.id)).not.toContain(open.id);
    expect(after.map((r) => r.id)).toEqual(expect.arrayContaining([hidden.id, mine.id]));
    expect(await sut.page(db.dataSource.manager, { take: 2 })).toHaveLength(2);
  });
});
