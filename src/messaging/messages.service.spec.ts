import type { DataSource, EntityManager } from 'typeorm';
import type { Principal } from '../auth/principal.js';
import { DomainException } from '../common/domain.exception.js';
import { ErrorCode } from '../common/error-codes.js';
import { cursorField, decodeCursor } from '../common/pagination.js';
import type { RealtimePublisher } from '../realtime/realtime.publisher.js';
import { MessagesService } from './messages.service.js';
import type { AppendResult, MembershipRow, MessagingRepository, NewMessage } from './messaging.repository.js';
import type { MessageView } from './messaging.types.js';

// ESM specs have no global `jest` object; Jest exposes it here.
const { jest } = import.meta;

const CONVERSATION = '11111111-1111-4111-8111-111111111111';
const ALICE = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const BOB = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';
const MALLORY = 'cccccccc-cccc-4ccc-8ccc-cccccccccccc';

const principal = (id: string): Principal => ({ id, role: 'user', tokenVersion: 0, expiresAt: Date.now() + 60_000 });

interface State {
  lastSeq: number;
  reads: Map<string, number>;
  messages: MessageView[];
}

/** An in-memory stand-in for the SQL, with the same unique constraints; a transaction rolls back on a throw. */
class FakeStore {
  state: State = {
    lastSeq: 0,
    reads: new Map([
      [ALICE, 0],
      [BOB, 0],
    ]),
    messages: [],
  };
  /** When set, the next insert reports a clientId conflict (as if a retry slipped past the check). */
  conflictOnce = false;

  async requireMember(_m: EntityManager, conversationId: string, userId: string): Promise<MembershipRow> {
    if (conversationId !== CONVERSATION) throw DomainException.notFound('Conversation');
    if (!this.state.reads.has(userId)) throw DomainException.forbidden();
    return {
      conversation: {
        id: CONVERSATION,
        kind: 'group',
        title: 't',
        lastSeq: this.state.lastSeq,
        createdAt: '',
        activity: '',
      },
      lastReadSeq: this.state.reads.get(userId)!,
    };
  }

  async findByClientId(_m: EntityManager, _c: string, senderId: string, clientId: string) {
    return this.state.messages.find((x) => x.senderId === senderId && x.clientId === clientId);
  }

  /** Like the one-statement SQL: all or nothing, the clientId constraint checked, the sender's mark moved. */
  async appendMessage(_m: EntityManager, message: NewMessage): Promise<AppendResult> {
    if (message.conversationId !== CONVERSATION || !this.state.reads.has(message.senderId))
      return { kind: 'not-member' };
    if (
      this.conflictOnce ||
      (message.clientId !== null &&
        this.state.messages.some((x) => x.senderId === message.senderId && x.clientId === message.clientId))
    ) {
      this.conflictOnce = false;
      return { kind: 'duplicate' };
    }
    const seq = this.state.lastSeq + 1;
    const view: MessageView = {
      id: `m${seq}`,
      conversationId: message.conversationId,
      seq,
      senderId: message.senderId,
      body: message.body,
      clientId: message.clientId,
      createdAt: new Date(0).toISOString(),
    };
    this.state.messages.push(view);
    this.state.lastSeq = seq;
    this.state.reads.set(message.senderId, seq);
    return { kind: 'created', message: view, readers: await this.readStates() };
  }

  async markRead(_m: EntityManager, _c: string, userId: string, seq: number): Promise<void> {
    this.state.reads.set(userId, Math.max(this.state.reads.get(userId) ?? 0, seq));
  }

  async readStates() {
    return [...this.state.reads].map(([userId, lastReadSeq]) => ({ userId, lastReadSeq }));
  }

  async lockReadState(_m: EntityManager, _c: string, userId: string) {
    const lastReadSeq = this.state.reads.get(userId);
    return lastReadSeq === undefined ? undefined : { lastReadSeq, lastSeq: this.state.lastSeq };
  }

  async messageAt(_m: EntityManager, _c: string, seq: number) {
    return this.state.messages.find((x) => x.seq === seq) ?? null;
  }

  async messages(
    _m: EntityManager,
    _c: string,
    q: { afterSeq?: number; beforeSeq?: number; limit: number; newest: boolean },
  ): Promise<MessageView[]> {
    const inRange = this.state.messages
      .filter(
        (x) => (q.afterSeq === undefined || x.seq > q.afterSeq) && (q.beforeSeq === undefined || x.seq < q.beforeSeq),
      )
      .sort((a, b) => a.seq - b.seq);
    return q.newest ? inRange.slice(-q.limit) : inRange.slice(0, q.limit);
  }
}

function fakeDataSource(store: FakeStore): DataSource {
  const manager = {} as EntityManager;
  return {
    manager,
    transaction: async <T>(run: (m: EntityManager) => Promise<T>): Promise<T> => {
      const saved: State = {
        lastSeq: store.state.lastSeq,
        reads: new Map(store.state.reads),
        messages: [...store.state.messages],
      };
      try {
        return await run(manager);
      } catch (err) {
        store.state = saved;
        throw err;
      }
    },
  } as unknown as DataSource;
}

describe(MessagesService.name, () => {
  let sut: MessagesService;
  let store: FakeStore;
  let publish: jest.Mock;

  beforeEach(() => {
    store = new FakeStore();
    publish = jest.fn();
    sut = new MessagesService(
      fakeDataSource(store),
      store as unknown as MessagingRepository,
      { publish } as unknown as RealtimePublisher,
    );
  });

  const published = (event: string) => publish.mock.calls.filter((call) => call[1] === event);

  describe('send', () => {
    it('should allocate seqs one by one from 1', async () => {
      const seqs: number[] = [];
      for (let i = 0; i < 5; i += 1)
        seqs.push((await sut.send(principal(ALICE), CONVERSATION, { body: `m${i}` })).value.seq);
      expect(seqs).toEqual([1, 2, 3, 4, 5]);
      expect(store.state.lastSeq).toBe(5);
    });

    it('should publish message:new ordered by the conversation key and seq', async () => {
      const { value, created } = await sut.send(principal(ALICE), CONVERSATION, { body: 'hello' });
      expect(created).toBe(true);
      expect(published('message:new')).toEqual([
        [
          `conversation:${CONVERSATION}`,
          'message:new',
          value,
          { order: { key: `conversation:${CONVERSATION}`, seq: 1 } },
        ],
      ]);
    });

    it("should move the sender's read mark and send each member their own unread count", async () => {
      await sut.send(principal(BOB), CONVERSATION, { body: 'one' });
      const { value } = await sut.send(principal(ALICE), CONVERSATION, { body: 'two' });
      expect(store.state.reads.get(ALICE)).toBe(2);
      expect(store.state.reads.get(BOB)).toBe(1);
      const inbox = published('inbox:update').slice(-2);
      expect(inbox).toEqual(
        expect.arrayContaining([
          [
            `user:${ALICE}`,
            'inbox:update',
            { conversationId: CONVERSATION, lastMessage: value, unreadCount: 0, lastMessageSeq: 2, lastReadSeq: 2 },
          ],
          [
            `user:${BOB}`,
            'inbox:update',
            { conversationId: CONVERSATION, lastMessage: value, unreadCount: 1, lastMessageSeq: 2, lastReadSeq: 1 },
          ],
        ]),
      );
    });

    it('should answer the first message for a retried clientId, publish nothing and use no seq', async () => {
      const first = await sut.send(principal(ALICE), CONVERSATION, { body: 'hi', clientId: 'c-1' });
      publish.mockClear();
      const retry = await sut.send(principal(ALICE), CONVERSATION, { body: 'hi again', clientId: 'c-1' });
      expect(retry).toEqual({ value: first.value, created: false });
      expect(publish).not.toHaveBeenCalled();
      expect(store.state.messages).toHaveLength(1);
      const next = await sut.send(principal(ALICE), CONVERSATION, { body: 'next' });
      expect(next.value.seq).toBe(2);
    });

    it('should scope a clientId to its sender', async () => {
      await sut.send(principal(ALICE), CONVERSATION, { body: 'a', clientId: 'same' });
      const bob = await sut.send(principal(BOB), CONVERSATION, { body: 'b', clientId: 'same' });
      expect(bob).toMatchObject({ created: true, value: { seq: 2, senderId: BOB } });
    });

    it('should answer the first message when the unique constraint catches a retry, without a gap', async () => {
      const first = await sut.send(principal(ALICE), CONVERSATION, { body: 'hi', clientId: 'c-2' });
      store.conflictOnce = true;
      publish.mockClear();
      const retry = await sut.send(principal(ALICE), CONVERSATION, { body: 'hi', clientId: 'c-2' });
      expect(retry).toEqual({ value: first.value, created: false });
      expect(publish).not.toHaveBeenCalled();
      expect(store.state.lastSeq).toBe(1);
    });

    it('should refuse a non-member with FORBIDDEN and write nothing', async () => {
      await expect(sut.send(principal(MALLORY), CONVERSATION, { body: 'x' })).rejects.toMatchObject({
        code: ErrorCode.FORBIDDEN,
      });
      expect(store.state.messages).toHaveLength(0);
      expect(publish).not.toHaveBeenCalled();
    });

    it('should refuse a missing conversation with NOT_FOUND', async () => {
      await expect(
        sut.send(principal(ALICE), '22222222-2222-4222-8222-222222222222', { body: 'x' }),
      ).rejects.toMatchObject({ code: ErrorCode.NOT_FOUND });
    });
  });

  describe('read', () => {
    beforeEach(async () => {
      for (let i = 0; i < 5; i += 1) await sut.send(principal(ALICE), CONVERSATION, { body: `m${i}` });
      publish.mockClear();
    });

    it('should move the read mark, answer the unread count and publish message:read and inbox:update', async () => {
      expect(await sut.read(principal(BOB), CONVERSATION, 3)).toEqual({ lastReadSeq: 3, unreadCount: 2 });
      expect(publish.mock.calls).toEqual([
        [`conversation:${CONVERSATION}`, 'message:read', { conversationId: CONVERSATION, userId: BOB, seq: 3 }],
        [
          `user:${BOB}`,
          'inbox:update',
          {
            conversationId: CONVERSATION,
            lastMessage: expect.objectContaining({ seq: 5 }),
            unreadCount: 2,
            lastMessageSeq: 5,
            lastReadSeq: 3,
          },
        ],
      ]);
    });

    it('should never move back, and publish nothing when the mark did not move', async () => {
      await sut.read(principal(BOB), CONVERSATION, 4);
      publish.mockClear();
      expect(await sut.read(principal(BOB), CONVERSATION, 2)).toEqual({ lastReadSeq: 4, unreadCount: 1 });
      expect(publish).not.toHaveBeenCalled();
    });

    it('should clamp a seq past the last one', async () => {
      expect(await sut.read(principal(BOB), CONVERSATION, 999)).toEqual({ lastReadSeq: 5, unreadCount: 0 });
    });
  });

  describe('list', () => {
    beforeEach(async () => {
      for (let i = 0; i < 7; i += 1) await sut.send(principal(ALICE), CONVERSATION, { body: `m${i + 1}` });
    });

    const seqs = (page: { items: MessageView[] }) => page.items.map((m) => m.seq);

    it('should answer the latest messages ascending, with a cursor to older ones', async () => {
      const page = await sut.list(principal(BOB), CONVERSATION, { limit: 3 });
      expect(seqs(page)).toEqual([5, 6, 7]);
      const older = await sut.list(principal(BOB), CONVERSATION, { limit: 3, cursor: page.nextCursor! });
      expect(seqs(older)).toEqual([2, 3, 4]);
      const oldest = await sut.list(principal(BOB), CONVERSATION, { limit: 3, cursor: older.nextCursor! });
      expect(seqs(oldest)).toEqual([1]);
      expect(oldest.nextCursor).toBeNull();
    });

    it('should answer the messages just after afterSeq, with a cursor to newer ones', async () => {
      const page = await sut.list(principal(BOB), CONVERSATION, { limit: 4, afterSeq: 1 });
      expect(seqs(page)).toEqual([2, 3, 4, 5]);
      expect(
        decodeCursor(page.nextCursor!, [
          cursorField.oneOf('after', 'before'),
          cursorField.seq,
          cursorField.nullable(cursorField.seq),
        ]),
      ).toEqual(['after', 5, null]);
      const rest = await sut.list(principal(BOB), CONVERSATION, { limit: 4, cursor: page.nextCursor! });
      expect(seqs(rest)).toEqual([6, 7]);
      expect(rest.nextCursor).toBeNull();
    });

    it('should answer the messages just before beforeSeq', async () => {
      expect(seqs(await sut.list(principal(BOB), CONVERSATION, { limit: 2, beforeSeq: 4 }))).toEqual([2, 3]);
    });

    it('should refuse a malformed cursor with VALIDATION_FAILED', async () => {
      await expect(
        sut.list(principal(BOB), CONVERSATION, { cursor: Buffer.from('["sideways",1,null]').toString('base64url') }),
      ).rejects.toMatchObject({ code: ErrorCode.VALIDATION_FAILED });
    });
  });
});
