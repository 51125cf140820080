// Messages and read marks. A message's seq is allocated under the conversation row's lock in the statement that
// inserts it, so seqs have no gap and no duplicate; a retried clientId answers the first message and publishes
// nothing. REST and WS share these methods.
//
// Appends are group-committed across conversations: conversations are spread over a few queues, and the messages
// that arrive while a queue's batch is being written are written together in one transaction (one round trip and
// one commit for the batch), each by the same statement as alone. A lone message goes alone, as its own transaction.
import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { channels } from '@realtime-hub/protocol';
import type { Principal } from '../auth/principal.js';
import {
  cursorField,
  decodeCursor,
  encodeCursor,
  malformedCursor,
  type Page,
  pageLimit,
} from '../common/pagination.js';
import { DomainException } from '../common/domain.exception.js';
import { GroupCommitQueue } from '../database/group-commit.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import type { StateVersion } from '../realtime/ordered-adapter.js';
import { RealtimePublisher } from '../realtime/realtime.publisher.js';
import type { Created } from './conversations.service.js';
import { MAX_SEQ, type MessagesQueryDto, type SendMessageDto } from './dto/message.dto.js';
import {
  type AppendResult,
  type MemberReadState,
  MessagingRepository,
  type NewMessage,
} from './messaging.repository.js';
import type { MessageView, ReadState } from './messaging.types.js';
import { nextReadSeq, unreadCount } from './read-state.js';

const isSeq = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_SEQ;

/**
 * Queues the conversations are spread over. Each has one batch in flight at a time, so one instance's batches never
 * share a conversation, and a conversation's messages are written in the order they arrived.
 */
const APPEND_QUEUES = 4;
/** Messages written in one transaction at most; a longer queue takes several. */
const MAX_APPEND_BATCH = 100;

/** The queue of a conversation (ids are UUIDs: their last hex digits are spread evenly). */
function appendQueueOf(conversationId: string): string {
  return String(parseInt(conversationId.slice(-4), 16) % APPEND_QUEUES);
}

/**
 * A member's inbox line for a conversation, as of its last seq and their read mark: neither moves back, and every
 * `inbox:update` follows a change of one of them (appends and reads of a conversation commit one after the other, see
 * MessagingRepository.lockForAppend), so their sum orders the member's updates for it. A copy that arrives after a
 * newer one (from another instance) is dropped rather than shown.
 */
const inboxVersion = (conversationId: string, lastSeq: number, lastReadSeq: number): StateVersion => ({
  key: `inbox:${conversationId}`,
  version: lastSeq + lastReadSeq,
});

/** A member's read receipt in a conversation's channel: it never moves back, so a late older copy is dropped. */
const readMarkVersion = (userId: string, seq: number): StateVersion => ({ key: `read:${userId}`, version: seq });

const compareIds = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

@Injectable()
export class MessagesService implements OnModuleDestroy {
  /**
   * A batch of messages is one transaction, its statements sent together (appendTogether). A statement that fails (a
   * retried clientId's unique violation, mostly) rolls the batch back, and each message is then written alone, in
   * arrival order, with its own outcome.
   */
  private readonly appends = new GroupCommitQueue<NewMessage, AppendResult>(
    async (_queue, messages) => (await this.appendTogether(messages)).map((value) => ({ ok: true, value })),
    { maxBatch: MAX_APPEND_BATCH, writeAloneWhen: () => true },
  );

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly uow: UnitOfWork,
    private readonly repository: MessagingRepository,
    private readonly publisher: RealtimePublisher,
  ) {}

  async onModuleDestroy(): Promise<void> {
    await this.appends.flush();
  }

  async send(actor: Principal, conversationId: string, dto: SendMessageDto): Promise<Created<MessageView>> {
    const clientId = dto.clientId ?? null;
    const manager = this.dataSource.manager;
    const appended = await this.appends.submit(appendQueueOf(conversationId), {
      conversationId,
      senderId: actor.id,
      body: dto.body,
      clientId,
    });
    if (appended.kind === 'not-member') {
      // Tells a missing conversation (NOT_FOUND) from a non-member (FORBIDDEN).
      await this.repository.requireMember(manager, conversationId, actor.id);
      throw DomainException.forbidden('Not a member of this conversation');
    }
    if (appended.kind === 'duplicate') {
      const first =
        clientId === null
          ? undefined
          : await this.repository.findByClientId(manager, conversationId, actor.id, clientId);
      if (!first) throw new Error('Message insert conflicted without a first message');
      return { value: first, created: false };
    }
    return { value: appended.message, created: true };
  }

  /**
   * One transaction, sent in one write: the conversations' rows locked (lockForAppend), the appends in
   * conversation-id order, COMMIT behind the last; the new messages published after the commit. Throws when a statement failed and the whole rolled back, except
   * for a lone message whose clientId was already used: its answer is the duplicate (nothing was written).
   */
  private async appendTogether(messages: NewMessage[]): Promise<AppendResult[]> {
    const results: AppendResult[] = new Array<AppendResult>(messages.length);
    try {
      await this.uow.run(async (tx) => {
        const order = messages
          .map((_, i) => i)
          .sort((x, y) => compareIds(messages[x].conversationId, messages[y].conversationId) || x - y);
        const locked = this.repository.lockForAppend(
          tx.manager,
          messages.map((message) => message.conversationId),
        );
        // Published once this transaction commits, not once the whole batch has been answered: when a batch is
        // rolled back and its messages written one by one, each is announced as soon as it is stored (later, the
        // next seqs of its conversation, stored by other instances meanwhile, would wait for it past the reorder
        // buffer's patience and be delivered before it).
        tx.afterCommit(() => {
          for (const result of results) if (result.kind === 'created') this.publishNew(result.message, result.readers);
        });
        const appended = order.map((i, k) => {
          if (k === order.length - 1) tx.commitBehindNextStatement();
          return this.repository.appendMessage(tx.manager, messages[i]).then((result) => {
            results[i] = result;
          });
        });
        await Promise.all([locked, ...appended]);
      });
    } catch (err) {
      // A duplicate's statement fails the transaction even though the repository answers it as a duplicate.
      if (messages.length === 1 && results[0]?.kind === 'duplicate') return results;
      throw err;
    }
    return results;
  }

  /** Moves the member's read mark forward (clamped to the last seq); publishes only when it moved. */
  async read(actor: Principal, conversationId: string, seq: number): Promise<ReadState> {
    return this.uow.run(async ({ manager: m, afterCommit }) => {
      // The conversation shared first: an append in progress commits before the mark is read and moved, and the next
      // waits for this one (see ConversationLock), so each `inbox:update` counts what the other committed.
      await this.repository.requireMember(m, conversationId, actor.id, 'share');
      const state = await this.repository.lockReadState(m, conversationId, actor.id);
      if (!state) throw DomainException.forbidden('Not a member of this conversation');
      const next = nextReadSeq(state.lastReadSeq, seq, state.lastSeq);
      const unread = unreadCount(state.lastSeq, next);
      if (next !== state.lastReadSeq) {
        await this.repository.markRead(m, conversationId, actor.id, next);
        const lastMessage = await this.repository.messageAt(m, conversationId, state.lastSeq);
        afterCommit(() => {
          this.publisher.publish(
            channels.conversation(conversationId),
            'message:read',
            { conversationId, userId: actor.id, seq: next },
            { latest: readMarkVersion(actor.id, next) },
          );
          this.publisher.publish(
            channels.user(actor.id),
            'inbox:update',
            { conversationId, lastMessage, unreadCount: unread, lastMessageSeq: state.lastSeq, lastReadSeq: next },
            { latest: inboxVersion(conversationId, state.lastSeq, next) },
          );
        });
      }
      return { lastReadSeq: next, unreadCount: unread };
    });
  }

  /**
   * Always ascending by seq. Default: the latest `limit`; `beforeSeq`: the `limit` just before it; `afterSeq`:
   * the `limit` just after it (both: after `afterSeq`, below `beforeSeq`). `nextCursor` continues the same way.
   */
  async list(actor: Principal, conversationId: string, query: MessagesQueryDto): Promise<Page<MessageView>> {
    const limit = pageLimit(query);
    let { afterSeq, beforeSeq } = query;
    let newest = afterSeq === undefined;
    const cursor = decodeCursor(query.cursor, [
      cursorField.oneOf('after', 'before'),
      cursorField.seq,
      cursorField.nullable(cursorField.seq),
    ]);
    if (cursor) {
      const [direction, from, bound] = cursor;
      const valid =
        (direction === 'after' || direction === 'before') && isSeq(from) && (bound === null || isSeq(bound));
      if (!valid) {
        throw malformedCursor();
      }
      newest = direction === 'before';
      if (direction === 'after') {
        afterSeq = from;
        beforeSeq = (bound as number | null) ?? undefined;
      } else {
        beforeSeq = from;
        afterSeq = (bound as number | null) ?? undefined;
      }
    }
    const m = this.dataSource.manager;
    await this.repository.requireMember(m, conversationId, actor.id);
    const rows = await this.repository.messages(m, conversationId, { afterSeq, beforeSeq, limit: limit + 1, newest });
    const hasMore = rows.length > limit;
    // The extra row sits at the far end from where the page starts: the oldest when walking back, else the newest.
    const items = hasMore ? (newest ? rows.slice(1) : rows.slice(0, limit)) : rows;
    let nextCursor: string | null = null;
    if (hasMore && items.length > 0) {
      nextCursor = newest
        ? encodeCursor(['before', items[0].seq, afterSeq ?? null])
        : encodeCursor(['after', items[items.length - 1].seq, beforeSeq ?? null]);
    }
    return { items, nextCursor };
  }

  private publishNew(message: MessageView, readers: MemberReadState[]): void {
    const channel = channels.conversation(message.conversationId);
    this.publisher.publish(channel, 'message:new', message, { order: { key: channel, seq: message.seq } });
    for (const reader of readers) {
      this.publisher.publish(
        channels.user(reader.userId),
        'inbox:update',
        {
          conversationId: message.conversationId,
          lastMessage: message,
          unreadCount: unreadCount(message.seq, reader.lastReadSeq),
          lastMessageSeq: message.seq,
          lastReadSeq: reader.lastReadSeq,
        },
        { latest: inboxVersion(message.conversationId, message.seq, reader.lastReadSeq) },
      );
    }
  }
}
