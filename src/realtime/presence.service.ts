// Who is online, across instances. With Redis each instance keeps its own socket counts in a hash and heartbeats
// its id; an instance whose heartbeat stops is swept by whichever instance claims it first (an atomic script),
// which announces its users offline once. Without Redis the same rules run in process memory.
import { type BeforeApplicationShutdown, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { channels } from '@realtime-hub/protocol';
import { isAccount, type Principal } from '../auth/principal.js';
import { AppConfig } from '../config/app-config.js';
import { redisScript, RedisService, type RedisScript } from '../redis/redis.service.js';
import type { PresencePayload } from './client-events.js';
import { RealtimePublisher } from './realtime.publisher.js';

const SOCKETS_FIELD = '#sockets';

// KEYS: instance hash, global counts, online set, last-seen hash. ARGV: userId ('' for non-users), now.
const CONNECT = redisScript(
  'presenceConnect',
  4,
  `
redis.call('HINCRBY', KEYS[1], '${SOCKETS_FIELD}', 1)
if ARGV[1] == '' then return 0 end
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
if redis.call('SADD', KEYS[3], ARGV[1]) == 1 then
  redis.call('HSET', KEYS[4], ARGV[1], ARGV[2])
  return 1
end
return 0`,
);

// Answers 1 when the user's last socket anywhere just left (the grace period starts).
const DISCONNECT = redisScript(
  'presenceDisconnect',
  4,
  `
redis.call('HINCRBY', KEYS[1], '${SOCKETS_FIELD}', -1)
if ARGV[1] == '' then return 0 end
if redis.call('HINCRBY', KEYS[1], ARGV[1], -1) <= 0 then redis.call('HDEL', KEYS[1], ARGV[1]) end
if redis.call('HINCRBY', KEYS[2], ARGV[1], -1) <= 0 then
  redis.call('HDEL', KEYS[2], ARGV[1])
  return 1
end
return 0`,
);

// After the grace: answers 1 when the user is still without sockets and this call took them offline.
const GRACE_OVER = redisScript(
  'presenceGraceOver',
  4,
  `
if tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0') > 0 then return 0 end
if redis.call('SREM', KEYS[3], ARGV[1]) == 1 then
  redis.call('HSET', KEYS[4], ARGV[1], ARGV[2])
  return 1
end
return 0`,
);

// KEYS: instances zset, global counts, online set, last-seen hash, the dead instance's hash.
// ARGV: dead instance id, now, cutoff (its heartbeat must be older). Answers the users it took offline.
const SWEEP = redisScript(
  'presenceSweep',
  5,
  `
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score and tonumber(score) >= tonumber(ARGV[3]) then return {} end
redis.call('ZREM', KEYS[1], ARGV[1])
local entries = redis.call('HGETALL', KEYS[5])
local offline = {}
for i = 1, #entries, 2 do
  local user = entries[i]
  if user ~= '${SOCKETS_FIELD}' then
    if redis.call('HINCRBY', KEYS[2], user, -tonumber(entries[i + 1])) <= 0 then
      redis.call('HDEL', KEYS[2], user)
      if redis.call('SREM', KEYS[3], user) == 1 then
        redis.call('HSET', KEYS[4], user, ARGV[2])
        table.insert(offline, user)
      end
    end
  end
end
redis.call('DEL', KEYS[5])
return offline`,
);

// After Redis came back (restarted empty, or unreachable while sockets came and went), this instance writes its own
// truth: its hash is set to the sockets it holds, the shared counts move by the difference, and users are put back in
// (or taken out of) the online set. KEYS: instance hash, global counts, online set, last-seen hash. ARGV: now, this
// instance's socket total, then user id / socket count pairs. Answers {users now online, users now offline}.
const RECONCILE = redisScript(
  'presenceReconcile',
  4,
  `
local old = {}
local stored = redis.call('HGETALL', KEYS[1])
for i = 1, #stored, 2 do
  if stored[i] ~= '${SOCKETS_FIELD}' then old[stored[i]] = tonumber(stored[i + 1]) end
end
local came, went, seen = {}, {}, {}
for i = 3, #ARGV, 2 do
  local user, count = ARGV[i], tonumber(ARGV[i + 1])
  seen[user] = true
  local delta = count - (old[user] or 0)
  if delta ~= 0 then
    redis.call('HSET', KEYS[1], user, count)
    redis.call('HINCRBY', KEYS[2], user, delta)
  end
  if redis.call('SADD', KEYS[3], user) == 1 then
    redis.call('HSET', KEYS[4], user, ARGV[1])
    table.insert(came, user)
  end
end
for user, count in pairs(old) do
  if not seen[user] then
    redis.call('HDEL', KEYS[1], user)
    if redis.call('HINCRBY', KEYS[2], user, -count) <= 0 then
      redis.call('HDEL', KEYS[2], user)
      if redis.call('SREM', KEYS[3], user) == 1 then
        redis.call('HSET', KEYS[4], user, ARGV[1])
        table.insert(went, user)
      end
    end
  end
end
redis.call('HSET', KEYS[1], '${SOCKETS_FIELD}', ARGV[2])
return {came, went}`,
);

export interface PresenceStats {
  connections: number;
  onlineUsers: number;
}

@Injectable()
export class PresenceService implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger('Presence');
  private readonly graceTimers = new Map<string, NodeJS.Timeout>();
  private readonly listeners: Array<() => void> = [];
  private heartbeat?: NodeJS.Timeout;
  private retired = false;

  /** This instance's own sockets, in both modes: with Redis, the truth its hash is rebuilt from after an outage. */
  private localSockets = 0;
  private readonly localCounts = new Map<string, number>();
  // Memory mode state.
  private readonly localOnline = new Set<string>();
  private readonly localLastSeen = new Map<string, string>();

  constructor(
    private readonly config: AppConfig,
    private readonly redis: RedisService,
    private readonly publisher: RealtimePublisher,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  private get keys(): {
    instances: string;
    counts: string;
    online: string;
    lastSeen: string;
    instance: (id: string) => string;
  } {
    return {
      instances: this.redis.key('presence', 'instances'),
      counts: this.redis.key('presence', 'counts'),
      online: this.redis.key('presence', 'online'),
      lastSeen: this.redis.key('presence', 'last-seen'),
      instance: (id: string) => this.redis.key('presence', 'instance', id),
    };
  }

  async onModuleInit(): Promise<void> {
    if (!this.redis.enabled) return;
    await this.beat();
    // Every reconnection of the command connection (Redis restarted, or unreachable for a while) rebuilds this
    // instance's part of presence from the sockets it holds.
    let first = true;
    this.redis.client.on('ready', () => {
      if (first) {
        first = false;
        return;
      }
      this.reconcile().catch((err: Error) => this.logger.warn({ err: err.message }, 'Presence reconcile failed'));
    });
    if (this.redis.client.status === 'ready') first = false;
    const periodMs = Math.max(500, (this.config.presence.ttlSeconds * 1000) / 3);
    this.heartbeat = setInterval(() => {
      this.beat().catch((err: Error) => this.logger.warn({ err: err.message }, 'Presence heartbeat failed'));
    }, periodMs).unref();
  }

  /** Called for changes that move the connection or online counts (the dashboard listens). */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  async connected(principal: Principal): Promise<void> {
    if (this.retired) return;
    const userId = isAccount(principal) ? principal.id : '';
    const now = new Date().toISOString();
    if (userId) this.cancelGrace(userId);
    this.localSockets += 1;
    if (userId) this.localCounts.set(userId, (this.localCounts.get(userId) ?? 0) + 1);
    let cameOnline: boolean;
    if (this.redis.enabled) {
      cameOnline = await this.runScript(CONNECT, userId, now);
    } else {
      cameOnline = false;
      if (userId) {
        if (!this.localOnline.has(userId)) {
          this.localOnline.add(userId);
          this.localLastSeen.set(userId, now);
          cameOnline = true;
        }
      }
    }
    if (cameOnline) await this.announce(userId, true, now);
    this.changed();
  }

  async disconnected(principal: Principal): Promise<void> {
    if (this.retired) return;
    const userId = isAccount(principal) ? principal.id : '';
    this.localSockets -= 1;
    const left = userId ? (this.localCounts.get(userId) ?? 1) - 1 : 0;
    if (userId && left <= 0) this.localCounts.delete(userId);
    else if (userId) this.localCounts.set(userId, left);
    let lastSocket: boolean;
    if (this.redis.enabled) {
      lastSocket = await this.runScript(DISCONNECT, userId);
    } else {
      lastSocket = userId !== '' && left <= 0;
    }
    if (lastSocket) this.startGrace(userId);
    this.changed();
  }

  async snapshot(userId: string): Promise<PresencePayload> {
    return (await this.snapshots([userId]))[0];
  }

  async snapshots(userIds: string[]): Promise<PresencePayload[]> {
    if (userIds.length === 0) return [];
    let online: boolean[];
    let lastSeen: (string | null)[];
    if (this.redis.enabled) {
      const k = this.keys;
      online = (await this.redis.client.smismember(k.online, ...userIds)).map((v) => v === 1);
      lastSeen = await this.redis.client.hmget(k.lastSeen, ...userIds);
    } else {
      online = userIds.map((id) => this.localOnline.has(id));
      lastSeen = userIds.map((id) => this.localLastSeen.get(id) ?? null);
    }
    const missing = userIds.filter((_, i) => lastSeen[i] === null);
    if (missing.length > 0) {
      const rows: { id: string; last_seen_at: Date | null }[] = await this.dataSource.query(
        `SELECT id, last_seen_at FROM users WHERE id = ANY($1::uuid[])`,
        [missing],
      );
      const fromDb = new Map(rows.map((r) => [r.id, r.last_seen_at ? r.last_seen_at.toISOString() : null]));
      lastSeen = lastSeen.map((v, i) => v ?? fromDb.get(userIds[i]) ?? null);
    }
    return userIds.map((userId, i) => ({ userId, online: online[i], lastSeenAt: lastSeen[i] }));
  }

  /** Sockets on every live instance, and users with at least one (or within their grace period). */
  async stats(): Promise<PresenceStats> {
    if (!this.redis.enabled) return { connections: this.localSockets, onlineUsers: this.localOnline.size };
    const k = this.keys;
    const cutoff = Date.now() - this.config.presence.ttlSeconds * 1000;
    const instances = await this.redis.client.zrangebyscore(k.instances, cutoff, '+inf');
    const counts = await Promise.all(instances.map((id) => this.redis.client.hget(k.instance(id), SOCKETS_FIELD)));
    const connections = counts.reduce((sum, v) => sum + Math.max(0, Number(v ?? 0)), 0);
    return { connections, onlineUsers: await this.redis.client.scard(k.online) };
  }

  /** Ids of the users online now on any instance (those within their grace period included). */
  async onlineUserIds(): Promise<string[]> {
    if (!this.redis.enabled) return [...this.localOnline];
    return this.redis.client.smembers(this.keys.online);
  }

  /** Runs one of the scripts above on this instance's hash and the shared keys; true when it answered 1. */
  private async runScript(script: RedisScript, userId: string, now?: string): Promise<boolean> {
    const k = this.keys;
    const args = now === undefined ? [userId] : [userId, now];
    const keys = [k.instance(this.redis.instanceId), k.counts, k.online, k.lastSeen];
    return Number(await this.redis.runScript(script, keys, args)) === 1;
  }

  /** Writes this instance's own sockets back into Redis and announces whoever that brought online or offline. */
  async reconcile(): Promise<void> {
    if (!this.redis.enabled || this.retired) return;
    const k = this.keys;
    const now = new Date().toISOString();
    const pairs = [...this.localCounts].flatMap(([userId, count]) => [userId, String(count)]);
    const keys = [k.instance(this.redis.instanceId), k.counts, k.online, k.lastSeen];
    await this.beat();
    const [came, went] = (await this.redis.runScript(RECONCILE, keys, [now, String(this.localSockets), ...pairs])) as [
      string[],
      string[],
    ];
    for (const userId of came) await this.announce(userId, true, now);
    for (const userId of went) await this.announce(userId, false, now);
    this.logger.log({ online: came.length, offline: went.length }, 'Presence rebuilt after Redis reconnected');
    this.changed();
  }

  private startGrace(userId: string): void {
    this.cancelGrace(userId);
    // A socket that leaves while the instance shuts down: the shutdown's sweep already took its users offline, and a
    // timer armed now would publish after Redis is closed.
    if (this.retired) return;
    const timer = setTimeout(() => {
      this.graceTimers.delete(userId);
      this.graceOver(userId).catch((err: Error) =>
        this.logger.warn({ err: err.message, userId }, 'Presence grace check failed'),
      );
    }, this.config.presence.graceMs);
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
    const now = new Date().toISOString();
    let wentOffline: boolean;
    if (this.redis.enabled) {
      wentOffline = await this.runScript(GRACE_OVER, userId, now);
    } else {
      wentOffline = !this.localCounts.has(userId) && this.localOnline.delete(userId);
      if (wentOffline) this.localLastSeen.set(userId, now);
    }
    if (wentOffline) {
      await this.announce(userId, false, now);
      this.changed();
    }
  }

  private async beat(): Promise<void> {
    const k = this.keys;
    const now = Date.now();
    await this.redis.client.zadd(k.instances, now, this.redis.instanceId);
    const cutoff = now - this.config.presence.ttlSeconds * 1000;
    const dead = await this.redis.client.zrangebyscore(k.instances, '-inf', `(${cutoff}`);
    for (const id of dead) await this.sweep(id, cutoff);
  }

  /** Claims a dead instance's counts (only one instance wins) and announces its users offline. */
  private async sweep(instanceId: string, cutoff: number): Promise<void> {
    const k = this.keys;
    const now = new Date().toISOString();
    const offline = (await this.redis.runScript(
      SWEEP,
      [k.instances, k.counts, k.online, k.lastSeen, k.instance(instanceId)],
      [instanceId, now, cutoff],
    )) as string[];
    if (instanceId !== this.redis.instanceId)
      this.logger.log({ instanceId, users: offline.length }, 'Swept a dead instance');
    for (const userId of offline) await this.announce(userId, false, now);
    if (offline.length > 0 || instanceId !== this.redis.instanceId) this.changed();
  }

  private async announce(userId: string, online: boolean, at: string): Promise<void> {
    this.publisher.publish(channels.presence(userId), 'presence', { userId, online, lastSeenAt: at });
    await this.dataSource.query(`UPDATE users SET last_seen_at = $2 WHERE id = $1`, [userId, at]);
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }

  /** On shutdown: this instance's users leave at once (no grace), so a rolling restart does not strand them. */
  async beforeApplicationShutdown(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    for (const timer of this.graceTimers.values()) clearTimeout(timer);
    this.graceTimers.clear();
    if (this.retired) return;
    this.retired = true;
    if (this.redis.enabled) {
      try {
        await this.sweep(this.redis.instanceId, Number.MAX_SAFE_INTEGER);
      } catch (err) {
        this.logger.warn({ err: (err as Error).message }, 'Could not retire this instance from presence');
      }
    }
  }
}
