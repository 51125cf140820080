// Notifications: per-user seq and unread count kept in one counter row, changed in the same transaction as the
// notifications themselves; events to `user:{id}` after commit. Other modules notify through notify() or
// notifyInTransaction(), never by writing rows.
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { channels } from '@realtime-hub/protocol';
import type { Principal } from '../auth/principal.js';
import { DomainException, type FieldError } from '../common/domain.exception.js';
import { ErrorCode } from '../common/error-codes.js';
import { cursorField, decodeCursor, type Page, pageLimit, toPage } from '../common/pagination.js';
import { UUID_PATTERN } from '../common/uuid-param.js';
import { type Transaction, UnitOfWork } from '../database/unit-of-work.js';
import { RealtimePublisher } from '../realtime/realtime.publisher.js';
import {
  jsonBytes,
  type ListNotificationsQueryDto,
  NOTIFICATION_LIMITS,
  type NotificationDto,
  type NotificationItemsDto,
  type ReadResultDto,
  type UnreadCountDto,
} from './dto/notifications.dto.js';
import { toNotificationDto } from './notification.mapper.js';
import type { SqlStatement } from '../database/sql-runner.js';
import {
  type Allocation,
  type CounterState,
  type NotificationContent,
  type NotificationRow,
  NotificationsRepository,
} from './notifications.repository.js';

/** The port's way for another module to declare a notice its own SQL decides (see notifySelectedInTransaction). */
export { selectedNotifications } from './notifications.repository.js';

/** What another module asks for: one notification, with the same content, to each of these users. */
export interface NotifyInput {
  userIds: string[];
  type: string;
  title: string;
  body?: string | null;
  data?: Record<string, unknown>;
}

@Injectable()
export class NotificationsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly uow: UnitOfWork,
    private readonly repository: NotificationsRepository,
    private readonly publisher: RealtimePublisher,
  ) {}

  /** Admin route: the same content to up to 1000 users, all or nothing. */
  async create(input: NotifyInput): Promise<NotificationItemsDto> {
    return { items: await this.notify(input) };
  }

  /** Writes the notifications in a transaction of its own and publishes them once it has committed. */
  async notify(input: NotifyInput): Promise<NotificationDto[]> {
    return this.uow.run((tx) => this.notifyInTransaction(tx, input));
  }

  /**
   * Writes the notifications in the caller's transaction; they are published once it commits (nothing on a
   * rollback). Items follow the order of `userIds`, without repeats.
   * Unknown users → NOT_FOUND with `details.userIds`; nothing is written then.
   */
  async notifyInTransaction(tx: Transaction, input: NotifyInput): Promise<NotificationDto[]> {
    const userIds = uniqueIds(input.userIds);
    const content = checkContent(input);
    if (userIds.length === 0) return [];
    const { missing, allocations, rows } = await this.repository.append(tx.manager, userIds, content);
    if (missing.length > 0) {
      const unknown = new Set(missing);
      const named = userIds.filter((id) => unknown.has(id));
      throw new DomainException(ErrorCode.NOT_FOUND, `User not found: ${named.join(', ')}`, { userIds: named });
    }
    const byUser = this.publishAfterCommit(tx, allocations, rows);
    return userIds.map((id) => byUser.get(id)!);
  }

  /**
   * Runs a statement made with `selectedNotifications` (notifications.repository.ts) in the caller's transaction:
   * its SELECT decides in SQL who is notified of what, from what the transaction has written before it. Published
   * once the transaction commits, as notifyInTransaction's; answers the notifications written (often none).
   */
  async notifySelectedInTransaction(
    tx: Transaction,
    statement: SqlStatement,
    values: unknown[],
  ): Promise<NotificationDto[]> {
    const { allocations, rows } = await this.repository.appendSelected(tx.manager, statement, values);
    return [...this.publishAfterCommit(tx, allocations, rows).values()];
  }

  /** Queues each new notification and its user's unread count for publishing after the commit; answers them by user. */
  private publishAfterCommit(
    tx: Transaction,
    allocations: Allocation[],
    rows: NotificationRow[],
  ): Map<string, NotificationDto> {
    const byUser = new Map(rows.map((row) => [row.user_id, toNotificationDto(row)]));
    tx.afterCommit(() => {
      for (const allocation of allocations) {
        const notification = byUser.get(allocation.userId)!;
        this.publisher.publish(channels.user(allocation.userId), 'notification', notification, {
          order: { key: `notifications:${allocation.userId}`, seq: notification.seq },
        });
        this.publishUnread(allocation.userId, allocation);
      }
    });
    return byUser;
  }

  /** Own notifications: newest first, or with `afterSeq` those after it, oldest first. */
  async list(actor: Principal, query: ListNotificationsQueryDto): Promise<Page<NotificationDto>> {
    const limit = pageLimit(query);
    const ascending = query.afterSeq !== undefined;
    const direction = ascending ? 'after' : 'before';
    let bound = query.afterSeq;
    const cursor = decodeCursor(query.cursor, [cursorField.oneOf('before', 'after'), cursorField.seq]);
    if (cursor) {
      const [cursorDirection, seq] = cursor;
      if (cursorDirection !== direction) {
        throw DomainException.validation('cursor: does not belong to this query', [
          { field: 'cursor', errors: ['cursor does not belong to this query (pass afterSeq with its cursors)'] },
        ]);
      }
      bound = ascending ? Math.max(seq, query.afterSeq!) : seq;
    }
    const rows = await this.repository.page(this.dataSource.manager, actor.id, {
      ascending,
      bound,
      unreadOnly: query.unread === true,
      take: limit + 1,
    });
    return toPage(rows, limit, (row) => [direction, row.seq], toNotificationDto);
  }

  async unreadCount(actor: Principal): Promise<UnreadCountDto> {
    return this.repository.unreadCount(this.dataSource.manager, actor.id);
  }

  /** Idempotent: reading a read notification changes nothing and publishes nothing. */
  async markRead(actor: Principal, id: string): Promise<ReadResultDto> {
    return this.uow.run(async ({ manager, afterCommit }): Promise<ReadResultDto> => {
      const owner = await this.repository.findOwner(manager, id);
      if (!owner) throw DomainException.notFound('Notification');
      if (owner !== actor.id) throw DomainException.forbidden('This notification belongs to another user');
      // The counter row first, like creation does: one lock order, no deadlock.
      const counter = await this.repository.lockCounter(manager, actor.id);
      if (!counter) throw new Error(`Notification ${id} has no counter row`);
      if (!(await this.repository.markRead(manager, id))) return { unreadCount: counter.unreadCount };
      const changed = await this.repository.writeUnread(manager, actor.id, Math.max(counter.unreadCount - 1, 0));
      afterCommit(() => this.publishUnread(actor.id, changed));
      return { unreadCount: changed.unreadCount };
    });
  }

  async markAllRead(actor: Principal): Promise<ReadResultDto> {
    return this.uow.run(async ({ manager, afterCommit }): Promise<ReadResultDto> => {
      const counter = await this.repository.lockCounter(manager, actor.id);
      if (!counter) return { unreadCount: 0 };
      const marked = await this.repository.markAllRead(manager, actor.id);
      if (marked === 0 && counter.unreadCount === 0) return { unreadCount: 0 };
      const changed = await this.repository.writeUnread(manager, actor.id, 0);
      afterCommit(() => this.publishUnread(actor.id, changed));
      return { unreadCount: 0 };
    });
  }

  /** Counts leave in the order of the changes that made them (the counter's version), on this instance. */
  private publishUnread(userId: string, state: CounterState): void {
    this.publisher.publish(
      channels.user(userId),
      'notifications:unread',
      { count: state.unreadCount, version: state.version },
      { order: { key: `notifications:unread:${userId}`, seq: state.version } },
    );
  }
}

/** Lower-cased, without repeats, in first-seen order; anything but a UUID is VALIDATION_FAILED. */
function uniqueIds(userIds: string[]): string[] {
  const bad = userIds.filter((id) => typeof id !== 'string' || !UUID_PATTERN.test(id));
  if (bad.length > 0) {
    throw DomainException.validation('userIds: each must be a UUID', [
      { field: 'userIds', errors: ['each value in userIds must be a UUID'] },
    ]);
  }
  const unique = [...new Set(userIds.map((id) => id.toLowerCase()))];
  if (unique.length > NOTIFICATION_LIMITS.maxUsers) {
    throw DomainException.validation(`userIds: at most ${NOTIFICATION_LIMITS.maxUsers}`, [
      { field: 'userIds', errors: [`userIds must contain at most ${NOTIFICATION_LIMITS.maxUsers} elements`] },
    ]);
  }
  return unique;
}

/** The REST DTO checks these too; the internal API gets the same limits. */
function checkContent(input: NotifyInput): NotificationContent {
  const type = typeof input.type === 'string' ? input.type.trim() : '';
  const title = typeof input.title === 'string' ? input.title.trim() : '';
  const body = input.body ?? null;
  const data = input.data ?? {};
  const errors: FieldError[] = [];
  if (type.length < 1 || type.length > NOTIFICATION_LIMITS.type) {
    errors.push({ field: 'type', errors: [`type must be 1..${NOTIFICATION_LIMITS.type} characters`] });
  }
  if (title.length < 1 || title.length > NOTIFICATION_LIMITS.title) {
    errors.push({ field: 'title', errors: [`title must be 1..${NOTIFICATION_LIMITS.title} characters`] });
  }
  if (body !== null && (typeof body !== 'string' || body.length > NOTIFICATION_LIMITS.body)) {
    errors.push({ field: 'body', errors: [`body must be a string of at most ${NOTIFICATION_LIMITS.body} characters`] });
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    errors.push({ field: 'data', errors: ['data must be an object'] });
  } else if (jsonBytes(data) > NOTIFICATION_LIMITS.dataBytes) {
    errors.push({ field: 'data', errors: [`data must be at most ${NOTIFICATION_LIMITS.dataBytes} bytes as JSON`] });
  }
  if (errors.length > 0) {
    throw DomainException.validation(errors.map((e) => `${e.field}: ${e.errors.join(', ')}`).join('; '), errors);
  }
  return { type, title, body, data };
}
