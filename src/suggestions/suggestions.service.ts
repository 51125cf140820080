// Suggestions and votes. A vote locks its suggestion's row, so counts and version change in the vote's own
// transaction and stay exact under any interleaving; events leave after commit, in version order.
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { channels } from '@realtime-hub/protocol';
import { isAccount, type Principal } from '../auth/principal.js';
import { DomainException } from '../common/domain.exception.js';
import { ErrorCode } from '../common/error-codes.js';
import { cursorField, decodeCursor, type Page, pageLimit, toPage } from '../common/pagination.js';
import { SqlRunner, sqlStatement } from '../database/sql-runner.js';
import { type Transaction, UnitOfWork } from '../database/unit-of-work.js';
import { NotificationsService } from '../notifications/notifications.service.js';
import { ChannelRegistry } from '../realtime/channel-registry.js';
import { RealtimePublisher } from '../realtime/realtime.publisher.js';
import type {
  CreateSuggestionDto,
  ListSuggestionsQueryDto,
  SuggestionDto,
  UpdateSuggestionDto,
  VoteResultDto,
} from './dto/suggestions.dto.js';
import { Suggestion } from './suggestion.entity.js';
import { SuggestionVote } from './suggestion-vote.entity.js';
import { voteTransition, type VoteValue } from './vote-transition.js';

export const SUGGESTIONS_CHANNEL = channels.suggestions();

function toDto(s: Suggestion, myVote?: VoteValue): SuggestionDto {
  const dto: SuggestionDto = {
    id: s.id,
    authorId: s.authorId,
    title: s.title,
    description: s.description,
    status: s.status,
    upvotes: s.upvotes,
    downvotes: s.downvotes,
    score: s.upvotes - s.downvotes,
    version: s.version,
    createdAt: s.createdAt.toISOString(),
  };
  if (myVote !== undefined) dto.myVote = myVote;
  return dto;
}

function toVoteResult(s: Suggestion, myVote: VoteValue): VoteResultDto {
  return {
    suggestionId: s.id,
    upvotes: s.upvotes,
    downvotes: s.downvotes,
    score: s.upvotes - s.downvotes,
    version: s.version,
    myVote,
  };
}

interface LockedSuggestionRow {
  id: string;
  author_id: string;
  title: string;
  description: string;
  status: Suggestion['status'];
  upvotes: number;
  downvotes: number;
  version: number;
  created_at: Date;
  voter_name: string | null;
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

/** The suggestion under its row lock (the one way a suggestion is locked), with the caller's display name. */
const LOCK_SUGGESTION = sqlStatement(
  'suggestions.lock',
  `SELECT s.id, s.author_id, s.title, s.description, s.status, s.upvotes, s.downvotes, s.version, s.created_at,
          (SELECT display_name FROM users WHERE id = $2) AS voter_name
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
 * Under the suggestion's lock (taken by the statement before, so this statement's snapshot sees every vote that
 * committed while it waited): reads the caller's previous vote, and when the new one changes it, writes or
 * deletes the vote and moves the counts and version. Answers one row: the new counts, or nulls when nothing changed.
 */
const WRITE_VOTE = sqlStatement(
  'suggestions.write-vote',
  `WITH prev AS (
     SELECT coalesce(max(value), 0)::int AS value FROM suggestion_votes WHERE suggestion_id = $1 AND user_id = $2
   ), rule AS (
     SELECT t.up, t.down FROM prev
     JOIN (VALUES ${TRANSITIONS}) AS t(previous, next, up, down) ON t.previous = prev.value AND t.next = $3::int
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

@Injectable()
export class SuggestionsService implements OnModuleInit {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly uow: UnitOfWork,
    private readonly notifications: NotificationsService,
    private readonly publisher: RealtimePublisher,
    private readonly channels: ChannelRegistry,
    private readonly sql: SqlRunner,
  ) {}

  onModuleInit(): void {
    this.channels.register({
      pattern: SUGGESTIONS_CHANNEL,
      authorize: async (principal) => {
        if (!isAccount(principal)) throw DomainException.forbidden();
        return undefined;
      },
    });
  }

  async create(actor: Principal, dto: CreateSuggestionDto): Promise<SuggestionDto> {
    const repo = this.dataSource.getRepository(Suggestion);
    const saved = await repo.save(
      repo.create({ authorId: actor.id, title: dto.title, description: dto.description ?? '' }),
    );
    const suggestion = await repo.findOneByOrFail({ id: saved.id });
    this.publisher.publish(SUGGESTIONS_CHANNEL, 'suggestion:created', toDto(suggestion));
    return toDto(suggestion, 0);
  }

  async list(actor: Principal, query: ListSuggestionsQueryDto): Promise<Page<SuggestionDto>> {
    const limit = pageLimit(query);
    const byScore = query.sort === 'score';
    const qb = this.dataSource
      .getRepository(Suggestion)
      .createQueryBuilder('s')
      .leftJoin(SuggestionVote, 'v', 'v.suggestion_id = s.id AND v.user_id = :me', { me: actor.id })
      .addSelect('COALESCE(v.value, 0)', 'my_vote')
      .limit(limit + 1);
    if (query.status) qb.andWhere('s.status = :status', { status: query.status });
    if (byScore) {
      qb.orderBy('s.score', 'DESC').addOrderBy('s.created_at', 'DESC').addOrderBy('s.id', 'DESC');
      const cursor = decodeCursor(query.cursor, [cursorField.int, cursorField.timestamp, cursorField.uuid]);
      if (cursor) {
        const [score, createdAt, id] = cursor;
        qb.andWhere('(s.score, s.created_at, s.id) < (:score, :createdAt::timestamptz, :id::uuid)', {
          score,
          createdAt,
          id,
        });
      }
    } else {
      qb.orderBy('s.created_at', 'DESC').addOrderBy('s.id', 'DESC');
      const cursor = decodeCursor(query.cursor, [cursorField.timestamp, cursorField.uuid]);
      if (cursor) {
        const [createdAt, id] = cursor;
        qb.andWhere('(s.created_at, s.id) < (:createdAt::timestamptz, :id::uuid)', { createdAt, id });
      }
    }
    const { entities, raw } = await qb.getRawAndEntities<{ my_vote: number }>();
    const rows = entities.map((s, i) => ({ s, myVote: Number(raw[i].my_vote) as VoteValue }));
    return toPage(
      rows,
      limit,
      ({ s }) =>
        byScore ? [s.upvotes - s.downvotes, s.createdAt.toISOString(), s.id] : [s.createdAt.toISOString(), s.id],
      ({ s, myVote }) => toDto(s, myVote),
    );
  }

  async get(actor: Principal, id: string): Promise<SuggestionDto> {
    const suggestion = await this.dataSource.getRepository(Suggestion).findOneBy({ id });
    if (!suggestion) throw DomainException.notFound('Suggestion');
    const vote = await this.dataSource.getRepository(SuggestionVote).findOneBy({ suggestionId: id, userId: actor.id });
    return toDto(suggestion, vote?.value ?? 0);
  }

  /** Author or admin; a change of status bumps the version and publishes, a repeat changes nothing. */
  async update(actor: Principal, id: string, dto: UpdateSuggestionDto): Promise<SuggestionDto> {
    const suggestion = await this.uow.run(async ({ manager: m, afterCommit }) => {
      const current = fromLockedRow(await this.lock(m, id, actor.id));
      if (actor.role !== 'admin' && current.authorId !== actor.id)
        throw DomainException.forbidden('Only the author or an admin may change a suggestion');
      if (current.status === dto.status) return current;
      await m.update(Suggestion, { id }, { status: dto.status, version: () => 'version + 1' });
      const changed = await m.findOneByOrFail(Suggestion, { id });
      afterCommit(() => {
        this.publisher.publish(SUGGESTIONS_CHANNEL, 'suggestion:updated', toDto(changed));
        this.publishCounts(changed);
      });
      return changed;
    });
    const vote = await this.dataSource.getRepository(SuggestionVote).findOneBy({ suggestionId: id, userId: actor.id });
    return toDto(suggestion, vote?.value ?? 0);
  }

  /**
   * Puts the caller's vote to `value` (1, −1, or 0 to retract). Three statements in one transaction, each
   * prepared once per connection: read the suggestion under its row lock; read the caller's previous vote and
   * write the new one and the counts; the author's notification; so votes on one suggestion queue on its lock for
   * as short a time as possible, and the vote's broadcast (which waits for the commit) leaves soon after the
   * request. The previous vote is read after the lock is held, in a statement of its own: a statement that waited
   * for the lock would still see the votes as they were when it began, and two votes of one user sent at once
   * would then both count.
   */
  async vote(actor: Principal, id: string, value: VoteValue): Promise<VoteResultDto> {
    const suggestion = await this.uow.run(async (tx): Promise<Suggestion> => {
      const m = tx.manager;
      const locked = await this.lock(m, id, actor.id);
      const suggestion = fromLockedRow(locked);
      if (suggestion.status !== 'open') {
        throw new DomainException(ErrorCode.INVALID_TRANSITION, 'The suggestion is closed to votes');
      }
      const [written] = await this.sql.rows<{
        upvotes: number | null;
        downvotes: number | null;
        version: number | null;
      }>(m, WRITE_VOTE, [id, actor.id, value]);
      if (written.version === null) return suggestion;
      Object.assign(suggestion, { upvotes: written.upvotes, downvotes: written.downvotes, version: written.version });
      tx.afterCommit(() => this.publishCounts(suggestion));
      // The author hears of others' votes (not of their own, nor of a retraction), in the same transaction.
      if (value !== 0 && suggestion.authorId !== actor.id) {
        await this.notifyAuthor(tx, suggestion, locked.voter_name, actor, value);
      }
      return suggestion;
    });
    return toVoteResult(suggestion, value);
  }

  private async notifyAuthor(
    tx: Transaction,
    suggestion: Suggestion,
    voterName: string | null,
    voter: Principal,
    value: 1 | -1,
  ): Promise<void> {
    const who = voterName ?? 'Someone';
    await this.notifications.notifyInTransaction(tx, {
      userIds: [suggestion.authorId],
      type: 'suggestion.vote',
      title: value === 1 ? 'New upvote on your suggestion' : 'New downvote on your suggestion',
      body: `${who} voted ${value === 1 ? 'for' : 'against'} "${suggestion.title}"`,
      data: { suggestionId: suggestion.id, voterId: voter.id, value },
    });
  }

  private publishCounts(s: Suggestion): void {
    this.publisher.publish(
      SUGGESTIONS_CHANNEL,
      'suggestion:vote',
      {
        suggestionId: s.id,
        upvotes: s.upvotes,
        downvotes: s.downvotes,
        score: s.upvotes - s.downvotes,
        version: s.version,
      },
      { order: { key: `suggestion:${s.id}`, seq: s.version } },
    );
  }

  /** Locks the suggestion's row for the rest of the transaction; NOT_FOUND when there is none. */
  private async lock(m: EntityManager, id: string, callerId: string): Promise<LockedSuggestionRow> {
    const rows = await this.sql.rows<LockedSuggestionRow>(m, LOCK_SUGGESTION, [id, callerId]);
    if (rows.length === 0) throw DomainException.notFound('Suggestion');
    return rows[0];
  }
}
