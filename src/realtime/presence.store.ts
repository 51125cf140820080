// Presence backends behind one interface: process memory for a single instance, Redis across instances (each
// instance keeps its own socket counts in a hash and heartbeats its id; an instance whose heartbeat stops is swept by
// whichever instance claims it first, an atomic script). PresenceService holds the rules and never branches on Redis.
import type { Logger } from '@nestjs/common';
import type { AppConfig } from '../config/app-config.js';
import { redisScript, type RedisScript, type RedisService } from '../redis/redis.service.js';

export interface PresenceStats {
  connections: number;
  onlineUsers: number;
}

/**
 * What a backend needs of the service: this instance's own sockets (the truth Redis is rebuilt from after an
 * outage), and where to report users it finds online or offline on its own (a swept instance, a reconcile).
 */
export interface PresenceHost {
  localSockets(): number;
  localCounts(): ReadonlyMap<string, number>;
  retired(): boolean;
  announce(userId: string, online: boolean, at: string): Promise<void>;
  changed(): void;
}

export interface PresenceStore {
  /** Starts the backend's upkeep (heartbeat, sweeps, rebuild after a reconnection). */
  start(): Promise<void>;
  /**
   * A socket of `userId` ('' for kiosks and workers) arrived: when the user came online, the time it was counted (their
   * new last-seen time, ISO), else undefined.
   */
  connected(userId: string): Promise<string | undefined>;
  /** A socket left, `left` of the user's remaining on this instance: true when it was their last one anywhere. */
  disconnected(userId: string, left: number): Promise<boolean>;
  /** The grace period after a last socket is over: when the user went offline now, the time it was counted. */
  graceOver(userId: string): Promise<string | undefined>;
  /** Online flags and last-seen times (null when this backend does not know) of each user. */
  lookup(userIds: string[]): Promise<{ online: boolean[]; lastSeen: (string | null)[] }>;
  stats(): Promise<PresenceStats>;
  onlineUserIds(): Promise<string[]>;
  /** This instance leaves (shutdown): its users go offline at once. */
  retire(): Promise<void>;
  /** Stops the upkeep. */
  stop(): void;
}

export class MemoryPresenceStore implements PresenceStore {
  private readonly online = new Set<string>();
  private readonly lastSeen = new Map<string, string>();

  constructor(private readonly host: PresenceHost) {}

  async start(): Promise<void> {}

  async connected(userId: string): Promise<string | undefined> {
    if (!userId || this.online.has(userId)) return undefined;
    const now = new Date().toISOString();
    this.online.add(userId);
    this.lastSeen.set(userId, now);
    return now;
  }

  async disconnected(userId: string, left: number): Promise<boolean> {
    return userId !== '' && left <= 0;
  }

  async graceOver(userId: string): Promise<string | undefined> {
    if (this.host.localCounts().has(userId) || !this.online.delete(userId)) return undefined;
    const now = new Date().toISOString();
    this.lastSeen.set(userId, now);
    return now;
  }

  async lookup(userIds: string[]): Promise<{ online: boolean[]; lastSeen: (string | null)[] }> {
    return {
      online: userIds.map((id) => this.online.has(id)),
      lastSeen: userIds.map((id) => this.lastSeen.get(id) ?? null),
    };
  }

  async stats(): Promise<PresenceStats> {
    return { connections: this.host.localSockets(), onlineUsers: this.online.size };
  }

  async onlineUserIds(): Promise<string[]> {
    return [...this.online];
  }

  async retire(): Promise<void> {}

  stop(): void {}
}

const SOCKETS_FIELD = '#sockets';

/**
 * Lua: `now()`, Redis's clock as an ISO time (UTC, milliseconds), as `toISOString` writes it (`iso(seconds,
 * microseconds)` formats one; days to a civil date after Howard Hinnant's `civil_from_days`). Every change of a user's
 * presence is stamped with it inside the script that makes the change, so the stamps of one user's changes follow the
 * order Redis applied them in, whichever instance ran each: `lastSeenAt` orders presences for clients (the SDK's
 * `newerPresence`), which the instances' own clocks, apart by their skew, would not.
 */
export const LUA_NOW = `
if redis.replicate_commands then redis.replicate_commands() end
local function iso(seconds, micros)
  local days = math.floor(seconds / 86400)
  local rest = seconds - days * 86400
  local z = days + 719468
  local era = math.floor(z / 146097)
  local doe = z - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local day = doy - math.floor((153 * mp + 2) / 5) + 1
  local month = mp < 10 and mp + 3 or mp - 9
  local year = yoe + era * 400 + (month <= 2 and 1 or 0)
  return string.format('%04d-%02d-%02dT%02d:%02d:%02d.%03dZ', year, month, day, math.floor(rest / 3600),
    math.floor(rest % 3600 / 60), rest % 60, math.floor(micros / 1000))
end
local function now()
  local time = redis.call('TIME')
  return iso(tonumber(time[1]), tonumber(time[2]))
end
`;

// KEYS: instance hash, global counts, online set, last-seen hash, instance grace set. ARGV: userId ('' for
// non-users). Answers the time the user came online, or 0. A socket arriving here ends the user's grace period here.
const CONNECT = redisScript(
  'presenceConnect',
  5,
  `${LUA_NOW}
redis.call('HINCRBY', KEYS[1], '${SOCKETS_FIELD}', 1)
if ARGV[1] == '' then return 0 end
redis.call('SREM', KEYS[5], ARGV[1])
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
if redis.call('SADD', KEYS[3], ARGV[1]) == 1 then
  local at = now()
  redis.call('HSET', KEYS[4], ARGV[1], at)
  return at
end
return 0`,
);

// Answers 1 when the user's last socket anywhere just left (the grace period starts). The user is then in this
// instance's grace set until its grace period ends (GRACE_OVER), a socket of theirs arrives here (CONNECT), or this
// instance is swept (SWEEP): the grace's end is this instance's timer, and a sweep must not leave them online for good
// when this instance dies or shuts down before that timer fires.
const DISCONNECT = redisScript(
  'presenceDisconnect',
  5,
  `
redis.call('HINCRBY', KEYS[1], '${SOCKETS_FIELD}', -1)
if ARGV[1] == '' then return 0 end
if redis.call('HINCRBY', KEYS[1], ARGV[1], -1) <= 0 then redis.call('HDEL', KEYS[1], ARGV[1]) end
if redis.call('HINCRBY', KEYS[2], ARGV[1], -1) <= 0 then
  redis.call('HDEL', KEYS[2], ARGV[1])
  redis.call('SADD', KEYS[5], ARGV[1])
  return 1
end
return 0`,
);

// After the grace: answers the time when the user is still without sockets and this call took them offline, or 0.
const GRACE_OVER = redisScript(
  'presenceGraceOver',
  5,
  `${LUA_NOW}
redis.call('SREM', KEYS[5], ARGV[1])
if tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0') > 0 then return 0 end
if redis.call('SREM', KEYS[3], ARGV[1]) == 1 then
  local at = now()
  redis.call('HSET', KEYS[4], ARGV[1], at)
  return at
end
return 0`,
);

// KEYS: instances zset, global counts, online set, last-seen hash, the dead instance's hash, its grace set.
// ARGV: dead instance id, cutoff (its heartbeat must be older). Answers {the time, the users it took offline}. The
// users whose grace period the dead instance was timing go offline with its own users, unless a socket of theirs
// arrived elsewhere meanwhile: its timer will never fire.
const SWEEP = redisScript(
  'presenceSweep',
  6,
  `${LUA_NOW}
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score and tonumber(score) >= tonumber(ARGV[2]) then return {'', {}} end
local at = now()
redis.call('ZREM', KEYS[1], ARGV[1])
local entries = redis.call('HGETALL', KEYS[5])
local offline = {}
for i = 1, #entries, 2 do
  local user = entries[i]
  if user ~= '${SOCKETS_FIELD}' then
    if redis.call('HINCRBY', KEYS[2], user, -tonumber(entries[i + 1])) <= 0 then
      redis.call('HDEL', KEYS[2], user)
      if redis.call('SREM', KEYS[3], user) == 1 then
        redis.call('HSET', KEYS[4], user, at)
        table.insert(offline, user)
      end
    end
  end
end
redis.call('DEL', KEYS[5])
for _, user in ipairs(redis.call('SMEMBERS', KEYS[6])) do
  if tonumber(redis.call('HGET', KEYS[2], user) or '0') <= 0 and redis.call('SREM', KEYS[3], user) == 1 then
    redis.call('HSET', KEYS[4], user, at)
    table.insert(offline, user)
  end
end
redis.call('DEL', KEYS[6])
return {at, offline}`,
);

// After Redis came back (restarted empty, or unreachable while sockets came and went), this instance writes its own
// truth: its hash is set to the sockets it holds, the shared counts move by the difference, and users are put back in
// (or taken out of) the online set. KEYS: instance hash, global counts, online set, last-seen hash. ARGV: this
// instance's socket total, then user id / socket count pairs. Answers {users now online, users now offline, the time}.
const RECONCILE = redisScript(
  'presenceReconcile',
  4,
  `${LUA_NOW}
local at = now()
local old = {}
local stored = redis.call('HGETALL', KEYS[1])
for i = 1, #stored, 2 do
  if stored[i] ~= '${SOCKETS_FIELD}' then old[stored[i]] = tonumber(stored[i + 1]) end
end
local came, went, seen = {}, {}, {}
for i = 2, #ARGV, 2 do
  local user, count = ARGV[i], tonumber(ARGV[i + 1])
  seen[user] = true
  local delta = count - (old[user] or 0)
  if delta ~= 0 then
    redis.call('HSET', KEYS[1], user, count)
    redis.call('HINCRBY', KEYS[2], user, delta)
  end
  if redis.call('SADD', KEYS[3], user) == 1 then
    redis.call('HSET', KEYS[4], user, at)
    table.insert(came, user)
  end
end
for user, count in pairs(old) do
  if not seen[user] then
    redis.call('HDEL', KEYS[1], user)
    if redis.call('HINCRBY', KEYS[2], user, -count) <= 0 then
      redis.call('HDEL', KEYS[2], user)
      if redis.call('SREM', KEYS[3], user) == 1 then
        redis.call('HSET', KEYS[4], user, at)
        table.insert(went, user)
      end
    end
  end
end
redis.call('HSET', KEYS[1], '${SOCKETS_FIELD}', ARGV[1])
return {came, went, at}`,
);

export class RedisPresenceStore implements PresenceStore {
  private heartbeat?: NodeJS.Timeout;
  /** Set once this instance's first heartbeat is in; a later beat that adds it again means it was swept alive. */
  private registered = false;
  /**
   * No other instance is taken for dead before this time (epoch ms): after this instance's own link to Redis comes
   * back, the others get a whole TTL to be heard from, since it could not see their beats meanwhile (they may have
   * been cut off too, and be reconnecting a moment later).
   */
  private sweepFrom = 0;

  constructor(
    private readonly redis: RedisService,
    private readonly config: AppConfig,
    private readonly host: PresenceHost,
    private readonly logger: Logger,
  ) {}

  /**
   * Heartbeats every TTL/6 (at least 500 ms); an instance is dead once its last one is older than TTL − period. Each
   * instance looks for the dead at its own beat, so a dead instance's users go offline at most TTL after its last
   * heartbeat, which is the contract's bound; a live instance whose beat is late by up to TTL − 2 periods is safe.
   */
  private get periodMs(): number {
    return Math.max(500, (this.config.presence.ttlSeconds * 1000) / 6);
  }

  private staleBefore(now: number): number {
    return now - (this.config.presence.ttlSeconds * 1000 - this.periodMs);
  }

  private get keys(): {
    instances: string;
    counts: string;
    online: string;
    lastSeen: string;
    instance: (id: string) => string;
    grace: (id: string) => string;
  } {
    return {
      instances: this.redis.key('presence', 'instances'),
      counts: this.redis.key('presence', 'counts'),
      online: this.redis.key('presence', 'online'),
      lastSeen: this.redis.key('presence', 'last-seen'),
      instance: (id: string) => this.redis.key('presence', 'instance', id),
      grace: (id: string) => this.redis.key('presence', 'grace', id),
    };
  }

  async start(): Promise<void> {
    await this.beat();
    // Every reconnection of the command connection (Redis restarted, or unreachable for a while) rebuilds this
    // instance's part of presence from the sockets it holds.
    let first = true;
    this.redis.client.on('ready', () => {
      if (first) {
        first = false;
        return;
      }
      this.sweepFrom = Date.now() + this.config.presence.ttlSeconds * 1000 - this.periodMs;
      this.reconcile().catch((err: Error) => this.logger.warn({ err: err.message }, 'Presence reconcile failed'));
    });
    if (this.redis.client.status === 'ready') first = false;
    this.heartbeat = setInterval(() => {
      this.beat().catch((err: Error) => this.logger.warn({ err: err.message }, 'Presence heartbeat failed'));
    }, this.periodMs).unref();
  }

  async connected(userId: string): Promise<string | undefined> {
    return stampOf(await this.run(CONNECT, userId));
  }

  async disconnected(userId: string): Promise<boolean> {
    return Number(await this.run(DISCONNECT, userId)) === 1;
  }

  async graceOver(userId: string): Promise<string | undefined> {
    return stampOf(await this.run(GRACE_OVER, userId));
  }

  /**
   * Both read in one transaction: a flag and a time of two different states would make a snapshot that clients,
   * keeping the presence with the latest `lastSeenAt`, take for newer than it is.
   */
  async lookup(userIds: string[]): Promise<{ online: boolean[]; lastSeen: (string | null)[] }> {
    const k = this.keys;
    const replies = await this.redis.client
      .multi()
      .smismember(k.online, ...userIds)
      .hmget(k.lastSeen, ...userIds)
      .exec();
    const [[flagsErr, flags], [timesErr, times]] = replies as [
      [Error | null, number[]],
      [Error | null, (string | null)[]],
    ];
    if (flagsErr || timesErr) throw flagsErr ?? timesErr;
    return { online: flags.map((v) => v === 1), lastSeen: times };
  }

  /** Sockets on every live instance, and users with at least one (or within their grace period). */
  async stats(): Promise<PresenceStats> {
    const k = this.keys;
    const instances = await this.redis.client.zrangebyscore(k.instances, this.staleBefore(Date.now()), '+inf');
    const counts = await Promise.all(instances.map((id) => this.redis.client.hget(k.instance(id), SOCKETS_FIELD)));
    const connections = counts.reduce((sum, v) => sum + Math.max(0, Number(v ?? 0)), 0);
    return { connections, onlineUsers: await this.redis.client.scard(k.online) };
  }

  onlineUserIds(): Promise<string[]> {
    return this.redis.client.smembers(this.keys.online);
  }

  async retire(): Promise<void> {
    this.stop();
    try {
      await this.sweep(this.redis.instanceId, Number.MAX_SAFE_INTEGER);
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'Could not retire this instance from presence');
    }
  }

  stop(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
  }

  /** Writes this instance's own sockets back into Redis and announces whoever that brought online or offline. */
  async reconcile(): Promise<void> {
    if (this.host.retired()) return;
    const k = this.keys;
    const pairs = [...this.host.localCounts()].flatMap(([userId, count]) => [userId, String(count)]);
    const keys = [k.instance(this.redis.instanceId), k.counts, k.online, k.lastSeen];
    await this.beat();
    const [came, went, at] = (await this.redis.runScript(RECONCILE, keys, [
      String(this.host.localSockets()),
      ...pairs,
    ])) as [string[], string[], string];
    for (const userId of came) await this.host.announce(userId, true, at);
    for (const userId of went) await this.host.announce(userId, false, at);
    this.logger.log({ online: came.length, offline: went.length }, 'Presence rebuilt after Redis reconnected');
    this.host.changed();
  }

  /** Runs one of the scripts above for a user on this instance's hash and the shared keys; answers its answer. */
  private run(script: RedisScript, userId: string): Promise<unknown> {
    const k = this.keys;
    const id = this.redis.instanceId;
    const keys = [k.instance(id), k.counts, k.online, k.lastSeen, k.grace(id)];
    return this.redis.runScript(script, keys, [userId]);
  }

  private async beat(): Promise<void> {
    const k = this.keys;
    const now = Date.now();
    const added = await this.redis.client.zadd(k.instances, now, this.redis.instanceId);
    if (added === 1 && this.registered && !this.host.retired()) {
      // Another instance took this one for dead (a beat far too late) and swept its counts: write them back.
      this.logger.warn({}, 'This instance was swept from presence while alive; rebuilding its part');
      setImmediate(() => {
        this.reconcile().catch((err: Error) => this.logger.warn({ err: err.message }, 'Presence reconcile failed'));
      });
    }
    this.registered = true;
    if (now < this.sweepFrom) return;
    const cutoff = this.staleBefore(now);
    const dead = await this.redis.client.zrangebyscore(k.instances, '-inf', `(${cutoff}`);
    for (const id of dead) await this.sweep(id, cutoff);
  }

  /** Claims a dead instance's counts (only one instance wins) and announces its users offline. */
  private async sweep(instanceId: string, cutoff: number): Promise<void> {
    const k = this.keys;
    const [at, offline] = (await this.redis.runScript(
      SWEEP,
      [k.instances, k.counts, k.online, k.lastSeen, k.instance(instanceId), k.grace(instanceId)],
      [instanceId, cutoff],
    )) as [string, string[]];
    if (instanceId !== this.redis.instanceId)
      this.logger.log({ instanceId, users: offline.length }, 'Swept a dead instance');
    for (const userId of offline) await this.host.announce(userId, false, at);
    if (offline.length > 0 || instanceId !== this.redis.instanceId) this.host.changed();
  }
}

/** A script's answer of the time a change was counted, or 0 when it made none. */
function stampOf(answer: unknown): string | undefined {
  return typeof answer === 'string' ? answer : undefined;
}
