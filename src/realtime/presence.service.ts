// Who is online, across instances: the rules (accounts only, a grace period after the last socket, one announcement
// per change, the last-seen time kept through auth's LastSeenRepository), over a backend that counts sockets
// (presence.store.ts: process memory, or Redis shared by the instances).
import { type BeforeApplicationShutdown, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { channels } from '@realtime-hub/protocol';
import { LastSeenRepository } from '../auth/last-seen.repository.js';
import { isAccount, type Principal } from '../auth/principal.js';
import { AppConfig } from '../config/app-config.js';
import { RedisService } from '../redis/redis.service.js';
import type { PresencePayload } from './client-events.js';
import {
  MemoryPresenceStore,
  type PresenceHost,
  type PresenceStats,
  type PresenceStore,
  RedisPresenceStore,
} from './presence.store.js';
import { RealtimePublisher } from './realtime.publisher.js';

export type { PresenceStats } from './presence.store.js';

/** How soon the end of a grace period is checked again after its check failed (Redis out of reach). */
const GRACE_RETRY_MS = 1000;

@Injectable()
export class PresenceService implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger('Presence');
  private readonly graceTimers = new Map<string, NodeJS.Timeout>();
  private readonly listeners: Array<() => void> = [];
  private readonly store: PresenceStore;
  private retired = false;

  /** This instance's own sockets, in both modes: with Redis, the truth its hash is rebuilt from after an outage. */
  private localSockets = 0;
  private readonly localCounts = new Map<string, number>();

  constructor(
    private readonly config: AppConfig,
    redis: RedisService,
    private readonly publisher: RealtimePublisher,
    private readonly lastSeenStore: LastSeenRepository,
  ) {
    const host: PresenceHost = {
      localSockets: () => this.localSockets,
      localCounts: () => this.localCounts,
      retired: () => this.retired,
      announce: (userId, online, at) => this.announce(userId, online, at),
      changed: () => this.changed(),
    };
    this.store = redis.enabled
      ? new RedisPresenceStore(redis, config, host, this.logger)
      : new MemoryPresenceStore(host);
  }

  onModuleInit(): Promise<void> {
    return this.store.start();
  }

  /** Called for changes that move the connection or online counts (the dashboard listens). */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  async connected(principal: Principal): Promise<void> {
    if (this.retired) return;
    const userId = isAccount(principal) ? principal.id : '';
    if (userId) this.cancelGrace(userId);
    this.localSockets += 1;
    if (userId) this.localCounts.set(userId, (this.localCounts.get(userId) ?? 0) + 1);
    const cameOnlineAt = await this.store.connected(userId);
    if (cameOnlineAt) await this.announce(userId, true, cameOnlineAt);
    this.changed();
  }

  async disconnected(principal: Principal): Promise<void> {
    if (this.retired) return;
    const userId = isAccount(principal) ? principal.id : '';
    this.localSockets -= 1;
    const left = userId ? (this.localCounts.get(userId) ?? 1) - 1 : 0;
    if (userId && left <= 0) this.localCounts.delete(userId);
    else if (userId) this.localCounts.set(userId, left);
    if (await this.store.disconnected(userId, left)) this.startGrace(userId);
    this.changed();
  }

  async snapshot(userId: string): Promise<PresencePayload> {
    return (await this.snapshots([userId]))[0];
  }

  async snapshots(userIds: string[]): Promise<PresencePayload[]> {
    if (userIds.length === 0) return [];
    const found = await this.store.lookup(userIds);
    let lastSeen = found.lastSeen;
    const missing = userIds.filter((_, i) => lastSeen[i] === null);
    if (missing.length > 0) {
      const fromDb = await this.lastSeenStore.find(missing);
      lastSeen = lastSeen.map((v, i) => v ?? fromDb.get(userIds[i]) ?? null);
    }
    return userIds.map((userId, i) => ({ userId, online: found.online[i], lastSeenAt: lastSeen[i] }));
  }

  /** Sockets on every live instance, and users with at least one (or within their grace period). */
  stats(): Promise<PresenceStats> {
    return this.store.stats();
  }

  /** Ids of the users online now on any instance (those within their grace period included). */
  onlineUserIds(): Promise<string[]> {
    return this.store.onlineUserIds();
  }

  private startGrace(userId: string, delayMs = this.config.presence.graceMs): void {
    this.cancelGrace(userId);
    // A socket that leaves while the instance shuts down: the shutdown's sweep already took its users offline, and a
    // timer armed now would publish after Redis is closed.
    if (this.retired) return;
    const timer = setTimeout(() => {
      this.graceTimers.delete(userId);
      this.graceOver(userId).catch((err: Error) => {
        this.logger.warn({ err: err.message, userId }, 'Presence grace check failed; trying again');
        // Nothing else ends this grace period (the user's last socket is gone, and Redis's rebuild after a
        // reconnection knows only of sockets): without another try, the user would stay online for good. Not when a
        // socket of theirs arrived here meanwhile (its arrival cancelled the grace).
        if (!this.graceTimers.has(userId) && !this.localCounts.has(userId)) this.startGrace(userId, GRACE_RETRY_MS);
      });
    }, delayMs);
    this.graceTimers.set(userId, timer);
  }

  private cancelGrace(userId: string): void {
    const timer = this.graceTimers.get(userId);
    if (timer) {
      clearTimeout(timer);
      this.graceTimers.delete(userId);
    }
  }

  private async graceOver(userId: string): Promise<void> {
    const wentOfflineAt = await this.store.graceOver(userId);
    if (wentOfflineAt) {
      await this.announce(userId, false, wentOfflineAt);
      this.changed();
    }
  }

  private async announce(userId: string, online: boolean, at: string): Promise<void> {
    this.publisher.publish(channels.presence(userId), 'presence', { userId, online, lastSeenAt: at });
    await this.lastSeenStore.record(userId, at);
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }

  /** On shutdown: this instance's users leave at once (no grace), so a rolling restart does not strand them. */
  async beforeApplicationShutdown(): Promise<void> {
    this.store.stop();
    for (const timer of this.graceTimers.values()) clearTimeout(timer);
    this.graceTimers.clear();
    if (this.retired) return;
    this.retired = true;
    await this.store.retire();
  }
}
