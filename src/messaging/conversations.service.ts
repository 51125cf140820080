// Conversations and their members: direct (one per pair) and groups; who may read them and join their channel.
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { CHANNEL_PATTERNS, channels } from '@realtime-hub/protocol';
import { isAccount, type Principal } from '../auth/principal.js';
import { DomainException } from '../common/domain.exception.js';
import {
  cursorField,
  decodeCursor,
  malformedCursor,
  type Page,
  type PageQueryDto,
  pageLimit,
  toPage,
} from '../common/pagination.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { ChannelRegistry } from '../realtime/channel-registry.js';
import { ChannelService } from '../realtime/channel.service.js';
import { accountRoom } from '../realtime/principal-rooms.js';
import { AppConfig } from '../config/app-config.js';
import { RealtimePublisher } from '../realtime/realtime.publisher.js';
import type { AddMembersDto, CreateConversationDto } from './dto/conversation.dto.js';
import { type ConversationRow, MessagingRepository } from './messaging.repository.js';
import type { ConversationView, MemberView, MessageView } from './messaging.types.js';
import { directKey, unreadCount } from './read-state.js';
import { TypingService } from './typing.service.js';

export interface Created<T> {
  value: T;
  /** False when an existing one was answered (the direct conversation of a pair). */
  created: boolean;
}

/** A cursor's activity time as the store writes it (`2025-01-31T12:00:00.123456Z`), and a real date. */
function isCursorTime(value: unknown): value is string {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/.test(value)) return false;
  const parsed = new Date(value);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 19) === value.slice(0, 19);
}

export function conversationView(
  row: ConversationRow,
  members: MemberView[],
  lastMessage: MessageView | null,
  viewerId: string,
): ConversationView {
  const viewer = members.find((member) => member.userId === viewerId);
  return {
    id: row.id,
    kind: row.kind,
    title: row.title,
    members,
    lastMessage,
    unreadCount: unreadCount(row.lastSeq, viewer?.lastReadSeq ?? row.lastSeq),
    createdAt: row.createdAt,
  };
}

@Injectable()
export class ConversationsService implements OnModuleInit {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly uow: UnitOfWork,
    private readonly repository: MessagingRepository,
    private readonly publisher: RealtimePublisher,
    private readonly channels: ChannelService,
    private readonly registry: ChannelRegistry,
    private readonly typing: TypingService,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.registry.register({
      pattern: CHANNEL_PATTERNS.conversation,
      authorize: async (principal, { id }) => {
        if (!isAccount(principal)) throw DomainException.forbidden();
        await this.repository.requireMember(this.dataSource.manager, id, principal.id);
      },
    });
  }

  /**
   * One other member and no title: the direct conversation of the pair, created once (201) and reused after
   * (200), also when two creates race (the unique direct_key decides). Otherwise a new group.
   */
  async create(actor: Principal, dto: CreateConversationDto): Promise<Created<ConversationView>> {
    const others = [...new Set(dto.memberIds)].filter((id) => id !== actor.id);
    if (others.length === 0) {
      throw DomainException.validation('memberIds: must name at least one other user', [
        { field: 'memberIds', errors: ['memberIds must name at least one user other than the caller'] },
      ]);
    }
    this.assertMemberLimit(others.length + 1);
    const title = dto.title ?? null;
    const direct = others.length === 1 && title === null;
    return this.uow.run(async ({ manager: m, afterCommit }) => {
      await this.assertUsersExist(m, others, 'memberIds');
      let id: string;
      let created = true;
      if (direct) {
        const key = directKey(actor.id, others[0]);
        const inserted = await this.repository.insertDirect(m, key, actor.id);
        if (inserted === undefined) {
          const existing = await this.repository.findDirect(m, key);
          if (existing === undefined) throw new Error(`Direct conversation ${key} vanished`);
          id = existing;
          created = false;
        } else {
          id = inserted;
          await this.repository.addMembers(m, id, [actor.id, others[0]], 0);
        }
      } else {
        id = await this.repository.insertGroup(m, title, actor.id);
        await this.repository.addMembers(m, id, [actor.id, ...others], 0);
      }
      const views = await this.views(m, id);
      if (created) {
        afterCommit(() => {
          for (const member of views.members) {
            this.publisher.publish(channels.user(member.userId), 'conversation:added', {
              conversation: views.viewFor(member.userId),
            });
          }
        });
      }
      return { value: views.viewFor(actor.id), created };
    });
  }

  /** The caller's conversations, most recent activity first. */
  async list(actor: Principal, query: PageQueryDto): Promise<Page<ConversationView>> {
    const limit = pageLimit(query);
    const cursor = decodeCursor(query.cursor, [cursorField.timestamp, cursorField.uuid]);
    let after: { activity: string; id: string } | undefined;
    if (cursor) {
      const [activity, id] = cursor;
      if (!isCursorTime(activity)) {
        throw malformedCursor();
      }
      after = { activity, id };
    }
    const m = this.dataSource.manager;
    const rows = await this.repository.listForUser(m, actor.id, limit + 1, after);
    const ids = rows.map((r) => r.id);
    const [members, lastMessages] = await Promise.all([
      this.repository.members(m, ids),
      this.repository.lastMessages(m, ids),
    ]);
    return toPage(
      rows,
      limit,
      (r) => [r.activity, r.id],
      (r) => conversationView(r, members.get(r.id) ?? [], lastMessages.get(r.id) ?? null, actor.id),
    );
  }

  async get(actor: Principal, id: string): Promise<ConversationView> {
    await this.repository.requireMember(this.dataSource.manager, id, actor.id);
    return (await this.views(this.dataSource.manager, id)).viewFor(actor.id);
  }

  /** Any member of a group adds users; new members start with the history read. */
  async addMembers(actor: Principal, id: string, dto: AddMembersDto): Promise<ConversationView> {
    const wanted = [...new Set(dto.userIds)];
    return this.uow.run(async ({ manager: m, afterCommit }) => {
      const { conversation } = await this.repository.requireMember(m, id, actor.id, 'update');
      if (conversation.kind !== 'group') throw DomainException.forbidden('Members can be added to groups only');
      await this.assertUsersExist(m, wanted, 'userIds');
      const added = await this.repository.addMembers(m, id, wanted, conversation.lastSeq);
      // Counted after the insert, under the conversation's row lock: concurrent additions cannot pass the limit.
      if (added.length > 0) this.assertMemberLimit(await this.repository.countMembers(m, id));
      const views = await this.views(m, id);
      if (added.length > 0) {
        afterCommit(() => {
          this.publisher.publish(channels.conversation(id), 'conversation:members', {
            conversationId: id,
            members: views.members,
          });
          for (const userId of added) {
            this.publisher.publish(channels.user(userId), 'conversation:added', {
              conversation: views.viewFor(userId),
            });
          }
        });
      }
      return views.viewFor(actor.id);
    });
  }

  /** Leaves a group: the leaver's sockets leave the channel (every instance) before the others are told. */
  async leave(actor: Principal, id: string): Promise<void> {
    await this.uow.run(async ({ manager: m }) => {
      const { conversation } = await this.repository.requireMember(m, id, actor.id, 'update');
      if (conversation.kind !== 'group') throw DomainException.forbidden('A direct conversation cannot be left');
      await this.repository.removeMember(m, id, actor.id);
    });
    await this.channels.removeRoomsFrom(channels.conversation(id), [accountRoom(actor.id)], 'FORBIDDEN');
    // Presence follows shared conversations: withdraw, both ways, what this leave ended.
    await this.channels.reviewSubscriptions(accountRoom(actor.id), 'presence:');
    await this.channels.evictUnauthorized(channels.presence(actor.id));
    await this.typing.clear(id, actor.id);
    const members = (await this.repository.members(this.dataSource.manager, [id])).get(id) ?? [];
    this.publisher.publish(channels.conversation(id), 'conversation:members', { conversationId: id, members });
  }

  private assertMemberLimit(members: number): void {
    const limit = this.config.limits.conversationMembers;
    if (members > limit) {
      throw DomainException.limitExceeded(`A conversation has at most ${limit} members (MESSAGING_MAX_MEMBERS)`, {
        limit,
      });
    }
  }

  private async assertUsersExist(m: EntityManager, ids: string[], field: string): Promise<void> {
    const found = new Set(await this.repository.existingUsers(m, ids));
    const unknown = ids.filter((id) => !found.has(id));
    if (unknown.length > 0) {
      throw DomainException.validation(`${field}: unknown users`, [
        { field, errors: [`${field} names unknown or disabled users: ${unknown.join(', ')}`] },
      ]);
    }
  }

  /** The conversation with its members and last message, viewable per member. */
  private async views(
    m: EntityManager,
    id: string,
  ): Promise<{ members: MemberView[]; viewFor: (userId: string) => ConversationView }> {
    const row = await this.repository.findConversation(m, id);
    if (!row) throw DomainException.notFound('Conversation');
    const [members, lastMessages] = await Promise.all([
      this.repository.members(m, [id]),
      this.repository.lastMessages(m, [id]),
    ]);
    const list = members.get(id) ?? [];
    const lastMessage = lastMessages.get(id) ?? null;
    return { members: list, viewFor: (userId) => conversationView(row, list, lastMessage, userId) };
  }
}
