// The SQL of the notifications module. Every method takes the EntityManager to run on: inside a transaction,
// that transaction's manager (embedded PGlite has one backend; any other connection would wait forever).
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { SqlRunner, type SqlStatement, sqlStatement } from '../database/sql-runner.js';

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

/** What `append` did: nothing but `missing` when an id named no user, else one allocation and row per user. */
export interface Appended {
  missing: string[];
  allocations: Allocation[];
  rows: NotificationRow[];
}

type AppendRow = NotificationRow & {
  unread_count: number | null;
  counter_version: number | null;
  missing_id: string | null;
};

export interface PageSpec {
  /** true: seq > `bound`, oldest first (resync); false: seq < `bound` (when set), newest first. */
  ascending: boolean;
  bound?: number;
  unreadOnly: boolean;
  /** Rows to fetch (the page size plus one, to learn whether there is more). */
  take: number;
}

const COLUMNS = `"id", "user_id", "seq", "type", "title", "body", "data", "read_at", "created_at"`;

/**
 * The end of every append statement, after a CTE `src` of the notifications to write (columns user_id, type, title,
 * body, data as jsonb; one row per user): hands each user the next seq and one more unread (creating counter rows as
 * needed), inserts the rows, and answers each with the user's counter. Counter rows are written, and on conflict
 * locked, in user-id order, so two appends never deadlock each other.
 */
const APPEND_FROM_SRC = `counters AS (
     INSERT INTO "notification_counters" AS c ("user_id", "last_seq", "unread_count", "version")
     SELECT src."user_id", 1, 1, 1 FROM src ORDER BY src."user_id"
     ON CONFLICT ("user_id") DO UPDATE
       SET "last_seq" = c."last_seq" + 1, "unread_count" = c."unread_count" + 1, "version" = c."version" + 1
     RETURNING c."user_id", c."last_seq", c."unread_count", c."version"
   ), inserted AS (
     INSERT INTO "notifications" ("user_id", "seq", "type", "title", "body", "data")
     SELECT c."user_id", c."last_seq", src."type", src."title", src."body", src."data"
     FROM counters c JOIN src ON src."user_id" = c."user_id"
     RETURNING ${COLUMNS}
   )`;

/** The columns of an append's answer, beside the notification's own. */
const APPEND_ANSWER = `SELECT n.*, c."unread_count", c."version" AS "counter_version", NULL::uuid AS "missing_id"
   FROM inserted n JOIN counters c ON c."user_id" = n."user_id"`;

/** See NotificationsRepository.append. */
const APPEND = sqlStatement(
  'notifications.append',
  `WITH ids AS (
     SELECT t.id FROM unnest($1::uuid[]) AS t(id)
   ), missing AS (
     SELECT ids.id FROM ids WHERE NOT EXISTS (SELECT 1 FROM "users" u WHERE u."id" = ids.id)
   ), src AS (
     SELECT ids.id AS "user_id", $2::text AS "type", $3::text AS "title", $4::text AS "body", $5::jsonb AS "data"
     FROM ids WHERE NOT EXISTS (SELECT 1 FROM missing)
   ), ${APPEND_FROM_SRC}
   ${APPEND_ANSWER}
   UNION ALL
   SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, m.id FROM missing m`,
);

/**
 * An append whose notifications a caller's SELECT (`source`) decides inside the statement, for a notice that depends
 * on what the same transaction has just written: the statement can then leave right behind that write, without
 * waiting for its answer. `source` yields the columns user_id, type, title, body and data (jsonb), at most one row per
 * user, and only users that exist; it bounds its texts by NOTIFICATION_LIMITS itself. Declared once, at module load;
 * run with NotificationsService.notifySelectedInTransaction.
 */
export function selectedNotifications(name: string, source: string): SqlStatement {
  return sqlStatement(name, `WITH src AS (${source}), ${APPEND_FROM_SRC}\n   ${APPEND_ANSWER}`);
}

function toAppended(rows: AppendRow[]): Appended {
  const appended: Appended = { missing: [], allocations: [], rows: [] };
  for (const { unread_count, counter_version, missing_id, ...row } of rows) {
    if (missing_id !== null) {
      appended.missing.push(missing_id);
      continue;
    }
    appended.rows.push(row);
    appended.allocations.push({
      userId: row.user_id,
      seq: row.seq,
      unreadCount: unread_count!,
      version: counter_version!,
    });
  }
  return appended;
}

@Injectable()
export class NotificationsRepository {
  constructor(private readonly sql: SqlRunner) {}

  /**
   * Appends one notification with `content` to each user, in one statement: hands each the next seq, counts one
   * more unread (creating counter rows as needed) and inserts the rows. Counter rows are inserted (and, on
   * conflict, locked) in user-id order, so two appends never deadlock each other. When any id names no user,
   * nothing is written and those ids come back in `missing`.
   */
  async append(manager: EntityManager, userIds: string[], content: NotificationContent): Promise<Appended> {
    const rows = await this.sql.rows<AppendRow>(manager, APPEND, [
      userIds,
      content.type,
      content.title,
      content.body,
      JSON.stringify(content.data),
    ]);
    return toAppended(rows);
  }

  /** Runs a `selectedNotifications` statement with its values: what it appended (none, when `source` chose none). */
  async appendSelected(manager: EntityManager, statement: SqlStatement, values: unknown[]): Promise<Appended> {
    return toAppended(await this.sql.rows<AppendRow>(manager, statement, values));
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

  async unreadCount(manager: EntityManager, userId: string): Promise<{ count: number; version: number }> {
    const rows: { unread_count: number; version: number }[] = await manager.query(
      `SELECT "unread_count", "version" FROM "notification_counters" WHERE "user_id" = $1`,
      [userId],
    );
    return { count: rows[0]?.unread_count ?? 0, version: rows[0]?.version ?? 0 };
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
