// The SQL of messaging: conversations, members, messages and read marks (and the user lookups they need). Every
// method takes the EntityManager to run on: inside a transaction, that transaction's manager (the embedded engine
// has one backend, so any other connection would wait forever); outside one, the DataSource's manager.
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DomainException } from '../common/domain.exception.js';
import { isUniqueViolation, rowsOf } from '../database/query-results.js';
import { SqlRunner, sqlStatement } from '../database/sql-runner.js';
import type { ConversationKind } from './conversation.entity.js';
import type { MemberView, MessageView } from './messaging.types.js';

export interface ConversationRow {
  id: string;
  kind: ConversationKind;
  title: string | null;
  lastSeq: number;
  createdAt: string;
  /** Exact text of last_activity_at (microseconds), for cursors. */
  activity: string;
}

export interface MemberReadState {
  userId: string;
  lastReadSeq: number;
}

export interface MembershipRow {
  conversation: ConversationRow;
  lastReadSeq: number;
}

export interface NewMessage {
  conversationId: string;
  senderId: string;
  body: string;
  clientId: string | null;
}

/** What appending a message came to. */
export type AppendResult =
  | { kind: 'created'; message: MessageView; readers: MemberReadState[] }
  | { kind: 'duplicate' }
  | { kind: 'not-member' };

interface RawConversation {
  id: string;
  kind: ConversationKind;
  title: string | null;
  last_seq: number;
  created_at: Date;
  activity: string;
}

interface RawMessage {
  id: string;
  conversation_id: string;
  seq: number;
  sender_id: string;
  body: string;
  client_id: string | null;
  created_at: Date;
}

const CONVERSATION_COLUMNS = `c.id, c.kind, c.title, c.last_seq, c.created_at,
  to_char(c.last_activity_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS activity`;
const MESSAGE_COLUMNS = 'id, conversation_id, seq, sender_id, body, client_id, created_at';

function toConversationRow(raw: RawConversation): ConversationRow {
  return {
    id: raw.id,
    kind: raw.kind,
    title: raw.title,
    lastSeq: raw.last_seq,
    createdAt: raw.created_at.toISOString(),
    activity: raw.activity,
  };
}

function toMessageView(raw: RawMessage): MessageView {
  return {
    id: raw.id,
    conversationId: raw.conversation_id,
    seq: raw.seq,
    senderId: raw.sender_id,
    body: raw.body,
    clientId: raw.client_id,
    createdAt: raw.created_at.toISOString(),
  };
}

/**
 * How a transaction locks a conversation's row. `update`: alone (membership changes, appends). `share`: beside other
 * readers but no append: a read mark moved under it counts every message committed before it, and an append waits
 * for it to commit (see lockForAppend).
 */
export type ConversationLock = 'update' | 'share';
const LOCK_CLAUSES: Record<ConversationLock, string> = { update: ' FOR UPDATE', share: ' FOR SHARE' };

/** See MessagingRepository.lockForAppend. */
const LOCK_FOR_APPEND = sqlStatement(
  'messaging.lock-for-append',
  `SELECT 1 FROM conversations WHERE id = ANY($1::uuid[]) ORDER BY id FOR NO KEY UPDATE`,
);

/** See MessagingRepository.appendMessage. */
const APPEND_MESSAGE = sqlStatement(
  'messaging.append',
  `WITH c AS (
     UPDATE conversations
     SET last_seq = last_seq + 1, last_activity_at = GREATEST(last_activity_at, clock_timestamp())
     WHERE id = $1 AND $2 = ANY(member_ids)
     RETURNING last_seq, member_ids
   ), msg AS (
     INSERT INTO messages (conversation_id, seq, sender_id, body, client_id, created_at)
     SELECT $1, c.last_seq, $2, $3, $4, clock_timestamp() FROM c
     RETURNING ${MESSAGE_COLUMNS}
   ), mark AS (
     UPDATE conversation_members SET last_read_seq = GREATEST(last_read_seq, (SELECT seq FROM msg))
     WHERE conversation_id = $1 AND user_id = $2 AND EXISTS (SELECT 1 FROM msg)
   )
   SELECT msg.*, (
     SELECT json_agg(json_build_object(
       'userId', member.id,
       'lastReadSeq', CASE WHEN member.id = $2 THEN msg.seq ELSE COALESCE(cm.last_read_seq, msg.seq - 1) END))
     FROM c CROSS JOIN unnest(c.member_ids) AS member(id)
     LEFT JOIN conversation_members cm ON cm.conversation_id = $1 AND cm.user_id = member.id
   ) AS readers
   FROM msg`,
);

@Injectable()
export class MessagingRepository {
  constructor(private readonly sql: SqlRunner) {}

  // ---- users ---------------------------------------------------------------------------------------------

  /** The ids among `ids` that are enabled accounts. */
  async existingUsers(m: EntityManager, ids: string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows: { id: string }[] = await m.query(
      `SELECT id FROM users WHERE id = ANY($1::uuid[]) AND disabled = false`,
      [ids],
    );
    return rows.map((r) => r.id);
  }

  async userExists(m: EntityManager, id: string): Promise<boolean> {
    const rows: unknown[] = await m.query(`SELECT 1 FROM users WHERE id = $1`, [id]);
    return rows.length > 0;
  }

  // ---- conversations -------------------------------------------------------------------------------------

  /** Creates the direct conversation for `key` unless it exists; answers the new id, or undefined. */
  async insertDirect(m: EntityManager, key: string, creatorId: string): Promise<string | undefined> {
    const rows: { id: string }[] = await m.query(
      `INSERT INTO conversations (kind, direct_key, created_by) VALUES ('direct', $1, $2)
       ON CONFLICT (direct_key) DO NOTHING RETURNING id`,
      [key, creatorId],
    );
    return rows[0]?.id;
  }

  async findDirect(m: EntityManager, key: string): Promise<string | undefined> {
    const rows: { id: string }[] = await m.query(`SELECT id FROM conversations WHERE direct_key = $1`, [key]);
    return rows[0]?.id;
  }

  async insertGroup(m: EntityManager, title: string | null, creatorId: string): Promise<string> {
    const rows: { id: string }[] = await m.query(
      `INSERT INTO conversations (kind, title, created_by) VALUES ('group', $1, $2) RETURNING id`,
      [title, creatorId],
    );
    return rows[0].id;
  }

  async findConversation(m: EntityManager, id: string, lock?: ConversationLock): Promise<ConversationRow | undefined> {
    const rows: RawConversation[] = await m.query(
      `SELECT ${CONVERSATION_COLUMNS} FROM conversations c WHERE c.id = $1${lock ? LOCK_CLAUSES[lock] : ''}`,
      [id],
    );
    return rows[0] ? toConversationRow(rows[0]) : undefined;
  }

  /**
   * The conversation and the user's read mark; NOT_FOUND when the conversation does not exist, FORBIDDEN when
   * the user is not a member. `lock` locks the conversation's row for the rest of the transaction (see
   * ConversationLock).
   */
  async requireMember(
    m: EntityManager,
    conversationId: string,
    userId: string,
    lock?: ConversationLock,
  ): Promise<MembershipRow> {
    const conversation = await this.findConversation(m, conversationId, lock);
    if (!conversation) throw DomainException.notFound('Conversation');
    const rows: { last_read_seq: number }[] = await m.query(
      `SELECT last_read_seq FROM conversation_members WHERE conversation_id = $1 AND user_id = $2`,
      [conversationId, userId],
    );
    if (rows.length === 0) throw DomainException.forbidden('Not a member of this conversation');
    return { conversation, lastReadSeq: rows[0].last_read_seq };
  }

  /** The user's conversations, most recent activity first, after the cursor `(activity, id)`. */
  async listForUser(
    m: EntityManager,
    userId: string,
    limit: number,
    after?: { activity: string; id: string },
  ): Promise<Array<ConversationRow & { lastReadSeq: number }>> {
    const params: unknown[] = [userId, limit];
    let where = '';
    if (after) {
      params.push(after.activity, after.id);
      where = `AND (c.last_activity_at, c.id) < ($3::timestamptz, $4::uuid)`;
    }
    const rows: Array<RawConversation & { last_read_seq: number }> = await m.query(
      `SELECT ${CONVERSATION_COLUMNS}, cm.last_read_seq
       FROM conversation_members cm JOIN conversations c ON c.id = cm.conversation_id
       WHERE cm.user_id = $1 ${where}
       ORDER BY c.last_activity_at DESC, c.id DESC
       LIMIT $2`,
      params,
    );
    return rows.map((r) => ({ ...toConversationRow(r), lastReadSeq: r.last_read_seq }));
  }

  // ---- members -------------------------------------------------------------------------------------------

  /** Adds members (existing ones are left alone); answers the ids actually added. */
  async addMembers(
    m: EntityManager,
    conversationId: string,
    userIds: string[],
    lastReadSeq: number,
  ): Promise<string[]> {
    if (userIds.length === 0) return [];
    const rows: { user_id: string }[] = await m.query(
      `INSERT INTO conversation_members (conversation_id, user_id, last_read_seq)
       SELECT $1, u, $3 FROM unnest($2::uuid[]) AS u
       ON CONFLICT (conversation_id, user_id) DO NOTHING
       RETURNING user_id`,
      [conversationId, userIds, lastReadSeq],
    );
    return rows.map((r) => r.user_id);
  }

  async countMembers(m: EntityManager, conversationId: string): Promise<number> {
    const rows: { count: number }[] = await m.query(
      `SELECT count(*)::int AS count FROM conversation_members WHERE conversation_id = $1`,
      [conversationId],
    );
    return rows[0].count;
  }

  async removeMember(m: EntityManager, conversationId: string, userId: string): Promise<boolean> {
    const rows = rowsOf<{ user_id: string }>(
      await m.query(`DELETE FROM conversation_members WHERE conversation_id = $1 AND user_id = $2 RETURNING user_id`, [
        conversationId,
        userId,
      ]),
    );
    return rows.length > 0;
  }

  /** Members of each conversation with their names, in joining order. */
  async members(m: EntityManager, conversationIds: string[]): Promise<Map<string, MemberView[]>> {
    const out = new Map<string, MemberView[]>(conversationIds.map((id) => [id, []]));
    if (conversationIds.length === 0) return out;
    const rows: { conversation_id: string; user_id: string; display_name: string; last_read_seq: number }[] =
      await m.query(
        `SELECT cm.conversation_id, cm.user_id, u.display_name, cm.last_read_seq
         FROM conversation_members cm JOIN users u ON u.id = cm.user_id
         WHERE cm.conversation_id = ANY($1::uuid[])
         ORDER BY cm.joined_at, cm.user_id`,
        [conversationIds],
      );
    for (const r of rows) {
      out
        .get(r.conversation_id)
        ?.push({ userId: r.user_id, displayName: r.display_name, lastReadSeq: r.last_read_seq });
    }
    return out;
  }

  /** The member's read mark and the conversation's last seq, the member row locked. */
  async lockReadState(
    m: EntityManager,
    conversationId: string,
    userId: string,
  ): Promise<{ lastReadSeq: number; lastSeq: number } | undefined> {
    const rows: { last_read_seq: number; last_seq: number }[] = await m.query(
      `SELECT cm.last_read_seq, c.last_seq
       FROM conversation_members cm JOIN conversations c ON c.id = cm.conversation_id
       WHERE cm.conversation_id = $1 AND cm.user_id = $2
       FOR UPDATE OF cm`,
      [conversationId, userId],
    );
    return rows[0] ? { lastReadSeq: rows[0].last_read_seq, lastSeq: rows[0].last_seq } : undefined;
  }

  /** Moves a read mark forward only. */
  async markRead(m: EntityManager, conversationId: string, userId: string, seq: number): Promise<void> {
    await m.query(
      `UPDATE conversation_members SET last_read_seq = GREATEST(last_read_seq, $3)
       WHERE conversation_id = $1 AND user_id = $2`,
      [conversationId, userId, seq],
    );
  }

  /** Of `userIds`, those who share at least one conversation with `userId`. */
  async sharingWith(m: EntityManager, userId: string, userIds: string[]): Promise<Set<string>> {
    if (userIds.length === 0) return new Set();
    const rows: { user_id: string }[] = await m.query(
      `SELECT DISTINCT theirs.user_id
       FROM conversation_members mine
       JOIN conversation_members theirs ON theirs.conversation_id = mine.conversation_id
       WHERE mine.user_id = $1 AND theirs.user_id = ANY($2::uuid[])`,
      [userId, userIds],
    );
    return new Set(rows.map((r) => r.user_id));
  }

  // ---- messages ------------------------------------------------------------------------------------------

  /**
   * Locks the rows of the conversations an append transaction writes to, in id order (the order every transaction
   * takes them in, so two cannot deadlock), in a statement of its own and before the appends: each append statement
   * then starts once the locks are held, and reads the members' read marks as last committed. An append statement
   * that waited for its conversation's row itself would still read them as they were when it began, and could count
   * as unread a message a member read meanwhile (MessagesService.read holds the row, shared, while it moves a mark).
   */
  async lockForAppend(m: EntityManager, conversationIds: string[]): Promise<void> {
    await this.sql.rows(m, LOCK_FOR_APPEND, [[...new Set(conversationIds)].sort()]);
  }

  /**
   * Appends a message in one statement, which is its own transaction: it takes the conversation row's lock and the
   * next seq, inserts the message, moves the sender's read mark and reads every member's mark. One round trip
   * where the step-by-step transaction took eight; a named statement, so each connection plans it once. A
   * retried clientId fails the whole statement on the unique constraint, so no seq is used; a sender who is not a
   * member (or a missing conversation) matches no row. Membership and the receivers come from the row's
   * `member_ids` as it is once locked (Postgres re-reads the locked row after a wait, and only that row), so a
   * leave that committed while this waited is seen: the leaver neither sends nor receives. A member who joined
   * meanwhile has no read mark in this statement's snapshot; theirs was the previous seq.
   */
  async appendMessage(m: EntityManager, message: NewMessage): Promise<AppendResult> {
    let rows: Array<RawMessage & { readers: Array<{ userId: string; lastReadSeq: number }> }>;
    try {
      rows = await this.sql.rows(m, APPEND_MESSAGE, [
        message.conversationId,
        message.senderId,
        message.body,
        message.clientId,
      ]);
    } catch (err) {
      if (isUniqueViolation(err, 'messages_client_id_key')) return { kind: 'duplicate' };
      throw err;
    }
    if (rows.length === 0) return { kind: 'not-member' };
    return { kind: 'created', message: toMessageView(rows[0]), readers: rows[0].readers };
  }

  async findByClientId(
    m: EntityManager,
    conversationId: string,
    senderId: string,
    clientId: string,
  ): Promise<MessageView | undefined> {
    const rows: RawMessage[] = await m.query(
      `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE conversation_id = $1 AND sender_id = $2 AND client_id = $3`,
      [conversationId, senderId, clientId],
    );
    return rows[0] ? toMessageView(rows[0]) : undefined;
  }

  async messageAt(m: EntityManager, conversationId: string, seq: number): Promise<MessageView | null> {
    if (seq <= 0) return null;
    const rows: RawMessage[] = await m.query(
      `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE conversation_id = $1 AND seq = $2`,
      [conversationId, seq],
    );
    return rows[0] ? toMessageView(rows[0]) : null;
  }

  /** The newest message of each conversation. */
  async lastMessages(m: EntityManager, conversationIds: string[]): Promise<Map<string, MessageView>> {
    if (conversationIds.length === 0) return new Map();
    const rows: RawMessage[] = await m.query(
      `SELECT m.id, m.conversation_id, m.seq, m.sender_id, m.body, m.client_id, m.created_at
       FROM conversations c JOIN messages m ON m.conversation_id = c.id AND m.seq = c.last_seq
       WHERE c.id = ANY($1::uuid[])`,
      [conversationIds],
    );
    return new Map(rows.map((r) => [r.conversation_id, toMessageView(r)]));
  }

  /**
   * Up to `limit` messages, ascending. `newest`: the last ones below `beforeSeq` (or the latest); otherwise the
   * first ones above `afterSeq` (and below `beforeSeq` when given).
   */
  async messages(
    m: EntityManager,
    conversationId: string,
    query: { afterSeq?: number; beforeSeq?: number; limit: number; newest: boolean },
  ): Promise<MessageView[]> {
    const params: unknown[] = [conversationId, query.limit];
    const conditions = ['conversation_id = $1'];
    if (query.afterSeq !== undefined) {
      params.push(query.afterSeq);
      conditions.push(`seq > $${params.length}`);
    }
    if (query.beforeSeq !== undefined) {
      params.push(query.beforeSeq);
      conditions.push(`seq < $${params.length}`);
    }
    const rows: RawMessage[] = await m.query(
      `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE ${conditions.join(' AND ')}
       ORDER BY seq ${query.newest ? 'DESC' : 'ASC'} LIMIT $2`,
      params,
    );
    const views = rows.map(toMessageView);
    return query.newest ? views.reverse() : views;
  }
}
