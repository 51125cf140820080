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
import type { StreamOrder } from '../realtime/ordered-adapter.js';
import { RealtimePublisher } from '../realtime/realtime.publisher.js';
import type {
  CreateSuggestionDto,
  ListSuggestionsQueryDto,
  SuggestionDto,
  UpdateSuggestionDto,
  VoteResultDto,
} from './dto/suggestions.dto.js';
import type { Suggestion } from './suggestion.entity.js';
import { type LockedSuggestion, type SuggestionOrder, SuggestionsRepository } from './suggestions.repository.js';
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
        return undefined;
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
      ({ suggestion: s }) =>
        byScore ? [s.upvotes - s.downvotes, s.createdAt.toISOString(), s.id] : [s.createdAt.toISOString(), s.id],
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
      const current = (await this.lock(m, id, actor.id)).suggestion;
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
   * Puts the caller's vote to `value` (1, −1, or 0 to retract). Three statements in one transaction, each
   * prepared once per connection: read the suggestion under its row lock; read the caller's previous vote and
   * write the new one and the counts; the author's notification. The first two go out together with the BEGIN (the
   * unit of work pipelines it), and the COMMIT with the third, so votes on one suggestion queue on its lock for as
   * short a time as possible, and the vote's broadcast (which waits for the commit) leaves soon after the request.
   * The previous vote is read after the lock is held, in a statement of its own: a statement that waited for the
   * lock would still see the votes as they were when it began, and two votes of one user sent at once would then
   * both count.
   */
  async vote(actor: Principal, id: string, value: VoteValue): Promise<VoteResultDto> {
    const suggestion = await this.uow.run(async (tx): Promise<Suggestion> => {
      // Sent together (one round trip on Postgres): the write waits on the server for the lock the first one takes,
      // and writes nothing unless the suggestion is open.
      const [{ suggestion, callerName }, counts] = await Promise.all([
        this.lock(tx.manager, id, actor.id),
        this.repository.writeVote(tx.manager, id, actor.id, value),
      ]);
      if (suggestion.status !== 'open') {
        throw new DomainException(ErrorCode.INVALID_TRANSITION, 'The suggestion is closed to votes');
      }
      if (!counts) return suggestion;
      Object.assign(suggestion, counts);
      tx.afterCommit(() => this.publishCounts(suggestion));
      // The author hears of others' votes (not of their own, nor of a retraction), in the same transaction, whose
      // COMMIT leaves behind the notification's statement (the author exists: the suggestion's row refers to it).
      if (value !== 0 && suggestion.authorId !== actor.id) {
        tx.commitBehindNextStatement();
        await this.notifyAuthor(tx, suggestion, callerName, actor, value);
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
      { order: suggestionOrder(s) },
    );
  }

  /** Locks the suggestion's row for the rest of the transaction; NOT_FOUND when there is none. */
  private async lock(m: EntityManager, id: string, callerId: string): Promise<LockedSuggestion> {
    const locked = await this.repository.lock(m, id, callerId);
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
