// The statements of NotificationsRepository on a real database: a fresh Postgres database on TEST_DATABASE_URL
// (concurrent transactions wait on the counter row's lock), else embedded PGlite (one backend: transactions take
// turns). See test/helpers/test-database.ts. Nothing here is stubbed.
import { setTimeout as sleep } from 'node:timers/promises';
import { insertUser, openTestDatabase, type TestDatabase, testDatabaseKind } from '../../test/helpers/test-database.js';
import { type NotificationContent, NotificationsRepository, type PageSpec } from './notifications.repository.js';

const UNKNOWN = '00000000-0000-4000-8000-000000000000';

const content = (n: number): NotificationContent => ({
  type: 'test',
  title: `Title ${n}`,
  body: n % 2 === 0 ? null : `Body ${n}`,
  data: { n },
});

/** 1..n */
const upTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe(`${NotificationsRepository.name} [${testDatabaseKind}]`, () => {
  let db: TestDatabase;
  let sut: NotificationsRepository;

  beforeAll(async () => {
    db = await openTestDatabase(8);
    sut = new NotificationsRepository(db.sql);
  }, 120_000);

  afterAll(() => db?.close());

  /** An append in a transaction of its own, as the service makes one. */
  const append = (userIds: string[], n = 1) => db.uow.run(({ manager }) => sut.append(manager, userIds, content(n)));

  /** What the database holds for a user: the counter row (undefined when none) and the seqs of its rows. */
  async function stored(userId: string) {
    const counters: { last_seq: number; unread_count: number; version: number }[] = await db.dataSource.query(
      `SELECT last_seq, unread_count, version FROM notification_counters WHERE user_id = $1`,
      [userId],
    );
    const rows: { seq: number }[] = await db.dataSource.query(
      `SELECT seq FROM notifications WHERE user_id = $1 ORDER BY seq`,
      [userId],
    );
    const c = counters[0];
    return {
      counter: c && { lastSeq: c.last_seq, unread: c.unread_count, version: c.version },
      seqs: rows.map((r) => r.seq),
    };
  }

  const page = (userId: string, spec: PageSpec) => sut.page(db.dataSource.manager, userId, spec);

  /** A read as the service does it: the counter locked first, the row marked, the count moved only when it was. */
  const read = (userId: string, id: string) =>
    db.uow.run(async ({ manager }) => {
      const counter = (await sut.lockCounter(manager, userId))!;
      const marked = await sut.markRead(manager, id);
      const state = marked ? await sut.writeUnread(manager, userId, Math.max(counter.unreadCount - 1, 0)) : counter;
      return { marked, state };
    });

  describe('append', () => {
    it("should give each user the next seq of its own, from 1, and move each one's unread count and version", async () => {
      const [a, b, c] = [
        await insertUser(db.dataSource),
        await insertUser(db.dataSource),
        await insertUser(db.dataSource),
      ];
      const first = await append([a, b], 1);
      expect(first.missing).toEqual([]);
      expect(first.allocations).toHaveLength(2);
      expect(first.allocations).toEqual(
        expect.arrayContaining([
          { userId: a, seq: 1, unreadCount: 1, version: 1 },
          { userId: b, seq: 1, unreadCount: 1, version: 1 },
        ]),
      );
      // The rows carry the content, unread, one per user.
      expect(first.rows.map((r) => r.user_id).sort()).toEqual([a, b].sort());
      for (const row of first.rows) {
        expect(row).toMatchObject({
          seq: 1,
          type: 'test',
          title: 'Title 1',
          body: 'Body 1',
          data: { n: 1 },
          read_at: null,
        });
        expect(row.created_at).toBeInstanceOf(Date);
      }

      const second = await append([a], 2);
      expect(second.allocations).toEqual([{ userId: a, seq: 2, unreadCount: 2, version: 2 }]);
      expect(second.rows[0]).toMatchObject({ user_id: a, seq: 2, body: null, data: { n: 2 } });

      const third = await append([a, b, c].sort(), 3);
      const byUser = new Map(third.allocations.map((x) => [x.userId, x]));
      expect(byUser.get(a)).toEqual({ userId: a, seq: 3, unreadCount: 3, version: 3 });
      expect(byUser.get(b)).toEqual({ userId: b, seq: 2, unreadCount: 2, version: 2 });
      expect(byUser.get(c)).toEqual({ userId: c, seq: 1, unreadCount: 1, version: 1 });
      // Each allocation names its own row.
      for (const row of third.rows) expect(row.seq).toBe(byUser.get(row.user_id)!.seq);

      expect(await stored(a)).toEqual({ counter: { lastSeq: 3, unread: 3, version: 3 }, seqs: [1, 2, 3] });
      expect(await stored(b)).toEqual({ counter: { lastSeq: 2, unread: 2, version: 2 }, seqs: [1, 2] });
      expect(await stored(c)).toEqual({ counter: { lastSeq: 1, unread: 1, version: 1 }, seqs: [1] });
      expect(await sut.unreadCount(db.dataSource.manager, a)).toEqual({ count: 3, version: 3 });
    });

    it('should hand concurrent appends to one user seqs 1..20, each once, and count 20 unread', async () => {
      const user = await insertUser(db.dataSource);
      const results = await Promise.all(upTo(20).map((n) => append([user], n)));
      expect(results.map((r) => r.allocations[0].seq).sort((x, y) => x - y)).toEqual(upTo(20));
      // Each transaction saw the count and version its own append made: none lost, none counted twice.
      expect(results.map((r) => r.allocations[0].unreadCount).sort((x, y) => x - y)).toEqual(upTo(20));
      expect(results.map((r) => r.allocations[0].version).sort((x, y) => x - y)).toEqual(upTo(20));
      expect(await stored(user)).toEqual({ counter: { lastSeq: 20, unread: 20, version: 20 }, seqs: upTo(20) });
      expect(await sut.unreadCount(db.dataSource.manager, user)).toEqual({ count: 20, version: 20 });
    });

    it('should finish concurrent batches to the same users, ids in any order, without a deadlock or a gap', async () => {
      const users = [await insertUser(db.dataSource), await insertUser(db.dataSource), await insertUser(db.dataSource)];
      // Each batch names the users in another order: the statement locks their counters in user-id order itself.
      const orders = [users, [...users].reverse(), [users[1], users[2], users[0]], [users[2], users[0], users[1]]];
      await Promise.all(upTo(10).map((n) => append(orders[n % orders.length], n)));
      for (const user of users) {
        expect(await stored(user)).toEqual({ counter: { lastSeq: 10, unread: 10, version: 10 }, seqs: upTo(10) });
      }
    });

    it('should write nothing when an id names no user, and answer that id in missing', async () => {
      const known = await insertUser(db.dataSource);
      const fresh = await insertUser(db.dataSource);
      await append([known]);
      const before = await stored(known);

      const answered = await append([known, UNKNOWN, fresh].sort());
      expect(answered).toEqual({ missing: [UNKNOWN], allocations: [], rows: [] });
      expect(await stored(known)).toEqual(before);
      expect(await stored(fresh)).toEqual({ counter: undefined, seqs: [] });
      expect(await append([UNKNOWN])).toEqual({ missing: [UNKNOWN], allocations: [], rows: [] });

      // The next append goes on without a gap.
      expect((await append([known])).allocations).toEqual([{ userId: known, seq: 2, unreadCount: 2, version: 2 }]);
    });

    it('should leave seq, unread count and rows as they were when the transaction rolls back', async () => {
      const user = await insertUser(db.dataSource);
      const fresh = await insertUser(db.dataSource);
      await append([user], 1);
      await append([user], 2);
      const before = await stored(user);
      expect(before).toEqual({ counter: { lastSeq: 2, unread: 2, version: 2 }, seqs: [1, 2] });

      await expect(
        db.uow.run(async ({ manager }) => {
          const appended = await sut.append(manager, [user, fresh].sort(), content(3));
          expect(appended.allocations).toHaveLength(2);
          throw new Error('rolled back');
        }),
      ).rejects.toThrow('rolled back');

      expect(await stored(user)).toEqual(before);
      expect(await stored(fresh)).toEqual({ counter: undefined, seqs: [] });
      expect(await sut.unreadCount(db.dataSource.manager, user)).toEqual({ count: 2, version: 2 });
      // The seq the rolled-back append took is handed out again: no gap.
      expect((await append([user], 4)).allocations).toEqual([{ userId: user, seq: 3, unreadCount: 3, version: 3 }]);
    });
  });

  describe('reading', () => {
    it('should mark a notification read once: a second read answers false and moves nothing', async () => {
      const user = await insertUser(db.dataSource);
      const { rows } = await append([user], 1);
      await append([user], 2);
      await append([user], 3);
      const id = rows[0].id;

      expect(await read(user, id)).toEqual({ marked: true, state: { unreadCount: 2, version: 4 } });
      const [{ read_at: firstReadAt }]: { read_at: Date }[] = await db.dataSource.query(
        `SELECT read_at FROM notifications WHERE id = $1`,
        [id],
      );
      expect(firstReadAt).toBeInstanceOf(Date);

      expect(await read(user, id)).toEqual({ marked: false, state: { unreadCount: 2, version: 4 } });
      const [{ read_at: secondReadAt }]: { read_at: Date }[] = await db.dataSource.query(
        `SELECT read_at FROM notifications WHERE id = $1`,
        [id],
      );
      expect(secondReadAt).toEqual(firstReadAt);
      expect(await sut.unreadCount(db.dataSource.manager, user)).toEqual({ count: 2, version: 4 });
      // Only that row was marked.
      const unread = await page(user, { ascending: true, unreadOnly: true, take: 100 });
      expect(unread.map((r) => r.seq)).toEqual([2, 3]);
      // An unknown id marks nothing.
      expect(await sut.markRead(db.dataSource.manager, UNKNOWN)).toBe(false);
    });

    it("should mark all of a user's unread notifications, answer how many, and touch no one else's", async () => {
      const [user, other] = [await insertUser(db.dataSource), await insertUser(db.dataSource)];
      const ids: string[] = [];
      for (const n of upTo(4))
        ids.push((await append([user, other].sort(), n)).rows.find((r) => r.user_id === user)!.id);
      await read(user, ids[1]);

      const result = await db.uow.run(async ({ manager }) => {
        expect(await sut.lockCounter(manager, user)).toEqual({ unreadCount: 3, version: 5 });
        const marked = await sut.markAllRead(manager, user);
        return { marked, state: await sut.writeUnread(manager, user, 0) };
      });
      expect(result).toEqual({ marked: 3, state: { unreadCount: 0, version: 6 } });
      expect(await sut.unreadCount(db.dataSource.manager, user)).toEqual({ count: 0, version: 6 });
      expect(await page(user, { ascending: false, unreadOnly: true, take: 100 })).toEqual([]);

      // Again: nothing left to mark, and the rows it marked answer false to a read.
      expect(await sut.markAllRead(db.dataSource.manager, user)).toBe(0);
      expect(await sut.markRead(db.dataSource.manager, ids[0])).toBe(false);
      // The other user's rows and count are as they were.
      expect(await sut.unreadCount(db.dataSource.manager, other)).toEqual({ count: 4, version: 4 });
      expect((await page(other, { ascending: true, unreadOnly: true, take: 100 })).map((r) => r.seq)).toEqual(upTo(4));
    });

    it('should answer 0 unread, version 0, and no counter to lock for a user who never had a notification', async () => {
      const user = await insertUser(db.dataSource);
      expect(await sut.unreadCount(db.dataSource.manager, user)).toEqual({ count: 0, version: 0 });
      await db.uow.run(async ({ manager }) => {
        expect(await sut.lockCounter(manager, user)).toBeUndefined();
        expect(await sut.markAllRead(manager, user)).toBe(0);
      });
    });

    it('should hold a concurrent append behind the locked counter, so neither change is lost', async () => {
      const user = await insertUser(db.dataSource);
      const { rows } = await append([user], 1);
      await append([user], 2);
      let appended: Promise<unknown> | undefined;
      let settled = false;
      const state = await db.uow.run(async ({ manager }) => {
        const counter = (await sut.lockCounter(manager, user))!;
        expect(counter).toEqual({ unreadCount: 2, version: 2 });
        // Another transaction appends meanwhile: it must wait for this one (the row lock on Postgres; on the
        // embedded engine, its turn).
        appended = append([user], 3).finally(() => (settled = true));
        await sleep(200);
        expect(settled).toBe(false);
        expect(await sut.markRead(manager, rows[0].id)).toBe(true);
        return sut.writeUnread(manager, user, counter.unreadCount - 1);
      });
      expect(state).toEqual({ unreadCount: 1, version: 3 });
      await appended;
      expect(await stored(user)).toEqual({ counter: { lastSeq: 3, unread: 2, version: 4 }, seqs: [1, 2, 3] });
    });

    it("should find a notification's owner, and no one for an unknown id", async () => {
      const user = await insertUser(db.dataSource);
      const { rows } = await append([user]);
      expect(await sut.findOwner(db.dataSource.manager, rows[0].id)).toBe(user);
      expect(await sut.findOwner(db.dataSource.manager, UNKNOWN)).toBeUndefined();
    });
  });

  describe('page', () => {
    let user: string;
    let other: string;

    beforeAll(async () => {
      [user, other] = [await insertUser(db.dataSource), await insertUser(db.dataSource)];
      // Interleaved with another user's, so a page that leaked them would show.
      for (const n of upTo(7)) {
        await append([user], n);
        if (n % 2 === 0) await append([other], 100 + n);
      }
    });

    /** Every page of size `size`, each starting at the previous one's last seq, as the service's cursor does. */
    async function walk(spec: Omit<PageSpec, 'take' | 'bound'>, size: number, bound?: number) {
      const pages: number[][] = [];
      // At most 10 pages: a bound that let its own row in again would page forever.
      while (pages.length < 10) {
        const rows = await page(user, { ...spec, bound, take: size });
        expect(rows.every((r) => r.user_id === user)).toBe(true);
        if (rows.length === 0) return pages;
        pages.push(rows.map((r) => r.seq));
        bound = rows[rows.length - 1].seq;
      }
      return pages;
    }

    it('should answer only the user’s own notifications, newest first, and go on below the bound without gap or repeat', async () => {
      const first = await page(user, { ascending: false, unreadOnly: false, take: 3 });
      expect(first.map((r) => [r.user_id, r.seq, r.title])).toEqual([
        [user, 7, 'Title 7'],
        [user, 6, 'Title 6'],
        [user, 5, 'Title 5'],
      ]);
      expect(await walk({ ascending: false, unreadOnly: false }, 3)).toEqual([[7, 6, 5], [4, 3, 2], [1]]);
      expect((await page(other, { ascending: false, unreadOnly: false, take: 100 })).map((r) => r.seq)).toEqual([
        3, 2, 1,
      ]);
    });

    it('should answer those after the bound oldest first, and go on without gap or repeat', async () => {
      expect(await walk({ ascending: true, unreadOnly: false }, 2)).toEqual([[1, 2], [3, 4], [5, 6], [7]]);
      expect(await walk({ ascending: true, unreadOnly: false }, 2, 3)).toEqual([
        [4, 5],
        [6, 7],
      ]);
      expect(await page(user, { ascending: true, bound: 7, unreadOnly: false, take: 10 })).toEqual([]);
    });

    it('should page the unread ones only, in both orders, when asked', async () => {
      const all = await page(user, { ascending: true, unreadOnly: false, take: 100 });
      for (const row of all.filter((r) => r.seq % 2 === 0))
        expect(await sut.markRead(db.dataSource.manager, row.id)).toBe(true);
      expect(await walk({ ascending: false, unreadOnly: true }, 2)).toEqual([
        [7, 5],
        [3, 1],
      ]);
      expect(await walk({ ascending: true, unreadOnly: true }, 3, 1)).toEqual([[3, 5, 7]]);
      expect((await page(user, { ascending: false, unreadOnly: false, take: 100 })).length).toBe(7);
    });
  });
});
