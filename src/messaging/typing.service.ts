// The typing rule: after an `isTyping:true` passes, further trues from that user in that conversation within
// 1000 ms are dropped; `false` always passes; the server sends `false` TYPING_TIMEOUT_MS after the last `true`,
// or when the typist's last socket (on any instance) leaves. Never echoed to the typist's own sockets.
// The timeout timer lives on the instance that received the `true`; the state it checks is shared (Redis), and so
// are the typists' deadlines: every instance ends, a second late, the typing whose timer's instance died.
import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { channels } from '@realtime-hub/protocol';
import type { Principal } from '../auth/principal.js';
import { SingleFlightInterval } from '../common/single-flight-interval.js';
import { AppConfig } from '../config/app-config.js';
import { ChannelService } from '../realtime/channel.service.js';
import { accountRoom } from '../realtime/principal-rooms.js';
import { RealtimePublisher } from '../realtime/realtime.publisher.js';
import { RedisService } from '../redis/redis.service.js';
import type { TypingDto } from './dto/message.dto.js';
import { MessagingRepository } from './messaging.repository.js';
import { MemoryTypingStore, RedisTypingStore, type TypingStore } from './typing.store.js';

/** A `true` within this long after a passed `true` is dropped. */
export const TYPING_THROTTLE_MS = 1000;
/**
 * How often each instance looks for typists whose deadline passed OVERDUE_MS ago with no `false` sent: the instance
 * whose timer would have sent it died (Redis only). At most OVERDUE_BATCH a pass.
 */
const OVERDUE_CHECK_MS = 1000;
const OVERDUE_MS = 1000;
const OVERDUE_BATCH = 100;

@Injectable()
export class TypingService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('TypingService');
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly store: TypingStore;
  private readonly timeoutMs: number;
  private readonly overdueLoop = new SingleFlightInterval({
    name: 'typing:overdue',
    run: () => this.endOverdue(),
    failure: 'Looking for overdue typing failed',
    logger: this.logger,
    ready: () => this.rooms.ready,
  });

  constructor(
    config: AppConfig,
    private readonly redis: RedisService,
    private readonly publisher: RealtimePublisher,
    private readonly rooms: ChannelService,
    private readonly messaging: MessagingRepository,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly scheduler: SchedulerRegistry,
  ) {
    this.timeoutMs = config.typingTimeoutMs;
    this.store = redis.enabled ? new RedisTypingStore(redis, this.timeoutMs) : new MemoryTypingStore();
  }

  onApplicationBootstrap(): void {
    // Without Redis this process holds every timer: none can be left behind by another.
    if (this.redis.enabled) this.overdueLoop.start(this.scheduler, OVERDUE_CHECK_MS);
  }

  /** Ends the typing whose deadline passed OVERDUE_MS ago: `false` once, whichever instance claims it. */
  async endOverdue(): Promise<void> {
    for (const { conversationId, userId } of await this.store.overdue(OVERDUE_MS, OVERDUE_BATCH)) {
      await this.expire(conversationId, userId);
    }
  }

  async update(actor: Principal, dto: TypingDto): Promise<Record<string, never>> {
    await this.messaging.requireMember(this.dataSource.manager, dto.conversationId, actor.id);
    if (dto.isTyping) {
      const passed = await this.store.start(dto.conversationId, actor.id, TYPING_THROTTLE_MS);
      this.arm(dto.conversationId, actor.id, this.timeoutMs);
      if (passed) this.announce(dto.conversationId, actor.id, true);
    } else {
      this.disarm(dto.conversationId, actor.id);
      await this.store.stop(dto.conversationId, actor.id);
      this.announce(dto.conversationId, actor.id, false);
    }
    return {};
  }

  /** Ends the user's typing in a conversation (they left it): `false` only if they were typing. */
  async clear(conversationId: string, userId: string): Promise<void> {
    this.disarm(conversationId, userId);
    if (await this.store.stop(conversationId, userId)) this.announce(conversationId, userId, false);
  }

  /** After one of the user's sockets left: when none is left on any instance, their typing ends. */
  async socketLeft(userId: string): Promise<void> {
    const conversations = await this.store.typingIn(userId);
    if (conversations.length === 0) return;
    const remaining = await this.rooms.principalsIn(accountRoom(userId));
    if (remaining.length > 0) return;
    for (const conversationId of conversations) await this.clear(conversationId, userId);
  }

  private announce(conversationId: string, userId: string, isTyping: boolean): void {
    this.publisher.publish(
      channels.conversation(conversationId),
      'typing',
      { conversationId, userId, isTyping },
      { exceptRooms: [accountRoom(userId)] },
    );
  }

  private arm(conversationId: string, userId: string, delayMs: number): void {
    const key = `${conversationId}:${userId}`;
    this.disarm(conversationId, userId);
    const timer = setTimeout(() => {
      if (this.timers.get(key) === timer) this.timers.delete(key);
      this.expire(conversationId, userId).catch((err: Error) =>
        this.logger.warn({ err: err.message, conversationId, userId }, 'Typing timeout failed'),
      );
    }, delayMs);
    this.timers.set(key, timer);
  }

  private disarm(conversationId: string, userId: string): void {
    const key = `${conversationId}:${userId}`;
    const timer = this.timers.get(key);
    if (timer) clearTimeout(timer);
    this.timers.delete(key);
  }

  private async expire(conversationId: string, userId: string): Promise<void> {
    const result = await this.store.expire(conversationId, userId, this.timeoutMs);
    if (result.kind === 'fire') this.announce(conversationId, userId, false);
    // A later `true` (maybe on another instance) moved the deadline: check again then, unless re-armed meanwhile.
    else if (result.kind === 'retry' && !this.timers.has(`${conversationId}:${userId}`)) {
      this.arm(conversationId, userId, result.retryInMs);
    }
  }

  async onModuleDestroy(): Promise<void> {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    if (this.redis.enabled) await this.overdueLoop.stop(this.scheduler);
  }
}
