// The statements of MessagingRepository against a real database: a fresh Postgres database on TEST_DATABASE_URL
// when it is set, else an embedded PGlite (see test/helpers/database.ts). Nothing here is stubbed.
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { openTestDatabase, type TestDatabase, testDatabaseKind } from '../../test/helpers/test-database.js';
import type { Principal } from '../auth/principal.js';
import { ErrorCode } from '../common/error-codes.js';
import type { RealtimePublisher } from '../realtime/realtime.publisher.js';
import { MessagesService } from './messages.service.js';
import { type AppendResult, MessagingRepository } from './messaging.repository.js';
import type { MessageView } from './messaging.types.js';

const principal = (id: string): Principal => ({ id, role: 'user', tokenVersion: 0, expiresAt: Date.now() + 60_000 });

/** The message of a `created` result; fails the test on any other kind. */
function created(result: AppendResult): MessageView {
  if (result.kind !== 'created') throw new Error(`Expected a created message, got ${result.kind}`);
  return result.message;
}

describe(`${MessagingRepository.name} [${testDatabaseKind}]`, () => {
  let db: TestDatabase;
  let m: EntityManager;
  let sut: MessagingRepository;

  beforeAll(async () => {
    db = await openTestDatabase();
    m = db.dataSource.manager;
    sut = new MessagingRepository(db.sql);
  }, 60_000);
  afterAll(() => db?.close());

  async function user(name = 'User'): Promise<string> {
    const rows: { id: string }[] = await m.query(
      `INSERT INTO users (email, password_hash, display_name) VALUES ($1, 'x', $2) RETURNING id`,
      [`${randomUUID()}@repo.test`, name],
    );
    return rows[0].id;
  }

  async function group(...memberIds: string[]): Promise<string> {
    return db.uow.run(async ({ manager }) => {
      const id = await sut.insertGroup(manager, 'group', memberIds[0]);
      await sut.addMembers(manager, id, memberIds, 0);
      return id;
    });
  }

  const append = (conversationId: string, senderId: string, body: string, clientId: string | null = null) =>
    sut.appendMessage(m, { conversationId, senderId, body, clientId });

  async function stored(conversationId: string): Promise<{ lastSeq: number; seqs: number[] }> {
    const conversation = await sut.findConversation(m, conversationId);
    const rows: { seq: number }[] = await m.query(`SELECT seq FROM messages WHERE conversation_id = $1 ORDER BY seq`, [
      conversationId,
    ]);
    return { lastSeq: conversation!.lastSeq, seqs: rows.map((r) => r.seq) };
  }

  describe('appendMessage', () => {
    it('should give gapless seqs from 1 in each conversation under concurrent appends', async () => {
      const [alice, bob] = [await user('Alice'), await user('Bob')];
      const first = await group(alice, bob);
      const second = await group(alice, bob);
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, i) => append(i % 2 === 0 ? first : second, i % 3 === 0 ? bob : alice, `m${i}`)),
      );
      const seqsOf = (id: string) =>
        results
          .map(created)
          .filter((message) => message.conversationId === id)
          .map((message) => message.seq)
          .sort((a, b) => a - b);
      const oneToTwenty = Array.from({ length: 20 }, (_, i) => i + 1);
      expect(seqsOf(first)).toEqual(oneToTwenty);
      expect(seqsOf(second)).toEqual(oneToTwenty);
      expect(await stored(first)).toEqual({ lastSeq: 20, seqs: oneToTwenty });
      expect(await stored(second)).toEqual({ lastSeq: 20, seqs: oneToTwenty });
    });

    it("should answer the message with every member's read mark, the sender's moved to it", async () => {
      const [alice, bob, carol] = [await user(), await user(), await user()];
      const id = await group(alice, bob, carol);
      created(await append(id, alice, 'one'));
      created(await append(id, bob, 'two'));
      const result = await append(id, alice, 'three', 'c-3');
      expect(result).toEqual({
        kind: 'created',
        message: {
          id: expect.stringMatching(/^[0-9a-f-]{36}$/),
          conversationId: id,
          seq: 3,
          senderId: alice,
          body: 'three',
          clientId: 'c-3',
          createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        },
        readers: expect.arrayContaining([
          { userId: alice, lastReadSeq: 3 },
          { userId: bob, lastReadSeq: 2 },
          { userId: carol, lastReadSeq: 0 },
        ]),
      });
      expect(result.kind === 'created' && result.readers).toHaveLength(3);
      expect(await sut.lockReadState(m, id, alice)).toEqual({ lastReadSeq: 3, lastSeq: 3 });
      expect(await sut.lockReadState(m, id, carol)).toEqual({ lastReadSeq: 0, lastSeq: 3 });
    });

    it("should refuse a non-member's append and write nothing, and refuse one to a missing conversation", async () => {
      const [alice, bob, mallory] = [await user(), await user(), await user()];
      const id = await group(alice, bob);
      created(await append(id, alice, 'before'));
      expect(await append(id, mallory, 'intruder')).toEqual({ kind: 'not-member' });
      expect(await stored(id)).toEqual({ lastSeq: 1, seqs: [1] });
      expect(await sut.findByClientId(m, id, mallory, 'x')).toBeUndefined();
      expect(await append(randomUUID(), alice, 'nowhere')).toEqual({ kind: 'not-member' });
      // Who is refused how: a missing conversation is NOT_FOUND, a non-member FORBIDDEN.
      await expect(sut.requireMember(m, id, mallory)).rejects.toMatchObject({ code: ErrorCode.FORBIDDEN });
      await expect(sut.requireMember(m, randomUUID(), alice)).rejects.toMatchObject({ code: ErrorCode.NOT_FOUND });
    });

    it('should refuse a member who has left, and hand the next seq on without a gap', async () => {
      const [alice, bob] = [await user(), await user()];
      const id = await group(alice, bob);
      created(await append(id, bob, 'before leaving'));
      expect(await sut.removeMember(m, id, bob)).toBe(true);
      expect(await append(id, bob, 'after leaving')).toEqual({ kind: 'not-member' });
      expect(created(await append(id, alice, 'still here')).seq).toBe(2);
      expect(await stored(id)).toEqual({ lastSeq: 2, seqs: [1, 2] });
    });

    it('should answer a reused clientId as a duplicate, use no seq, and find the first message by it', async () => {
      const [alice, bob] = [await user(), await user()];
      const id = await group(alice, bob);
      const first = created(await append(id, alice, 'hi', 'c-1'));
      expect(await append(id, alice, 'hi again', 'c-1')).toEqual({ kind: 'duplicate' });
      expect(await sut.findByClientId(m, id, alice, 'c-1')).toEqual(first);
      expect(await stored(id)).toEqual({ lastSeq: 1, seqs: [1] });
      expect(created(await append(id, alice, 'next')).seq).toBe(2);
      // A clientId belongs to its sender: the same one from another member is a new message.
      expect(created(await append(id, bob, 'bob', 'c-1'))).toMatchObject({ seq: 3, senderId: bob });
    });

    it('should let one of concurrent appends with one clientId through, the others duplicates', async () => {
      const [alice, bob] = [await user(), await user()];
      const id = await group(alice, bob);
      const results = await Promise.all(Array.from({ length: 5 }, () => append(id, alice, 'retry', 'same')));
      expect(results.filter((r) => r.kind === 'created')).toHaveLength(1);
      expect(results.filter((r) => r.kind === 'duplicate')).toHaveLength(4);
      expect(await stored(id)).toEqual({ lastSeq: 1, seqs: [1] });
    });
  });

  describe('sends, group-committed (MessagesService)', () => {
    let messages: MessagesService;
    let transactions: number;
    let published: Array<[string, string, { seq?: number }]>;

    beforeEach(() => {
      transactions = 0;
      published = [];
      // Counts the transactions the sends take (a lone message is a transaction of its own too).
      const uow = {
        run: (work: Parameters<typeof db.uow.run>[0]) => {
          transactions += 1;
          return db.uow.run(work);
        },
      } as unknown as typeof db.uow;
      const publisher = {
        publish: (channel: string, event: string, payload: { seq?: number }) =>
          published.push([channel, event, payload]),
      };
      messages = new MessagesService(db.dataSource, uow, sut, publisher as unknown as RealtimePublisher);
    });

    it('should write concurrent sends in fewer transactions, with gapless seqs in arrival order', async () => {
      const [alice, bob] = [await user('Alice'), await user('Bob')];
      const conversations = [await group(alice, bob), await group(alice, bob), await group(alice, bob)];
      // Sent at once: 60 messages over three conversations, 20 each, m0..m19 in order within each.
      const sent = await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          messages.send(principal(i % 2 === 0 ? alice : bob), conversations[i % 3], { body: `m${Math.floor(i / 3)}` }),
        ),
      );
      expect(sent.every((result) => result.created)).toBe(true);
      expect(transactions).toBeGreaterThan(0);
      expect(transactions).toBeLessThan(60);
      const oneToTwenty = Array.from({ length: 20 }, (_, i) => i + 1);
      for (const id of conversations) {
        expect(await stored(id)).toEqual({ lastSeq: 20, seqs: oneToTwenty });
        const ofIt = sent.map((result) => result.value).filter((message) => message.conversationId === id);
        // Arrival order is seq order: m0 got seq 1, m19 seq 20.
        expect(ofIt.map((message) => [message.body, message.seq])).toEqual(
          oneToTwenty.map((seq) => [`m${seq - 1}`, seq]),
        );
      }
      // One message:new per message, each after its commit.
      expect(published.filter(([, event]) => event === 'message:new')).toHaveLength(60);
    });

    it('should answer a retried clientId and a non-member within a batch on their own, and write the rest once', async () => {
      const [alice, bob, mallory] = [await user('Alice'), await user('Bob'), await user('Mallory')];
      const id = await group(alice, bob);
      const other = await group(alice, bob);
      const first = await messages.send(principal(alice), id, { body: 'first', clientId: 'retried' });
      expect(first.created).toBe(true);
      const outcomes = await Promise.allSettled([
        messages.send(principal(bob), other, { body: 'b1' }),
        messages.send(principal(alice), id, { body: 'again', clientId: 'retried' }),
        messages.send(principal(mallory), id, { body: 'not a member' }),
        messages.send(principal(bob), id, { body: 'b2' }),
        messages.send(principal(alice), id, { body: 'again, twice', clientId: 'retried' }),
      ]);
      const [b1, again, refused, b2, twice] = outcomes;
      expect(b1).toMatchObject({ status: 'fulfilled', value: { created: true, value: { seq: 1, body: 'b1' } } });
      expect(again).toMatchObject({ status: 'fulfilled', value: { created: false, value: first.value } });
      expect(twice).toMatchObject({ status: 'fulfilled', value: { created: false, value: first.value } });
      expect(refused).toMatchObject({ status: 'rejected', reason: { code: ErrorCode.FORBIDDEN } });
      expect(b2).toMatchObject({ status: 'fulfilled', value: { created: true, value: { seq: 2, body: 'b2' } } });
      expect(await stored(id)).toEqual({ lastSeq: 2, seqs: [1, 2] });
      expect(await stored(other)).toEqual({ lastSeq: 1, seqs: [1] });
      // The first message alone; then one batch, tried and rolled back; its five messages then went one by one.
      expect(transactions).toBe(1 + 1 + 5);
    });

    it("should roll back a batch whose last statement was a retried clientId's, and write the others alone", async () => {
      const [alice, bob] = [await user('Alice'), await user('Bob')];
      const id = await group(alice, bob);
      const first = await messages.send(principal(alice), id, { body: 'first', clientId: 'retried' });
      // One conversation, one batch: the duplicate's statement comes last, after the others succeeded.
      const [fresh, again] = await Promise.all([
        messages.send(principal(bob), id, { body: 'fresh' }),
        messages.send(principal(alice), id, { body: 'again', clientId: 'retried' }),
      ]);
      expect(fresh).toMatchObject({ created: true, value: { seq: 2, body: 'fresh' } });
      expect(again).toEqual({ created: false, value: first.value });
      expect(await stored(id)).toEqual({ lastSeq: 2, seqs: [1, 2] });
      // The first alone, the batch rolled back, then its two messages alone.
      expect(transactions).toBe(1 + 1 + 2);
    });
  });

  describe('messages', () => {
    let id: string;

    beforeAll(async () => {
      const [alice, bob] = [await user(), await user()];
      id = await group(alice, bob);
      for (let i = 1; i <= 7; i += 1) created(await append(id, alice, `m${i}`));
    });

    const seqs = (views: MessageView[]) => views.map((view) => view.seq);
    const page = (query: { afterSeq?: number; beforeSeq?: number; limit: number; newest: boolean }) =>
      sut.messages(m, id, query).then(seqs);

    it('should answer the newest ones ascending, below beforeSeq when given', async () => {
      expect(await page({ limit: 3, newest: true })).toEqual([5, 6, 7]);
      expect(await page({ limit: 3, newest: true, beforeSeq: 5 })).toEqual([2, 3, 4]);
      expect(await page({ limit: 3, newest: true, beforeSeq: 5, afterSeq: 3 })).toEqual([4]);
    });

    it('should answer the first ones after afterSeq, below beforeSeq when given', async () => {
      expect(await page({ limit: 3, newest: false, afterSeq: 1 })).toEqual([2, 3, 4]);
      expect(await page({ limit: 10, newest: false, afterSeq: 4, beforeSeq: 7 })).toEqual([5, 6]);
      expect(await page({ limit: 10, newest: false, afterSeq: 7 })).toEqual([]);
    });

    it('should answer the message at a seq, the last one of each conversation, and null below 1', async () => {
      expect(await sut.messageAt(m, id, 4)).toMatchObject({ seq: 4, body: 'm4' });
      expect(await sut.messageAt(m, id, 0)).toBeNull();
      expect(await sut.messageAt(m, id, 8)).toBeNull();
      const last = await sut.lastMessages(m, [id, randomUUID()]);
      expect([...last.keys()]).toEqual([id]);
      expect(last.get(id)).toMatchObject({ seq: 7, body: 'm7' });
    });
  });

  describe('read marks', () => {
    let alice: string;
    let bob: string;
    let id: string;
    let published: Array<[string, string, unknown]>;
    let messages: MessagesService;

    beforeEach(async () => {
      [alice, bob] = [await user(), await user()];
      id = await group(alice, bob);
      for (let i = 1; i <= 5; i += 1) created(await append(id, alice, `m${i}`));
      published = [];
      const publisher = {
        publish: (channel: string, event: string, payload: unknown) => published.push([channel, event, payload]),
      };
      messages = new MessagesService(db.dataSource, db.uow, sut, publisher as unknown as RealtimePublisher);
    });

    it('should move a mark forward only', async () => {
      await sut.markRead(m, id, bob, 4);
      await sut.markRead(m, id, bob, 2);
      expect(await sut.lockReadState(m, id, bob)).toEqual({ lastReadSeq: 4, lastSeq: 5 });
      const [row] = await sut.listForUser(m, bob, 10);
      expect(row).toMatchObject({ id, lastSeq: 5, lastReadSeq: 4 });
    });

    it('should follow with the unread counts: advance, never back, clamped to the last seq', async () => {
      expect(await messages.read(principal(bob), id, 3)).toEqual({ lastReadSeq: 3, unreadCount: 2 });
      expect(await messages.read(principal(bob), id, 1)).toEqual({ lastReadSeq: 3, unreadCount: 2 });
      expect(await sut.lockReadState(m, id, bob)).toEqual({ lastReadSeq: 3, lastSeq: 5 });
      expect(await messages.read(principal(bob), id, 999)).toEqual({ lastReadSeq: 5, unreadCount: 0 });
      expect(await sut.lockReadState(m, id, bob)).toEqual({ lastReadSeq: 5, lastSeq: 5 });
      // Published after each commit that moved the mark, and only then.
      expect(published.map(([, event, payload]) => [event, payload as { seq?: number; unreadCount?: number }])).toEqual(
        [
          ['message:read', { conversationId: id, userId: bob, seq: 3 }],
          ['inbox:update', expect.objectContaining({ unreadCount: 2, lastReadSeq: 3, lastMessageSeq: 5 })],
          ['message:read', { conversationId: id, userId: bob, seq: 5 }],
          ['inbox:update', expect.objectContaining({ unreadCount: 0, lastReadSeq: 5, lastMessageSeq: 5 })],
        ],
      );
      // The next message counts as unread for the reader, not for its sender.
      const next = await append(id, alice, 'm6');
      expect(next.kind === 'created' && next.readers).toEqual(
        expect.arrayContaining([
          { userId: alice, lastReadSeq: 6 },
          { userId: bob, lastReadSeq: 5 },
        ]),
      );
    });

    // Two sessions at once: only Postgres has them (PGlite's one backend runs transactions in turn), so on the embedded
    // database these two skip; TEST_DATABASE_URL runs them (CI sets it).
    const concurrently = testDatabaseKind === 'postgres' ? it : it.skip;
    /** Whether `promise` is still pending after `ms`. */
    const stillWaiting = (promise: Promise<unknown>, ms = 300) =>
      Promise.race([promise.then(() => false), new Promise<boolean>((resolve) => setTimeout(() => resolve(true), ms))]);

    concurrently("should count a read committed while a message waited, in that message's inbox:update", async () => {
      const reader = db.dataSource.createQueryRunner();
      await reader.connect();
      try {
        await reader.startTransaction();
        // What MessagesService.read does, left open before its COMMIT.
        await sut.requireMember(reader.manager, id, bob, 'share');
        await sut.lockReadState(reader.manager, id, bob);
        await sut.markRead(reader.manager, id, bob, 5);
        const sent = messages.send(principal(alice), id, { body: 'm6' });
        expect(await stillWaiting(sent)).toBe(true);
        await reader.commitTransaction();
        expect(await sent).toMatchObject({ created: true, value: { seq: 6 } });
        // Before: the append read Bob's mark as it was when its statement began, and told him of 6 unread.
        expect(published.find(([channel, event]) => channel === `user:${bob}` && event === 'inbox:update')).toEqual([
          `user:${bob}`,
          'inbox:update',
          expect.objectContaining({ lastMessageSeq: 6, lastReadSeq: 5, unreadCount: 1 }),
        ]);
      } finally {
        await reader.release();
      }
    });

    concurrently('should read and move a mark only once the append in progress has committed', async () => {
      const writer = db.dataSource.createQueryRunner();
      await writer.connect();
      try {
        await writer.startTransaction();
        created(
          await sut.appendMessage(writer.manager, { conversationId: id, senderId: alice, body: 'm6', clientId: null }),
        );
        const read = messages.read(principal(bob), id, 999);
        expect(await stillWaiting(read)).toBe(true);
        await writer.commitTransaction();
        // Before: the read counted up to the last seq it saw, 5, and announced 0 unread with the sixth unread.
        expect(await read).toEqual({ lastReadSeq: 6, unreadCount: 0 });
        expect(published.at(-1)).toEqual([
          `user:${bob}`,
          'inbox:update',
          expect.objectContaining({ lastMessageSeq: 6, lastReadSeq: 6, unreadCount: 0 }),
        ]);
      } finally {
        await writer.release();
      }
    });

    it("should refuse a non-member's read with FORBIDDEN, and publish nothing", async () => {
      const mallory = await user();
      await expect(messages.read(principal(mallory), id, 3)).rejects.toMatchObject({ code: ErrorCode.FORBIDDEN });
      expect(published).toEqual([]);
    });
  });

  describe('members and conversations', () => {
    it('should add only new members, count them, and list them in joining order with names', async () => {
      const [alice, bob, carol] = [await user('Alice'), await user('Bob'), await user('Carol')];
      const id = await group(alice, bob);
      expect(await sut.addMembers(m, id, [bob, carol], 0)).toEqual([carol]);
      expect(await sut.countMembers(m, id)).toBe(3);
      // Alice and Bob joined in one transaction (one joined_at): by id; Carol after them.
      const founders = [
        { userId: alice, displayName: 'Alice', lastReadSeq: 0 },
        { userId: bob, displayName: 'Bob', lastReadSeq: 0 },
      ].sort((x, y) => (x.userId < y.userId ? -1 : 1));
      expect((await sut.members(m, [id])).get(id)).toEqual([
        ...founders,
        { userId: carol, displayName: 'Carol', lastReadSeq: 0 },
      ]);
      expect(await sut.removeMember(m, id, carol)).toBe(true);
      expect(await sut.removeMember(m, id, carol)).toBe(false);
      expect(await sut.sharingWith(m, alice, [bob, carol])).toEqual(new Set([bob]));
    });

    it('should create one direct conversation per key', async () => {
      const [alice, bob] = [await user(), await user()];
      const key = `${alice}:${bob}`;
      const id = await sut.insertDirect(m, key, alice);
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      expect(await sut.insertDirect(m, key, bob)).toBeUndefined();
      expect(await sut.findDirect(m, key)).toBe(id);
    });

    it('should tell enabled users from unknown and disabled ones', async () => {
      const [alice, disabled] = [await user(), await user()];
      await m.query(`UPDATE users SET disabled = true WHERE id = $1`, [disabled]);
      const unknown = randomUUID();
      expect(await sut.existingUsers(m, [alice, disabled, unknown])).toEqual([alice]);
      expect(await sut.userExists(m, disabled)).toBe(true);
      expect(await sut.userExists(m, unknown)).toBe(false);
    });
  });
});
