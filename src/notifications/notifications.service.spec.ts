import type { DataSource, EntityManager } from 'typeorm';
import type { Principal } from '../auth/principal.js';
import { DomainException } from '../common/domain.exception.js';
import { encodeCursor } from '../common/pagination.js';
import { ErrorCode } from '../common/error-codes.js';
import type { RealtimePublisher } from '../realtime/realtime.publisher.js';
import type { NotificationRow, NotificationsRepository } from './notifications.repository.js';
import { type Transaction, UnitOfWork } from '../database/unit-of-work.js';
import { NotificationsService } from './notifications.service.js';
import { transactionOver } from '../../test/helpers/unit-of-work.js';

// ESM specs have no global `jest` object; Jest exposes it here.
const { jest } = import.meta;

const A = '0a000000-0000-4000-8000-000000000001';
const B = '0b000000-0000-4000-8000-000000000002';
const C = '0c000000-0000-4000-8000-000000000003';
const NOTIFICATION_ID = '0d000000-0000-4000-8000-000000000004';
const CREATED_AT = new Date('2025-11-22T10:00:00.000Z');

function actor(id = A): Principal {
  return { id, role: 'user', tokenVersion: 0, expiresAt: Date.now() + 3_600_000 };
}

function row(userId: string, seq: number, overrides: Partial<NotificationRow> = {}): NotificationRow {
  return {
    id: `${seq}0000000-0000-4000-8000-${userId.slice(0, 12)}`,
    user_id: userId,
    seq,
    type: 'suggestion.vote',
    title: 'Hello',
    body: null,
    data: {},
    read_at: null,
    created_at: CREATED_AT,
    ...overrides,
  };
}

function rejection(promise: Promise<unknown>): Promise<DomainException> {
  return promise.then(
    () => {
      throw new Error('Expected a rejection');
    },
    (err: unknown) => {
      if (!(err instanceof DomainException)) throw err;
      return err;
    },
  );
}

describe(NotificationsService.name, () => {
  let sut: NotificationsService;
  let manager: EntityManager;
  let dataSource: { transaction: jest.Mock; manager: EntityManager };
  let repository: { [K in keyof NotificationsRepository]: jest.Mock };
  let publisher: { publish: jest.Mock };
  let committed: boolean;
  /** The caller's transaction, and what it queued for after its commit. */
  let tx: Transaction;
  let afterCommit: Array<() => void>;
  const commit = (): void => {
    committed = true;
    for (const effect of afterCommit) effect();
  };

  beforeEach(() => {
    committed = false;
    manager = { name: 'tx' } as unknown as EntityManager;
    afterCommit = [];
    tx = { manager, afterCommit: (effect) => afterCommit.push(effect), commitBehindNextStatement: () => undefined };
    dataSource = {
      manager: { name: 'pool' } as unknown as EntityManager,
      transaction: jest.fn(
        transactionOver(manager, () => {
          committed = true;
        }),
      ),
    };
    repository = {
      // Allocates in user-id order, whatever the order given, as the statement does.
      append: jest.fn(async (_m: EntityManager, ids: string[]) => {
        const allocations = [...ids]
          .sort()
          .map((userId, i) => ({ userId, seq: 10 + i, unreadCount: 3 + i, version: 20 + i }));
        return { missing: [], allocations, rows: allocations.map((a) => row(a.userId, a.seq)) };
      }),
      appendSelected: jest.fn(),
      findOwner: jest.fn(),
      lockCounter: jest.fn(),
      writeUnread: jest.fn(),
      markRead: jest.fn(),
      markAllRead: jest.fn(),
      unreadCount: jest.fn(),
      page: jest.fn(),
    };
    publisher = { publish: jest.fn(() => expect(committed).toBe(true)) };
    sut = new NotificationsService(
      dataSource as unknown as DataSource,
      new UnitOfWork(dataSource as unknown as DataSource),
      repository as unknown as NotificationsRepository,
      publisher as unknown as RealtimePublisher,
    );
  });

  describe('notifyInTransaction', () => {
    it('should allocate seqs for distinct lower-cased ids, and answer items in request order', async () => {
      const items = await sut.notifyInTransaction(tx, {
        userIds: [C, A.toUpperCase(), B, A],
        type: 'suggestion.vote',
        title: ' Hello ',
        data: { suggestionId: 'x' },
      });
      expect(repository.append).toHaveBeenCalledTimes(1);
      expect(repository.append).toHaveBeenCalledWith(manager, [C, A, B], {
        type: 'suggestion.vote',
        title: 'Hello',
        body: null,
        data: { suggestionId: 'x' },
      });
      expect(items.map((n) => [n.userId, n.seq])).toEqual([
        [C, 12],
        [A, 10],
        [B, 11],
      ]);
      expect(items[1]).toEqual({
        id: expect.any(String),
        seq: 10,
        userId: A,
        type: 'suggestion.vote',
        title: 'Hello',
        body: null,
        data: {},
        readAt: null,
        createdAt: '2025-11-22T10:00:00.000Z',
      });
    });

    it('should publish nothing until the caller commits, then notification and unread count per user', async () => {
      const items = await sut.notifyInTransaction(tx, { userIds: [B, A], type: 't', title: 'T' });
      expect(publisher.publish).not.toHaveBeenCalled();
      commit();
      expect(publisher.publish.mock.calls).toEqual([
        [`user:${A}`, 'notification', items[1], { order: { key: `notifications:${A}`, seq: 10 } }],
        [
          `user:${A}`,
          'notifications:unread',
          { count: 3, version: 20 },
          { order: { key: `notifications:unread:${A}`, seq: 20 } },
        ],
        [`user:${B}`, 'notification', items[0], { order: { key: `notifications:${B}`, seq: 11 } }],
        [
          `user:${B}`,
          'notifications:unread',
          { count: 4, version: 21 },
          { order: { key: `notifications:unread:${B}`, seq: 21 } },
        ],
      ]);
    });

    it('should refuse unknown users with NOT_FOUND naming them in request order, and publish nothing', async () => {
      repository.append.mockResolvedValue({ missing: [A, C], allocations: [], rows: [] });
      const err = await rejection(sut.notifyInTransaction(tx, { userIds: [C, B, A], type: 't', title: 'T' }));
      expect(err.code).toBe(ErrorCode.NOT_FOUND);
      expect(err.details).toEqual({ userIds: [C, A] });
      expect(publisher.publish).not.toHaveBeenCalled();
    });

    it('should refuse bad content and malformed ids with VALIDATION_FAILED, before any query', async () => {
      const inputs = [
        { userIds: ['nope'], type: 't', title: 'T' },
        { userIds: [A], type: ' ', title: 'T' },
        { userIds: [A], type: 't', title: 'x'.repeat(201) },
        { userIds: [A], type: 't', title: 'T', body: 'x'.repeat(2001) },
        { userIds: [A], type: 't', title: 'T', data: [] as unknown as Record<string, unknown> },
        { userIds: [A], type: 't', title: 'T', data: { big: 'x'.repeat(17_000) } },
      ];
      for (const input of inputs) {
        const err = await rejection(sut.notifyInTransaction(tx, input));
        expect(err.code).toBe(ErrorCode.VALIDATION_FAILED);
      }
      expect(repository.append).not.toHaveBeenCalled();
    });

    it('should write nothing for an empty list', async () => {
      const items = await sut.notifyInTransaction(tx, { userIds: [], type: 't', title: 'T' });
      commit();
      expect(items).toEqual([]);
      expect(repository.append).not.toHaveBeenCalled();
      expect(publisher.publish).not.toHaveBeenCalled();
    });
  });

  describe('notify', () => {
    it('should write in a transaction of its own and publish after it commits', async () => {
      const items = await sut.notify({ userIds: [A], type: 't', title: 'T' });
      expect(dataSource.transaction).toHaveBeenCalledTimes(1);
      expect(repository.append).toHaveBeenCalledWith(manager, [A], expect.anything());
      expect(items).toHaveLength(1);
      expect(publisher.publish).toHaveBeenCalledTimes(2);
    });

    it('should publish nothing when the transaction fails', async () => {
      repository.append.mockRejectedValue(new Error('insert failed'));
      await expect(sut.notify({ userIds: [A], type: 't', title: 'T' })).rejects.toThrow('insert failed');
      expect(publisher.publish).not.toHaveBeenCalled();
    });
  });

  describe('markRead', () => {
    it('should answer NOT_FOUND for an unknown notification and FORBIDDEN for another user’s', async () => {
      repository.findOwner.mockResolvedValueOnce(undefined).mockResolvedValueOnce(B);
      expect((await rejection(sut.markRead(actor(A), NOTIFICATION_ID))).code).toBe(ErrorCode.NOT_FOUND);
      expect((await rejection(sut.markRead(actor(A), NOTIFICATION_ID))).code).toBe(ErrorCode.FORBIDDEN);
      expect(repository.lockCounter).not.toHaveBeenCalled();
      expect(repository.markRead).not.toHaveBeenCalled();
    });

    it('should lock the counter, mark the notification, lower the count and publish it after commit', async () => {
      repository.findOwner.mockResolvedValue(A);
      repository.lockCounter.mockResolvedValue({ unreadCount: 4, version: 7 });
      repository.markRead.mockResolvedValue(true);
      repository.writeUnread.mockResolvedValue({ unreadCount: 3, version: 8 });
      expect(await sut.markRead(actor(A), NOTIFICATION_ID)).toEqual({ unreadCount: 3 });
      expect(repository.lockCounter).toHaveBeenCalledWith(manager, A);
      expect(repository.markRead).toHaveBeenCalledWith(manager, NOTIFICATION_ID);
      expect(repository.writeUnread).toHaveBeenCalledWith(manager, A, 3);
      expect(publisher.publish).toHaveBeenCalledWith(
        `user:${A}`,
        'notifications:unread',
        { count: 3, version: 8 },
        { order: { key: `notifications:unread:${A}`, seq: 8 } },
      );
    });

    it('should change and publish nothing for a notification already read', async () => {
      repository.findOwner.mockResolvedValue(A);
      repository.lockCounter.mockResolvedValue({ unreadCount: 2, version: 7 });
      repository.markRead.mockResolvedValue(false);
      expect(await sut.markRead(actor(A), NOTIFICATION_ID)).toEqual({ unreadCount: 2 });
      expect(repository.writeUnread).not.toHaveBeenCalled();
      expect(publisher.publish).not.toHaveBeenCalled();
    });
  });

  describe('markAllRead', () => {
    it('should clear the count and publish 0 when something was unread', async () => {
      repository.lockCounter.mockResolvedValue({ unreadCount: 5, version: 9 });
      repository.markAllRead.mockResolvedValue(5);
      repository.writeUnread.mockResolvedValue({ unreadCount: 0, version: 10 });
      expect(await sut.markAllRead(actor(A))).toEqual({ unreadCount: 0 });
      expect(repository.writeUnread).toHaveBeenCalledWith(manager, A, 0);
      expect(publisher.publish).toHaveBeenCalledWith(
        `user:${A}`,
        'notifications:unread',
        { count: 0, version: 10 },
        { order: { key: `notifications:unread:${A}`, seq: 10 } },
      );
    });

    it('should publish nothing when nothing was unread or the user never had a notification', async () => {
      repository.lockCounter.mockResolvedValueOnce({ unreadCount: 0, version: 3 }).mockResolvedValueOnce(undefined);
      repository.markAllRead.mockResolvedValue(0);
      expect(await sut.markAllRead(actor(A))).toEqual({ unreadCount: 0 });
      expect(await sut.markAllRead(actor(A))).toEqual({ unreadCount: 0 });
      expect(repository.markAllRead).toHaveBeenCalledTimes(1);
      expect(repository.writeUnread).not.toHaveBeenCalled();
      expect(publisher.publish).not.toHaveBeenCalled();
    });
  });

  describe('list', () => {
    it('should page newest first, with a cursor after the last item kept', async () => {
      repository.page.mockResolvedValue([row(A, 9), row(A, 8), row(A, 7)]);
      const page = await sut.list(actor(A), { limit: 2 });
      expect(repository.page).toHaveBeenCalledWith(dataSource.manager, A, {
        ascending: false,
        bound: undefined,
        unreadOnly: false,
        take: 3,
      });
      expect(page.items.map((n) => n.seq)).toEqual([9, 8]);
      expect(page.nextCursor).toBe(encodeCursor(['before', 8]));

      await sut.list(actor(A), { limit: 2, cursor: page.nextCursor!, unread: true });
      expect(repository.page).toHaveBeenLastCalledWith(dataSource.manager, A, {
        ascending: false,
        bound: 8,
        unreadOnly: true,
        take: 3,
      });
    });

    it('should answer afterSeq oldest first, continuing from its cursor', async () => {
      repository.page.mockResolvedValue([row(A, 4)]);
      const page = await sut.list(actor(A), { afterSeq: 3 });
      expect(repository.page).toHaveBeenCalledWith(dataSource.manager, A, {
        ascending: true,
        bound: 3,
        unreadOnly: false,
        take: 21,
      });
      expect(page.nextCursor).toBeNull();
      await sut.list(actor(A), { afterSeq: 3, cursor: encodeCursor(['after', 40]) });
      expect(repository.page).toHaveBeenLastCalledWith(dataSource.manager, A, {
        ascending: true,
        bound: 40,
        unreadOnly: false,
        take: 21,
      });
    });

    it('should refuse a cursor of the other direction with VALIDATION_FAILED', async () => {
      const err = await rejection(sut.list(actor(A), { cursor: encodeCursor(['after', 4]) }));
      expect(err.code).toBe(ErrorCode.VALIDATION_FAILED);
      const err2 = await rejection(sut.list(actor(A), { afterSeq: 1, cursor: encodeCursor(['before', 4]) }));
      expect(err2.code).toBe(ErrorCode.VALIDATION_FAILED);
      expect(repository.page).not.toHaveBeenCalled();
    });
  });

  describe('unreadCount', () => {
    it('should answer the counter row of the caller', async () => {
      repository.unreadCount.mockResolvedValue({ count: 6, version: 9 });
      expect(await sut.unreadCount(actor(B))).toEqual({ count: 6, version: 9 });
      expect(repository.unreadCount).toHaveBeenCalledWith(dataSource.manager, B);
    });
  });
});
