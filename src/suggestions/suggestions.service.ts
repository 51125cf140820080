// Suggestions and votes. A vote locks its suggestion's row, so counts and version change in the vote's own
// transaction and stay exact under any interleaving; events leave after commit, in version order.
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { channels } from '@realtime-hub/protocol';
import { isAccount, isOwnerOrAdmin, type Principal } from '../auth/principal.js';
import { DomainException } from '../common/domain.exception.js';
import { ErrorCode } from '../common/error-codes.js';
import { cursorField, decodeCursor, type Page, pageLimit, toPage } from '../common/pagination.js';
import { type Transaction, UnitOfWork } from '../database/unit-of-work.js';
import { NotificationsService } from '../notifications/notifications.service.js';
import { ChannelRegistry } from '../realtime/channel-registry.js';
import type { StreamOrder } from '../realtime/reorder-buffer.js';
import { RealtimePublisher } from '../realtime/realtime.publisher.js';
import type {
  CreateSuggestionDto,
  ListSuggestionsQueryDto,
  SuggestionDto,
  UpdateSuggestionDto,
  VoteResultDto,
} from './dto/suggestions.dto.js';
import type { Suggestion } from './suggestion.entity.js';
import { type SuggestionOrder, SuggestionsRepository } from './suggestions.repository.js';
import type { VoteValue } from './vote-transition.js';

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

@Injectable()
export class SuggestionsService implements OnModuleInit {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly uow: UnitOfWork,
    private readonly notifications: NotificationsService,
    private readonly publisher: RealtimePublisher,
    private readonly channels: ChannelRegistry,
    private readonly repository: SuggestionsRepository,
  ) {}

  onModuleInit(): void {
    this.channels.register({
      pattern: SUGGESTIONS_CHANNEL,
      authorize: async (principal) => {
        if (!isAccount(principal)) throw DomainException.forbidden();
      },
    });
  }

  async create(actor: Principal, dto: CreateSuggestionDto): Promise<SuggestionDto> {
    const suggestion = await this.repository.insert(this.dataSource.manager, {
      authorId: actor.id,
      title: dto.title,
      description: dto.description ?? '',
    });
    this.publisher.publish(SUGGESTIONS_CHANNEL, 'suggestion:created', toDto(suggestion));
    return toDto(suggestion, 0);
  }

  async list(actor: Principal, query: ListSuggestionsQueryDto): Promise<Page<SuggestionDto>> {
    const limit = pageLimit(query);
    const byScore = query.sort === 'score';
    const order: SuggestionOrder = byScore
      ? { by: 'score', after: decodeCursor(query.cursor, [cursorField.int, cursorField.timestamp, cursorField.uuid]) }
      : { by: 'created', after: decodeCursor(query.cursor, [cursorField.timestamp, cursorField.uuid]) };
    const rows = await this.repository.page(this.dataSource.manager, actor.id, {
      status: query.status,
      order,
      take: limit + 1,
    });
    return toPage(
      rows,
      limit,
      // The cursor keeps the timestamp's full (microsecond) precision: cut to a JS Date's milliseconds, it would skip
      // the rows made in the same millisecond as the page's last one.
      ({ suggestion: s, cursorCreatedAt }) =>
        byScore ? [s.upvotes - s.downvotes, cursorCreatedAt, s.id] : [cursorCreatedAt, s.id],
      ({ suggestion, myVote }) => toDto(suggestion, myVote),
    );
  }

  async get(actor: Principal, id: string): Promise<SuggestionDto> {
    const m = this.dataSource.manager;
    const suggestion = await this.repository.find(m, id);
    if (!suggestion) throw DomainException.notFound('Suggestion');
    return toDto(suggestion, await this.repository.voteOf(m, id, actor.id));
  }

  /** Author or admin; a change of status bumps the version and publishes, a repeat changes nothing. */
  async update(actor: Principal, id: string, dto: UpdateSuggestionDto): Promise<SuggestionDto> {
    const suggestion = await this.uow.run(async ({ manager: m, afterCommit }) => {
      const current = await this.lock(m, id);
      if (!isOwnerOrAdmin(actor, current.authorId))
        throw DomainException.forbidden('Only the author or an admin may change a suggestion');
      if (current.status === dto.status) return current;
      const changed = await this.repository.setStatus(m, id, dto.status);
      afterCommit(() => {
        // In the suggestion's ordered stream, with the counts of the same version after it: votes counted before the
        // change are announced before it, on every instance.
        this.publisher.publish(SUGGESTIONS_CHANNEL, 'suggestion:updated', toDto(changed), {
          order: suggestionOrder(changed),
        });
        this.publishCounts(changed);
      });
      return changed;
    });
    return toDto(suggestion, await this.repository.voteOf(this.dataSource.manager, id, actor.id));
  }

  /**
   * Puts the caller's vote to `value` (1, −1, or 0 to retract), in one transaction of three statements, each prepared
   * once per connection: lock the suggestion's row; read the caller's previous vote and write the new one and the
   * counts; tell the author of someone else's up- or downvote. On Postgres the BEGIN, the three statements and the
   * COMMIT leave in one write and the vote waits for one answer (the unit of work pipelines them): each statement
   * runs once the one before has finished, so votes on one suggestion queue on its lock for as short a time as
   * possible, and the vote's broadcast (which waits for the commit) leaves soon after the request. The previous vote
   * is read in a statement of its own, started once the lock is held: a statement that waited for the lock would
   * still see the votes as they were when it began, and two votes of one user sent at once would then both count.
   * The statements decide in SQL what to write (nothing on a closed suggestion or a repeat, no notice of one's own
   * vote), since none waits for the answer of the one before it; the checks here, after their answers, only choose
   * the error.
   */
  async vote(actor: Principal, id: string, value: VoteValue): Promise<VoteResultDto> {
    const suggestion = await this.uow.run(async (tx): Promise<Suggestion> => {
      let changed: Suggestion | undefined;
      // Queued before the notice's effects: the counts are announced first.
      tx.afterCommit(() => {
        if (changed) this.publishCounts(changed);
      });
      const locked = this.lock(tx.manager, id);
      const notifies = value !== 0;
      if (!notifies) tx.commitBehindNextStatement();
      const written = this.repository.writeVote(tx.manager, id, actor.id, value);
      if (notifies) tx.commitBehindNextStatement();
      const noticed = notifies ? this.notifyAuthor(tx, id, actor, value) : undefined;
      const [suggestion, counts] = await Promise.all([locked, written, noticed]);
      if (suggestion.status !== 'open') {
        throw new DomainException(ErrorCode.INVALID_TRANSITION, 'The suggestion is closed to votes');
      }
      if (counts) changed = Object.assign(suggestion, counts);
      return suggestion;
    });
    return toVoteResult(suggestion, value);
  }

  /** Tells the author of the vote the caller has just written, if it moved the counts and the caller is not them. */
  private async notifyAuthor(tx: Transaction, id: string, voter: Principal, value: 1 | -1): Promise<void> {
    const notice = this.repository.authorNotice(id, voter.id, {
      type: 'suggestion.vote',
      title: value === 1 ? 'New upvote on your suggestion' : 'New downvote on your suggestion',
      bodyTemplate: `%s voted ${value === 1 ? 'for' : 'against'} "%s"`,
      anonymous: 'Someone',
      data: { suggestionId: id, voterId: voter.id, value },
    });
    await this.notifications.notifySelectedInTransaction(tx, notice.statement, notice.values);
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
      { order: suggestionOrder(s) },
    );
  }

  /** Locks the suggestion's row for the rest of the transaction; NOT_FOUND when there is none. */
  private async lock(m: EntityManager, id: string): Promise<Suggestion> {
    const locked = await this.repository.lock(m, id);
    if (!locked) throw DomainException.notFound('Suggestion');
    return locked;
  }
}

/**
 * A suggestion's place in its ordered stream: version − 1, since version 1 (creation, announced as
 * `suggestion:created`) is not an event of it; the first change is event 1, delivered at once. A status change and
 * the counts of its version share one number, in that order.
 */
function suggestionOrder(s: Suggestion): StreamOrder {
  return { key: `suggestion:${s.id}`, seq: s.version - 1 };
}
