// WS_MAX_SOCKETS_PER_USER: sockets of one account, workstation or worker at once, counted across instances. A
// socket takes its place atomically at the handshake (a Redis script, or process memory without Redis) and gives
// it back when it leaves, or when its client leaves before it connected (ws-auth.middleware.ts). Each place carries
// an expiry that this instance pushes on while the socket lives, so the places of an instance that died (its
// handshakes included) free themselves within PRESENCE_TTL_SECONDS.
import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Principal } from '../auth/principal.js';
import { AppConfig } from '../config/app-config.js';
import { redisScript, RedisService } from '../redis/redis.service.js';
import type { SocketData } from './channel.service.js';
import { principalRoom } from './principal-rooms.js';
import { RealtimeServer } from './realtime.server.js';

const REDIS_NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

// KEYS: the principal's zset (member = socket id, score = expiry). ARGV: socket id, ttl ms, max. Answers 1 if admitted.
const ACQUIRE = redisScript(
  'socketQuotaAcquire',
  1,
  `${REDIS_NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`,
);

// KEYS: the principal's zset. ARGV: ttl ms, then the ids of its sockets on this instance. Pushes each live socket's
// expiry on (only where it still holds a place): one call per principal, not per socket.
const RENEW = redisScript(
  'socketQuotaRenew',
  1,
  `${REDIS_NOW}
local renewed = 0
for i = 2, #ARGV do
  renewed = renewed + redis.call('ZADD', KEYS[1], 'XX', 'CH', now + tonumber(ARGV[1]), ARGV[i])
end
if renewed > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return 1`,
);

@Injectable()
export class SocketQuota implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('SocketQuota');
  private readonly ttlMs: number;
  private readonly max: number;
  /** Without Redis: principal room → socket id → expiry (epoch ms). */
  private readonly memory = new Map<string, Map<string, number>>();
  private timer?: NodeJS.Timeout;

  constructor(
    config: AppConfig,
    private readonly redis: RedisService,
    private readonly realtime: RealtimeServer,
  ) {
    this.ttlMs = config.presence.ttlSeconds * 1000;
    this.max = config.limits.socketsPerPrincipal;
  }

  onModuleInit(): void {
    this.timer = setInterval(() => void this.renewLocal(), Math.max(500, Math.floor(this.ttlMs / 3))).unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Takes a place for the socket; false when the principal already holds WS_MAX_SOCKETS_PER_USER. */
  async acquire(principal: Principal, socketId: string): Promise<boolean> {
    const key = principalRoom(principal.role, principal.id);
    if (this.redis.enabled) {
      const admitted = await this.redis.runScript(ACQUIRE, [this.redisKey(key)], [socketId, this.ttlMs, this.max]);
      return Number(admitted) === 1;
    }
    const now = Date.now();
    const places = this.memory.get(key) ?? new Map<string, number>();
    for (const [id, expiresAt] of places) if (expiresAt <= now) places.delete(id);
    if (!places.has(socketId) && places.size >= this.max) return false;
    places.set(socketId, now + this.ttlMs);
    this.memory.set(key, places);
    return true;
  }

  async release(principal: Principal, socketId: string): Promise<void> {
    const key = principalRoom(principal.role, principal.id);
    if (this.redis.enabled) {
      await this.redis.client.zrem(this.redisKey(key), socketId);
      return;
    }
    const places = this.memory.get(key);
    places?.delete(socketId);
    if (places?.size === 0) this.memory.delete(key);
  }

  /** Pushes on the expiry of every socket connected to this instance. */
  private async renewLocal(): Promise<void> {
    if (!this.realtime.ready) return;
    const now = Date.now();
    try {
      const byPrincipal = new Map<string, string[]>();
      for (const socket of this.realtime.server.of('/').sockets.values()) {
        const principal = (socket.data as Partial<SocketData>).principal;
        if (!principal) continue;
        const key = principalRoom(principal.role, principal.id);
        const ids = byPrincipal.get(key);
        if (ids) ids.push(socket.id);
        else byPrincipal.set(key, [socket.id]);
      }
      if (!this.redis.enabled) {
        for (const [key, ids] of byPrincipal) for (const id of ids) this.memory.get(key)?.set(id, now + this.ttlMs);
        return;
      }
      const pipeline = this.redis.pipeline(RENEW);
      for (const [key, ids] of byPrincipal) {
        this.redis.queueScript(pipeline, RENEW, [this.redisKey(key)], [this.ttlMs, ...ids]);
      }
      await pipeline.exec();
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'Could not renew the socket places of this instance');
    }
  }

  private redisKey(room: string): string {
    return this.redis.key('sockets', room);
  }
}
