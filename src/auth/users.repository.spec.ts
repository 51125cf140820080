// The SQL of accounts and app secrets on a real database: Postgres with TEST_DATABASE_URL, else embedded PGlite
// (see test/helpers/test-database.ts).
import { openTestDatabase, type TestDatabase, testDatabaseKind } from '../../test/helpers/test-database.js';
import { isUniqueViolation } from '../database/query-results.js';
import { AppSecretsRepository } from './app-secrets.repository.js';
import { UsersRepository } from './users.repository.js';

let db: TestDatabase;

beforeAll(async () => {
  db = await openTestDatabase(4);
}, 120_000);

afterAll(() => db?.close());

describe(`${UsersRepository.name} [${testDatabaseKind}]`, () => {
  const sut = new UsersRepository();
  const m = () => db.dataSource.manager;
  const register = (email: string, displayName: string) =>
    sut.insert(m(), { email, passwordHash: 'hash', displayName, role: 'user' });

  it('should insert an account without its hash in reads, and refuse a taken email as a unique violation', async () => {
    const user = await register('ann@x.test', 'Ann');
    expect(user).toMatchObject({ email: 'ann@x.test', role: 'user', disabled: false, tokenVersion: 0 });
    expect((await sut.find(m(), user.id))?.passwordHash).toBeUndefined();
    expect((await sut.findWithPassword(m(), 'ann@x.test'))?.passwordHash).toBe('hash');
    const error = await register('ann@x.test', 'Ann 2').catch((err: unknown) => err);
    expect(isUniqueViolation(error)).toBe(true);
  });

  it('should search by lower-cased name prefix, LIKE wildcards taken literally, emails for admins only', async () => {
    await register('zed@x.test', 'Zed_One');
    await register('zedtwo@x.test', 'ZedXTwo');
    const disabled = await register('zoe@x.test', 'Zed_Off');
    await m().query(`UPDATE users SET disabled = true WHERE id = $1`, [disabled.id]);
    const names = async (spec: Parameters<UsersRepository['search']>[1]) =>
      (await sut.search(m(), spec)).map((u) => u.displayName);
    expect(await names({ prefix: 'zed_', matchEmail: false, enabledOnly: true, take: 10 })).toEqual(['Zed_One']);
    expect(await names({ prefix: 'zed_', matchEmail: true, enabledOnly: false, take: 10 })).toEqual([
      'Zed_Off',
      'Zed_One',
    ]);
    expect(await names({ prefix: 'zoe@', matchEmail: false, enabledOnly: false, take: 10 })).toEqual([]);
    expect(await names({ prefix: 'zoe@', matchEmail: true, enabledOnly: false, take: 10 })).toEqual(['Zed_Off']);
    const first = (await sut.search(m(), { prefix: 'zed', matchEmail: false, enabledOnly: true, take: 1 }))[0];
    expect(
      await names({
        prefix: 'zed',
        matchEmail: false,
        enabledOnly: true,
        after: [first.displayName, first.id],
        take: 10,
      }),
    ).toEqual(['ZedXTwo']);
  });

  it('should write a locked account back, and revoke tokens', async () => {
    const user = await register('bob@x.test', 'Bob');
    await db.uow.run(async ({ manager }) => {
      const locked = (await sut.lock(manager, user.id))!;
      Object.assign(locked, { role: 'admin', disabled: true, tokenVersion: locked.tokenVersion + 1 });
      await sut.save(manager, locked);
    });
    expect(await sut.accountState(m(), user.id)).toEqual({
      id: user.id,
      role: 'admin',
      disabled: true,
      tokenVersion: 1,
    });
    await sut.revokeTokens(m(), user.id);
    expect((await sut.accountState(m(), user.id))?.tokenVersion).toBe(2);
    expect(await db.uow.run(({ manager }) => sut.lock(manager, '00000000-0000-4000-8000-000000000000'))).toBeNull();
  });

  it('should insert the admin once, and restore it as an enabled admin with revoked tokens', async () => {
    const id = await sut.insertAdminIfAbsent(m(), 'root@x.test', 'first');
    expect(id).toEqual(expect.any(String));
    expect(await sut.insertAdminIfAbsent(m(), 'root@x.test', 'second')).toBeUndefined();
    await m().query(`UPDATE users SET role = 'user', disabled = true WHERE id = $1`, [id]);
    expect(await sut.findAdminCandidate(m(), 'root@x.test')).toEqual({
      id,
      passwordHash: 'first',
      role: 'user',
      disabled: true,
    });
    await sut.restoreAdmin(m(), id!);
    expect(await sut.findAdminCandidate(m(), 'root@x.test')).toMatchObject({ passwordHash: 'first', role: 'admin' });
    await sut.restoreAdmin(m(), id!, 'third');
    expect(await sut.findAdminCandidate(m(), 'root@x.test')).toEqual({
      id,
      passwordHash: 'third',
      role: 'admin',
      disabled: false,
    });
    expect((await sut.accountState(m(), id!))?.tokenVersion).toBe(2);
  });

  it('should restore a demoted admin with a new password once, and leave an enabled admin as it is', async () => {
    const id = await sut.insertAdminIfAbsent(m(), 'restore@x.test', 'first');
    expect(await sut.restoreAdmin(m(), id!, 'second', true)).toBe(false);
    await m().query(`UPDATE users SET role = 'user' WHERE id = $1`, [id]);
    const [one, two] = await Promise.all([
      sut.restoreAdmin(m(), id!, 'third', true),
      sut.restoreAdmin(m(), id!, 'fourth', true),
    ]);
    expect([one, two].filter(Boolean)).toHaveLength(1);
    expect(await sut.findAdminCandidate(m(), 'restore@x.test')).toEqual({
      id,
      passwordHash: one ? 'third' : 'fourth',
      role: 'admin',
      disabled: false,
    });
    expect((await sut.accountState(m(), id!))?.tokenVersion).toBe(1);
  });
});

describe(`${AppSecretsRepository.name} [${testDatabaseKind}]`, () => {
  const sut = new AppSecretsRepository();

  it('should keep the first secret stored under a name, also when instances ask at once', async () => {
    const answers = await Promise.all(['a', 'b', 'c'].map((v) => sut.getOrCreate(db.dataSource.manager, 'k', v)));
    expect(new Set(answers).size).toBe(1);
    expect(await sut.getOrCreate(db.dataSource.manager, 'k', 'later')).toBe(answers[0]);
    expect(await sut.getOrCreate(db.dataSource.manager, 'other', 'z')).toBe('z');
  });
});
