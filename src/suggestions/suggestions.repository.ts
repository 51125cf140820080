// The SQL of suggestions and their votes. Every method takes the EntityManager to run on: inside a transaction,
// that transaction's manager (embedded PGlite has one backend; any other connection would wait forever). The vote
// path's statements (LOCK, WRITE_VOTE, NOTIFY_AUTHOR) run through SqlRunner, prepared once per connection.
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { SqlRunner, type SqlStatement, sqlStatement } from '../database/sql-runner.js';
import { selectedNotifications } from '../notifications/notifications.service.js';
import { Suggestion, type SuggestionStatus } from './suggestion.entity.js';
import { SuggestionVote } from './suggestion-vote.entity.js';
import { voteTransition, type VoteValue } from './vote-transition.js';

/** The counts after a vote that changed something. */
export interface VoteCounts {
  upvotes: number;
  downvotes: number;
  version: number;
}

/**
 * The order of a page, newest first, and (`after`) the last row of the previous page in the order's columns, its
 * `created_at` as Postgres prints it (full precision).
 */
export type SuggestionOrder =
  | { by: 'score'; after?: readonly [score: number, createdAt: string, id: string] }
  | { by: 'created'; after?: readonly [createdAt: string, id: string] };

export interface SuggestionPageSpec {
  status?: SuggestionStatus;
  order: SuggestionOrder;
  /** Rows to fetch (the page size plus one, to learn whether there is more). */
  take: number;
}

export interface SuggestionWithVote {
  suggestion: Suggestion;
  myVote: VoteValue;
  /** `created_at` as Postgres prints it, for the cursor: a JS Date would drop its microseconds. */
  cursorCreatedAt: string;
}

interface LockedSuggestionRow {
  id: string;
  author_id: string;
  title: string;
  description: string;
  status: SuggestionStatus;
  upvotes: number;
  downvotes: number;
  version: number;
  created_at: Date;
}

/** The suggestion under its row lock (the one way a suggestion is locked). */
const LOCK_SUGGESTION = sqlStatement(
  'suggestions.lock',
  `SELECT s.id, s.author_id, s.title, s.description, s.status, s.upvotes, s.downvotes, s.version, s.created_at
   FROM suggestions s WHERE s.id = $1
   FOR UPDATE`,
);

/** Every change of a vote as SQL rows `(previous, next, up, down)`, from the one rule in vote-transition.ts. */
const TRANSITIONS = ([-1, 0, 1] as const)
  .flatMap((previous) => ([-1, 0, 1] as const).map((next) => ({ previous, next, ...voteTransition(previous, next) })))
  .filter((t) => t.changed)
  .map((t) => `(${t.previous}, ${t.next}, ${t.upvotes}, ${t.downvotes})`)
  .join(', ');

/**
 * Under the suggestion's lock (taken by the statement before; Postgres starts this one once that one has finished,
 * so its snapshot sees every vote that committed while the lock was awaited): reads the caller's previous vote, and
 * when the suggestion is open and the new vote changes it, writes or deletes the vote and moves the counts and
 * version. Answers one row: the new counts, or nulls when nothing changed. It checks the status itself so that it
 * can be sent together with the lock, without waiting for the lock's answer.
 */
const WRITE_VOTE = sqlStatement(
  'suggestions.write-vote',
  `WITH prev AS (
     SELECT coalesce(max(value), 0)::int AS value FROM suggestion_votes WHERE suggestion_id = $1 AND user_id = $2
   ), rule AS (
     SELECT t.up, t.down FROM prev
     JOIN (VALUES ${TRANSITIONS}) AS t(previous, next, up, down) ON t.previous = prev.value AND t.next = $3::int
     WHERE EXISTS (SELECT 1 FROM suggestions WHERE id = $1 AND status = 'open')
   ), cast_vote AS (
     INSERT INTO suggestion_votes (suggestion_id, user_id, value)
     SELECT $1, $2, $3::int FROM rule WHERE $3::int <> 0
     ON CONFLICT (suggestion_id, user_id) DO UPDATE SET value = EXCLUDED.value, updated_at = now()
   ), retract AS (
     DELETE FROM suggestion_votes
     WHERE suggestion_id = $1 AND user_id = $2 AND $3::int = 0 AND EXISTS (SELECT 1 FROM rule)
   ), counts AS (
     UPDATE suggestions s
     SET upvotes = s.upvotes + rule.up, downvotes = s.downvotes + rule.down, version = s.version + 1, updated_at = now()
     FROM rule WHERE s.id = $1
     RETURNING s.upvotes, s.downvotes, s.version
   )
   SELECT counts.upvotes, counts.downvotes, counts.version FROM prev LEFT JOIN counts ON true`,
);

/**
 * The author's notice of a vote, sent right behind WRITE_VOTE in the same transaction, so that neither waits for the
 * other's answer: one notification for the author when that statement moved the counts (the suggestion's row then
 * carries this transaction's id: its xmin) and the voter ($2) is someone else. The service passes the texts: the
 * title ($4), and the body's template ($5), whose two `%s` become the voter's display name (or $6) and the
 * suggestion's title: at most 80 + 200 characters, within NOTIFICATION_LIMITS.
 */
const NOTIFY_AUTHOR = selectedNotifications(
  'suggestions.notify-author',
  `SELECT s.author_id AS user_id, $3::text AS type, $4::text AS title,
          format($5::text, coalesce(u.display_name, $6::text), s.title) AS body,
          $7::jsonb || jsonb_build_object('voterName', u.display_name, 'suggestionTitle', s.title) AS data
   FROM suggestions s LEFT JOIN users u ON u.id = $2
   WHERE s.id = $1 AND s.author_id <> $2 AND s.xmin = pg_current_xact_id_if_assigned()::xid`,
);

/** What the author is told of a vote, and how; see NOTIFY_AUTHOR. */
export interface VoteNotice {
  type: string;
  title: string;
  /** `%s` twice: the voter's name, then the suggestion's title. */
  bodyTemplate: string;
  /** The voter's name when no user row answers for the voter. */
  anonymous: string;
  /** Stored with `voterName` (null without a user row) and `suggestionTitle` added, so clients can word it. */
  data: Record<string, unknown>;
}

function fromLockedRow(row: LockedSuggestionRow): Suggestion {
  return Object.assign(new Suggestion(), {
    id: row.id,
    authorId: row.author_id,
    title: row.title,
    description: row.description,
    status: row.status,
    upvotes: row.upvotes,
    downvotes: row.downvotes,
    version: row.version,
    createdAt: row.created_at,
  });
}

@Injectable()
export class SuggestionsRepository {
  constructor(private readonly sql: SqlRunner) {}

  /** Inserts an open suggestion with no votes and answers it as stored (defaults and timestamps filled in). */
  async insert(
    manager: EntityManager,
    fields: { authorId: string; title: string; description: string },
  ): Promise<Suggestion> {
    const repo = manager.getRepository(Suggestion);
    const saved = await repo.save(repo.create(fields));
    return repo.findOneByOrFail({ id: saved.id });
  }

  async find(manager: EntityManager, id: string): Promise<Suggestion | null> {
    return manager.findOneBy(Suggestion, { id });
  }

  /** The user's vote on the suggestion; 0 when there is none. */
  async voteOf(manager: EntityManager, suggestionId: string, userId: string): Promise<VoteValue> {
    const vote = await manager.findOneBy(SuggestionVote, { suggestionId, userId });
    return vote?.value ?? 0;
  }

  /** One page of suggestions, each with the caller's vote (0 for none). */
  async page(manager: EntityManager, callerId: string, spec: SuggestionPageSpec): Promise<SuggestionWithVote[]> {
    const qb = manager
      .getRepository(Suggestion)
      .createQueryBuilder('s')
      .leftJoin(SuggestionVote, 'v', 'v.suggestion_id = s.id AND v.user_id = :me', { me: callerId })
      .addSelect('COALESCE(v.value, 0)', 'my_vote')
      .addSelect('s.created_at::text', 'cursor_created_at')
      .limit(spec.take);
    if (spec.status) qb.andWhere('s.status = :status', { status: spec.status });
    const { order } = spec;
    if (order.by === 'score') {
      qb.orderBy('s.score', 'DESC').addOrderBy('s.created_at', 'DESC').addOrderBy('s.id', 'DESC');
      if (order.after) {
        const [score, createdAt, id] = order.after;
        qb.andWhere('(s.score, s.created_at, s.id) < (:score, :createdAt::timestamptz, :id::uuid)', {
          score,
          createdAt,
          id,
        });
      }
    } else {
      qb.orderBy('s.created_at', 'DESC').addOrderBy('s.id', 'DESC');
      if (order.after) {
        const [createdAt, id] = order.after;
        qb.andWhere('(s.created_at, s.id) < (:createdAt::timestamptz, :id::uuid)', { createdAt, id });
      }
    }
    const { entities, raw } = await qb.getRawAndEntities<{ my_vote: number; cursor_created_at: string }>();
    return entities.map((suggestion, i) => ({
      suggestion,
      myVote: Number(raw[i].my_vote) as VoteValue,
      cursorCreatedAt: raw[i].cursor_created_at,
    }));
  }

  /**
   * Locks the suggestion's row for the rest of the transaction (the one way a suggestion is locked); undefined when
   * there is no such suggestion.
   */
  async lock(manager: EntityManager, id: string): Promise<Suggestion | undefined> {
    const rows = await this.sql.rows<LockedSuggestionRow>(manager, LOCK_SUGGESTION, [id]);
    return rows.length === 0 ? undefined : fromLockedRow(rows[0]);
  }

  /**
   * The statement and values that notify the suggestion's author of the vote `voterId` has just written, if that
   * vote changed the counts and the voter is not the author (NOTIFY_AUTHOR); run it with
   * NotificationsService.notifySelectedInTransaction, after writeVote, in the same transaction.
   */
  authorNotice(id: string, voterId: string, notice: VoteNotice): { statement: SqlStatement; values: unknown[] } {
    return {
      statement: NOTIFY_AUTHOR,
      values: [
        id,
        voterId,
        notice.type,
        notice.title,
        notice.bodyTemplate,
        notice.anonymous,
        JSON.stringify(notice.data),
      ],
    };
  }

  /**
   * Puts the user's vote to `value` (0 retracts) and moves the counts and version, in one statement; the row must
   * be locked with `lock` first, in the same transaction (the two may be sent together). Answers the new counts, or
   * undefined when nothing was written: the vote was already `value`, or the suggestion is missing or not open.
   */
  async writeVote(
    manager: EntityManager,
    id: string,
    userId: string,
    value: VoteValue,
  ): Promise<VoteCounts | undefined> {
    const [written] = await this.sql.rows<{ upvotes: number | null; downvotes: number | null; version: number | null }>(
      manager,
      WRITE_VOTE,
      [id, userId, value],
    );
    if (written.version === null) return undefined;
    return { upvotes: written.upvotes!, downvotes: written.downvotes!, version: written.version };
  }

  /** Sets the status and bumps the version (the row must be locked), and answers the suggestion as it now is. */
  async setStatus(manager: EntityManager, id: string, status: SuggestionStatus): Promise<Suggestion> {
    await manager.update(Suggestion, { id }, { status, version: () => 'version + 1' });
    return manager.findOneByOrFail(Suggestion, { id });
  }
}
