// The SQL of the notifications module. Every method takes the EntityManager to run on: inside a transaction,
// that transaction's manager (embedded PGlite has one backend; any other connection would wait forever).
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

/** A `notifications` row as Postgres returns it. */
export interface NotificationRow {
  id: string;
  user_id: string;
  seq: number;
  type: string;
  title: string;
  body: string | null;
  data: Record<string, unknown>;
  read_at: Date | null;
  created_at: Date;
}

/** The seq handed to one user's new notification, and that user's unread count after it. */
export interface Allocation {
  userId: string;
  seq: number;
  unreadCount: number;
  version: number;
}

export interface CounterState {
  unreadCount: number;
  version: number;
}

export interface NotificationContent {
  type: string;
  title: string;
  body: string | null;
  data: Record<string, unknown>;
}

export interface PageSpec {
  /** true: seq > `bound`, oldest first (resync); false: seq < `bound` (when set), newest first. */
  ascending: boolean;
  bound?: number;
  unreadOnly: boolean;
  /** Rows to fetch (the page size plus one, to learn whether there is more). */
  take: number;
}

const COLUMNS = `"id", "user_id", "seq", "type", "title", "body", "data", "read_at", "created_at"`;

@Injectable()
export class NotificationsRepository {
  /** The ids among `userIds` that name no user. */
  async missingUsers(manager: EntityManager, userIds: string[]): Promise<string[]> {
    const rows: { id: string }[] = await manager.query(
      `SELECT u.id FROM unnest($1::uuid[]) AS u(id) WHERE NOT EXISTS (SELECT 1 FROM "users" WHERE "users"."id" = u.id)`,
      [userIds],
    );
    return rows.map((r) => r.id);
  }

  /**
   * Hands each user the next seq and counts one more unread, creating counter rows as needed. Rows are inserted
   * (and, on conflict, locked) in the order given, so callers that pass ids sorted never deadlock each other.
   */
  async allocate(manager: EntityManager, userIds: string[]): Promise<Allocation[]> {
    const rows: { user_id: string; last_seq: number; unread_count: number; version: number }[] = await manager.query(
      `INSERT INTO "notification_counters" AS c ("user_id", "last_seq", "unread_count", "version")
       SELECT t.id, 1, 1, 1 FROM unnest($1::uuid[]) WITH ORDINALITY AS t(id, ord) ORDER BY t.ord
       ON CONFLICT ("user_id") DO UPDATE
         SET "last_seq" = c."last_seq" + 1, "unread_count" = c."unread_count" + 1, "version" = c."version" + 1
       RETURNING c."user_id", c."last_seq", c."unread_count", c."version"`,
      [userIds],
    );
    return rows.map((r) => ({ userId: r.user_id, seq: r.last_seq, unreadCount: r.unread_count, version: r.version }));
  }

  /** Inserts one notification per allocation, all with the same content. */
  async insert(
    manager: EntityManager,
    allocations: Allocation[],
    content: NotificationContent,
  ): Promise<NotificationRow[]> {
    return manager.query(
      `INSERT INTO "notifications" ("user_id", "seq", "type", "title", "body", "data")
       SELECT t.user_id, t.seq, $3, $4, $5, $6::jsonb FROM unnest($1::uuid[], $2::int[]) AS t(user_id, seq)
       RETURNING ${COLUMNS}`,
      [
        allocations.map((a) => a.userId),
        allocations.map((a) => a.seq),
        content.type,
        content.title,
        content.body,
        JSON.stringify(content.data),
      ],
    );
  }

  async findOwner(manager: EntityManager, id: string): Promise<string | undefined> {
    const rows: { user_id: string }[] = await manager.query(`SELECT "user_id" FROM "notifications" WHERE "id" = $1`, [
      id,
    ]);
    return rows[0]?.user_id;
  }

  /** Locks the user's counter row for the rest of the transaction; undefined when the user never had one. */
  async lockCounter(manager: EntityManager, userId: string): Promise<CounterState | undefined> {
    const rows: { unread_count: number; version: number }[] = await manager.query(
      `SELECT "unread_count", "version" FROM "notification_counters" WHERE "user_id" = $1 FOR UPDATE`,
      [userId],
    );
    return rows[0] && { unreadCount: rows[0].unread_count, version: rows[0].version };
  }

  /** Sets the user's unread count (the counter row must be locked) and returns the new state. */
  async writeUnread(manager: EntityManager, userId: string, unreadCount: number): Promise<CounterState> {
    const rows: { unread_count: number; version: number }[] = await manager.query(
      `WITH c AS (
         UPDATE "notification_counters" SET "unread_count" = $2, "version" = "version" + 1 WHERE "user_id" = $1
         RETURNING "unread_count", "version")
       SELECT * FROM c`,
      [userId, unreadCount],
    );
    return { unreadCount: rows[0].unread_count, version: rows[0].version };
  }

  /** Marks one notification read; false when it already was. */
  async markRead(manager: EntityManager, id: string): Promise<boolean> {
    const rows: { n: number }[] = await manager.query(
      `WITH r AS (UPDATE "notifications" SET "read_at" = now() WHERE "id" = $1 AND "read_at" IS NULL RETURNING 1)
       SELECT count(*)::int AS n FROM r`,
      [id],
    );
    return rows[0].n > 0;
  }

  /** Marks every unread notification of the user read; returns how many were unread. */
  async markAllRead(manager: EntityManager, userId: string): Promise<number> {
    const rows: { n: number }[] = await manager.query(
      `WITH r AS (
         UPDATE "notifications" SET "read_at" = now() WHERE "user_id" = $1 AND "read_at" IS NULL RETURNING 1)
       SELECT count(*)::int AS n FROM r`,
      [userId],
    );
    return rows[0].n;
  }

  async unreadCount(manager: EntityManager, userId: string): Promise<number> {
    const rows: { unread_count: number }[] = await manager.query(
      `SELECT "unread_count" FROM "notification_counters" WHERE "user_id" = $1`,
      [userId],
    );
    return rows[0]?.unread_count ?? 0;
  }

  /** One page of the user's notifications: a range scan on (user_id, seq), or on its unread part. */
  async page(manager: EntityManager, userId: string, spec: PageSpec): Promise<NotificationRow[]> {
    const params: unknown[] = [userId, spec.take];
    const where = [`"user_id" = $1`];
    if (spec.bound !== undefined) {
      params.push(spec.bound);
      where.push(`"seq" ${spec.ascending ? '>' : '<'} $${params.length}`);
    }
    if (spec.unreadOnly) where.push(`"read_at" IS NULL`);
    return manager.query(
      `SELECT ${COLUMNS} FROM "notifications" WHERE ${where.join(' AND ')}
       ORDER BY "seq" ${spec.ascending ? 'ASC' : 'DESC'} LIMIT $2`,
      params,
    );
  }
}
