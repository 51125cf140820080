// The rules of MessagesService that need no database: what is published for which outcome of the repository, when
// (after the commit, never on a rollback), and how a page and its cursor are made. The statements themselves are
// checked against a real database in messaging.repository.spec.ts.
import type { DataSource, EntityManager } from 'typeorm';
import type { Principal } from '../auth/principal.js';
import { DomainException } from '../common/domain.exception.js';
import { ErrorCode } from '../common/error-codes.js';
import { cursorField, decodeCursor, encodeCursor } from '../common/pagination.js';
import { unitOfWorkOver } from '../../test/helpers/unit-of-work.js';
import type { RealtimePublisher } from '../realtime/realtime.publisher.js';
import { MessagesService } from './messages.service.js';
import type { MessagingRepository } from './messaging.repository.js';
import type { MessageView } from './messaging.types.js';

// ESM specs have no global `jest` object; Jest exposes it here.
const { jest } = import.meta;

const CONVERSATION = '11111111-1111-4111-8111-111111111111';
const ALICE = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const BOB = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';
const CHANNEL = `conversation:${CONVERSATION}`;

const principal = (id: string): Principal => ({ id, role: 'user', tokenVersion: 0, expiresAt: Date.now() + 60_000 });

const message = (seq: number, overrides: Partial<MessageView> = {}): MessageView => ({
  id: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
  conversationId: CONVERSATION,
  seq,
  senderId: ALICE,
  body: `m${seq}`,
  clientId: null,
  createdAt: '2025-01-01T00:00:00.000Z',
  ...overrides,
});

const pageCursor = (cursor: string | null) =>
  decodeCursor(cursor ?? undefined, [
    cursorField.oneOf('after', 'before'),
    cursorField.seq,
    cursorField.nullable(cursorField.seq),
  ]);

describe(MessagesService.name, () => {
  const pool = { name: 'pool' } as unknown as EntityManager;
  const txManager = { name: 'tx' } as unknown as EntityManager;
  let sut: MessagesService;
  let repository: { [K in keyof MessagingRepository]: jest.Mock };
  let publish: jest.Mock;
  /** What happened, in order: the repository's writes, 'commit', and every publish. */
  let log: string[];

  beforeEach(() => {
    log = [];
    publish = jest.fn((_channel: string, event: string) => log.push(`publish ${event}`));
    repository = {
      appendMessage: jest.fn(),
      lockForAppend: jest.fn(async () => log.push('lock')),
      requireMember: jest.fn(async () => ({})),
      findByClientId: jest.fn(),
      lockReadState: jest.fn(),
      markRead: jest.fn(async () => log.push('markRead')),
      messageAt: jest.fn(async (_m: EntityManager, _c: string, seq: number) => message(seq)),
      messages: jest.fn(async () => []),
    } as unknown as typeof repository;
    const uow = unitOfWorkOver(txManager, () => log.push('commit'));
    sut = new MessagesService(
      { manager: pool } as unknown as DataSource,
      uow,
      repository as unknown as MessagingRepository,
      { publish } as unknown as RealtimePublisher,
    );
  });

  describe('send', () => {
    it('should append through the repository and publish message:new ordered by the conversation and seq', async () => {
      const sent = message(7, { clientId: 'c-1' });
      repository.appendMessage.mockResolvedValue({ kind: 'created', message: sent, readers: [] });
      expect(await sut.send(principal(ALICE), CONVERSATION, { body: 'm7', clientId: 'c-1' })).toEqual({
        value: sent,
        created: true,
      });
      // In a transaction of its own, the conversation's row locked by a statement before the append's.
      expect(repository.lockForAppend).toHaveBeenCalledWith(txManager, [CONVERSATION]);
      expect(repository.appendMessage).toHaveBeenCalledWith(txManager, {
        conversationId: CONVERSATION,
        senderId: ALICE,
        body: 'm7',
        clientId: 'c-1',
      });
      expect(log).toEqual(['lock', 'commit', 'publish message:new']);
      expect(publish.mock.calls).toEqual([[CHANNEL, 'message:new', sent, { order: { key: CHANNEL, seq: 7 } }]]);
    });

    it('should send each reader an inbox:update with their own unread count', async () => {
      const sent = message(5);
      repository.appendMessage.mockResolvedValue({
        kind: 'created',
        message: sent,
        readers: [
          { userId: ALICE, lastReadSeq: 5 },
          { userId: BOB, lastReadSeq: 2 },
        ],
      });
      await sut.send(principal(ALICE), CONVERSATION, { body: 'm5' });
      const inbox = (userId: string, lastReadSeq: number, unreadCount: number) => [
        `user:${userId}`,
        'inbox:update',
        { conversationId: CONVERSATION, lastMessage: sent, unreadCount, lastMessageSeq: 5, lastReadSeq },
        // A state: a copy older than one delivered is dropped (the version is the last seq plus the read mark).
        { latest: { key: `inbox:${CONVERSATION}`, version: 5 + lastReadSeq } },
      ];
      expect(publish.mock.calls.slice(1)).toEqual([inbox(ALICE, 5, 0), inbox(BOB, 2, 3)]);
    });

    it('should answer the first message for a duplicate clientId, with created false, and publish nothing', async () => {
      const first = message(3, { clientId: 'c-1' });
      repository.appendMessage.mockResolvedValue({ kind: 'duplicate' });
      repository.findByClientId.mockResolvedValue(first);
      expect(await sut.send(principal(ALICE), CONVERSATION, { body: 'again', clientId: 'c-1' })).toEqual({
        value: first,
        created: false,
      });
      expect(repository.findByClientId).toHaveBeenCalledWith(pool, CONVERSATION, ALICE, 'c-1');
      expect(publish).not.toHaveBeenCalled();
    });

    it('should fail loudly when a duplicate has no first message', async () => {
      repository.appendMessage.mockResolvedValue({ kind: 'duplicate' });
      repository.findByClientId.mockResolvedValue(undefined);
      await expect(sut.send(principal(ALICE), CONVERSATION, { body: 'x', clientId: 'c-1' })).rejects.toThrow(
        'Message insert conflicted without a first message',
      );
      expect(publish).not.toHaveBeenCalled();
    });

    it("should refuse a non-member with FORBIDDEN, and answer requireMember's NOT_FOUND for a missing conversation", async () => {
      repository.appendMessage.mockResolvedValue({ kind: 'not-member' });
      await expect(sut.send(principal(BOB), CONVERSATION, { body: 'x' })).rejects.toMatchObject({
        code: ErrorCode.FORBIDDEN,
      });
      repository.requireMember.mockRejectedValueOnce(DomainException.notFound('Conversation'));
      await expect(sut.send(principal(BOB), CONVERSATION, { body: 'x' })).rejects.toMatchObject({
        code: ErrorCode.NOT_FOUND,
      });
      expect(repository.requireMember).toHaveBeenCalledWith(pool, CONVERSATION, BOB);
      expect(publish).not.toHaveBeenCalled();
    });

    it('should announce each message of a rolled-back batch as soon as it is stored alone, not once all are', async () => {
      const created = (seq: number) => ({ kind: 'created', message: message(seq), readers: [] });
      let release!: () => void;
      const third = new Promise((resolve) => (release = () => resolve(created(2))));
      repository.appendMessage
        // The batch: the retried clientId's statement fails it (as Postgres's unique violation would).
        .mockResolvedValueOnce(created(1))
        .mockRejectedValueOnce(new Error('duplicate key value violates unique constraint'))
        .mockResolvedValueOnce(created(2))
        // Then one by one: the first, the duplicate, and a third that takes its time.
        .mockResolvedValueOnce(created(1))
        .mockResolvedValueOnce({ kind: 'duplicate' })
        .mockReturnValueOnce(third);
      repository.findByClientId.mockResolvedValue(message(0, { clientId: 'c-0' }));
      const sends = [
        sut.send(principal(ALICE), CONVERSATION, { body: 'm1' }),
        sut.send(principal(ALICE), CONVERSATION, { body: 'again', clientId: 'c-0' }),
        sut.send(principal(ALICE), CONVERSATION, { body: 'm2' }),
      ];
      while (repository.appendMessage.mock.calls.length < 6) await new Promise((resolve) => setImmediate(resolve));
      // Before: nothing was published until the third was stored too.
      expect(publish.mock.calls.map(([, event, payload]) => [event, (payload as MessageView).seq])).toEqual([
        ['message:new', 1],
      ]);
      release();
      await Promise.all(sends);
      expect(publish.mock.calls.map(([, event, payload]) => [event, (payload as MessageView).seq])).toEqual([
        ['message:new', 1],
        ['message:new', 2],
      ]);
    });
  });

  describe('read', () => {
    it('should move the mark in the transaction and publish message:read and inbox:update after the commit', async () => {
      repository.lockReadState.mockResolvedValue({ lastReadSeq: 1, lastSeq: 5 });
      expect(await sut.read(principal(BOB), CONVERSATION, 3)).toEqual({ lastReadSeq: 3, unreadCount: 2 });
      expect(repository.markRead).toHaveBeenCalledWith(txManager, CONVERSATION, BOB, 3);
      expect(repository.messageAt).toHaveBeenCalledWith(txManager, CONVERSATION, 5);
      expect(log).toEqual(['markRead', 'commit', 'publish message:read', 'publish inbox:update']);
      expect(publish.mock.calls).toEqual([
        [
          CHANNEL,
          'message:read',
          { conversationId: CONVERSATION, userId: BOB, seq: 3 },
          { latest: { key: `read:${BOB}`, version: 3 } },
        ],
        [
          `user:${BOB}`,
          'inbox:update',
          { conversationId: CONVERSATION, lastMessage: message(5), unreadCount: 2, lastMessageSeq: 5, lastReadSeq: 3 },
          { latest: { key: `inbox:${CONVERSATION}`, version: 5 + 3 } },
        ],
      ]);
    });

    it('should clamp to the last seq', async () => {
      repository.lockReadState.mockResolvedValue({ lastReadSeq: 1, lastSeq: 5 });
      expect(await sut.read(principal(BOB), CONVERSATION, 999)).toEqual({ lastReadSeq: 5, unreadCount: 0 });
      expect(repository.markRead).toHaveBeenCalledWith(txManager, CONVERSATION, BOB, 5);
    });

    it('should write and publish nothing when the mark would not move forward', async () => {
      repository.lockReadState.mockResolvedValue({ lastReadSeq: 4, lastSeq: 5 });
      expect(await sut.read(principal(BOB), CONVERSATION, 2)).toEqual({ lastReadSeq: 4, unreadCount: 1 });
      expect(repository.markRead).not.toHaveBeenCalled();
      expect(publish).not.toHaveBeenCalled();
    });

    it('should publish nothing when the transaction fails after the mark moved', async () => {
      repository.lockReadState.mockResolvedValue({ lastReadSeq: 1, lastSeq: 5 });
      repository.messageAt.mockRejectedValue(new Error('connection lost'));
      await expect(sut.read(principal(BOB), CONVERSATION, 3)).rejects.toThrow('connection lost');
      expect(log).toEqual(['markRead']);
    });

    it('should refuse with FORBIDDEN when the member row is gone once locked', async () => {
      repository.lockReadState.mockResolvedValue(undefined);
      await expect(sut.read(principal(BOB), CONVERSATION, 3)).rejects.toMatchObject({ code: ErrorCode.FORBIDDEN });
      expect(repository.markRead).not.toHaveBeenCalled();
    });
  });

  describe('list', () => {
    /** The repository answers `count` messages ending at `last` (ascending), as for a query asking limit + 1. */
    const answer = (first: number, last: number) =>
      repository.messages.mockResolvedValueOnce(Array.from({ length: last - first + 1 }, (_, i) => message(first + i)));
    const seqs = (page: { items: MessageView[] }) => page.items.map((m) => m.seq);

    it('should ask for the newest limit + 1 and drop the oldest extra, with a cursor to older ones', async () => {
      answer(4, 7);
      const page = await sut.list(principal(BOB), CONVERSATION, { limit: 3 });
      expect(repository.messages).toHaveBeenCalledWith(pool, CONVERSATION, {
        afterSeq: undefined,
        beforeSeq: undefined,
        limit: 4,
        newest: true,
      });
      expect(seqs(page)).toEqual([5, 6, 7]);
      expect(pageCursor(page.nextCursor)).toEqual(['before', 5, null]);
    });

    it('should ask for the first ones after afterSeq and drop the newest extra, with a cursor to newer ones', async () => {
      answer(2, 6);
      const page = await sut.list(principal(BOB), CONVERSATION, { limit: 4, afterSeq: 1, beforeSeq: 9 });
      expect(repository.messages).toHaveBeenCalledWith(pool, CONVERSATION, {
        afterSeq: 1,
        beforeSeq: 9,
        limit: 5,
        newest: false,
      });
      expect(seqs(page)).toEqual([2, 3, 4, 5]);
      expect(pageCursor(page.nextCursor)).toEqual(['after', 5, 9]);
    });

    it('should continue from a cursor the way it was made, and end with no cursor', async () => {
      answer(1, 2);
      const older = await sut.list(principal(BOB), CONVERSATION, {
        limit: 3,
        cursor: encodeCursor(['before', 3, null]),
      });
      expect(repository.messages).toHaveBeenLastCalledWith(pool, CONVERSATION, {
        afterSeq: undefined,
        beforeSeq: 3,
        limit: 4,
        newest: true,
      });
      expect(seqs(older)).toEqual([1, 2]);
      expect(older.nextCursor).toBeNull();

      answer(6, 7);
      const newer = await sut.list(principal(BOB), CONVERSATION, { limit: 3, cursor: encodeCursor(['after', 5, 8]) });
      expect(repository.messages).toHaveBeenLastCalledWith(pool, CONVERSATION, {
        afterSeq: 5,
        beforeSeq: 8,
        limit: 4,
        newest: false,
      });
      expect(seqs(newer)).toEqual([6, 7]);
      expect(newer.nextCursor).toBeNull();
    });

    it('should refuse a malformed cursor with VALIDATION_FAILED before reading anything', async () => {
      for (const cursor of [
        Buffer.from('["sideways",1,null]').toString('base64url'),
        encodeCursor(['after', -1, null]),
        encodeCursor(['before', 1, 'x']),
      ]) {
        await expect(sut.list(principal(BOB), CONVERSATION, { cursor })).rejects.toMatchObject({
          code: ErrorCode.VALIDATION_FAILED,
        });
      }
      expect(repository.messages).not.toHaveBeenCalled();
    });

    it("should refuse a non-member with requireMember's error", async () => {
      repository.requireMember.mockRejectedValue(DomainException.forbidden());
      await expect(sut.list(principal(BOB), CONVERSATION, {})).rejects.toMatchObject({ code: ErrorCode.FORBIDDEN });
      expect(repository.messages).not.toHaveBeenCalled();
    });
  });
});
