// Who is typing where: the 1 s throttle of `isTyping:true`, the time of each typist's last `true`, and the
// conversations each user types in. In Redis when configured, so every instance applies the same throttle and
// exactly one instance claims a timeout; in process memory otherwise.
import { redisScript, type RedisService } from '../redis/redis.service.js';

/** What a due timeout check found: send `false` now, check again after `retryInMs`, or nothing left to do. */
export type TypingExpiry = { kind: 'fire' } | { kind: 'retry'; retryInMs: number } | { kind: 'gone' };

export interface TypingStore {
  /** Records a `true` now; answers whether it passes the throttle (no passed `true` within `throttleMs`). */
  start(conversationId: string, userId: string, throttleMs: number): Promise<boolean>;
  /** After `timeoutMs` without a `true`, claims the end of typing (once, across instances). */
  expire(conversationId: string, userId: string, timeoutMs: number): Promise<TypingExpiry>;
  /** Forgets the typist (the throttle of their last passed `true` runs on); answers whether they were typing. */
  stop(conversationId: string, userId: string): Promise<boolean>;
  /** The conversations the user is typing in. */
  typingIn(userId: string): Promise<string[]>;
  /**
   * Typists whose deadline (their last `true` plus the timeout) passed `overdueMs` ago or more, at most `limit`: their
   * timers' instance may be gone (Redis only; in memory the timers are this process's own).
   */
  overdue(overdueMs: number, limit: number): Promise<Array<{ conversationId: string; userId: string }>>;
}

/** Throttles kept past a `false` before a sweep of the ended ones. */
const MAX_THROTTLES = 10_000;

export class MemoryTypingStore implements TypingStore {
  private readonly lastTrue = new Map<string, number>();
  /** When the throttle of the last passed `true` ends; kept after a `false` until then. */
  private readonly throttledUntil = new Map<string, number>();
  private readonly byUser = new Map<string, Set<string>>();

  constructor(private readonly now: () => number = Date.now) {}

  async start(conversationId: string, userId: string, throttleMs: number): Promise<boolean> {
    const key = `${conversationId}:${userId}`;
    const now = this.now();
    this.lastTrue.set(key, now);
    const conversations = this.byUser.get(userId) ?? new Set<string>();
    conversations.add(conversationId);
    this.byUser.set(userId, conversations);
    const until = this.throttledUntil.get(key);
    if (until !== undefined && now < until) return false;
    this.throttledUntil.set(key, now + throttleMs);
    return true;
  }

  async expire(conversationId: string, userId: string, timeoutMs: number): Promise<TypingExpiry> {
    const last = this.lastTrue.get(`${conversationId}:${userId}`);
    if (last === undefined) return { kind: 'gone' };
    const left = last + timeoutMs - this.now();
    if (left > 0) return { kind: 'retry', retryInMs: left };
    this.forget(conversationId, userId);
    return { kind: 'fire' };
  }

  async stop(conversationId: string, userId: string): Promise<boolean> {
    const was = this.lastTrue.has(`${conversationId}:${userId}`);
    this.forget(conversationId, userId);
    return was;
  }

  async typingIn(userId: string): Promise<string[]> {
    return [...(this.byUser.get(userId) ?? [])];
  }

  async overdue(): Promise<Array<{ conversationId: string; userId: string }>> {
    return [];
  }

  private forget(conversationId: string, userId: string): void {
    const key = `${conversationId}:${userId}`;
    this.lastTrue.delete(key);
    // A `false` does not reset the throttle (the contract drops a `true` within 1000 ms of a passed one, whatever
    // came between); ended throttles are swept now and then so that the map does not grow.
    const now = this.now();
    if ((this.throttledUntil.get(key) ?? 0) <= now) this.throttledUntil.delete(key);
    if (this.throttledUntil.size > MAX_THROTTLES) {
      for (const [k, until] of this.throttledUntil) if (until <= now) this.throttledUntil.delete(k);
    }
    const conversations = this.byUser.get(userId);
    conversations?.delete(conversationId);
    if (conversations?.size === 0) this.byUser.delete(userId);
  }
}

const NOW_MS = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

// KEYS: state, throttle, user's set, deadlines. ARGV: throttle ms, state ttl ms, conversation id, timeout ms, member.
const START = redisScript(
  'typingStart',
  4,
  `${NOW_MS}
redis.call('SET', KEYS[1], now, 'PX', ARGV[2])
redis.call('SADD', KEYS[3], ARGV[3])
redis.call('PEXPIRE', KEYS[3], ARGV[2])
redis.call('ZADD', KEYS[4], now + tonumber(ARGV[4]), ARGV[5])
if redis.call('SET', KEYS[2], '1', 'PX', ARGV[1], 'NX') then return 1 end
return 0`,
);

// KEYS: state, user's set, deadlines. ARGV: timeout ms, conversation id, member. Answers -1 gone, 0 fire, n retry in n
// ms. The throttle key is left to expire on its own, as after a false: a timeout shorter than the throttle does not
// end it either.
const EXPIRE = redisScript(
  'typingExpire',
  3,
  `
local last = redis.call('GET', KEYS[1])
if not last then
  redis.call('ZREM', KEYS[3], ARGV[3])
  return -1
end
${NOW_MS}
local left = tonumber(last) + tonumber(ARGV[1]) - now
if left > 0 then return left end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[2])
redis.call('ZREM', KEYS[3], ARGV[3])
return 0`,
);

// KEYS: deadlines. ARGV: how long overdue (ms), limit. Answers the members overdue by that long or more.
const OVERDUE = redisScript(
  'typingOverdue',
  1,
  `${NOW_MS}
return redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[1]), 'LIMIT', 0, tonumber(ARGV[2]))`,
);

// KEYS: state, user's set, deadlines. ARGV: conversation id, member. Answers 1 when the user was typing. The throttle
// key is left to expire on its own: a false does not reset it.
const STOP = redisScript(
  'typingStop',
  3,
  `
local was = redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[2])
return was`,
);

/** A typist in the deadlines' sorted set: conversation and user ids (UUIDs, without spaces). */
const member = (conversationId: string, userId: string): string => `${conversationId} ${userId}`;

export class RedisTypingStore implements TypingStore {
  /** State outlives its timeout so that the instance holding the timer still finds it; then Redis drops it. */
  private readonly stateTtlMs: number;

  constructor(
    private readonly redis: RedisService,
    private readonly timeoutMs: number,
  ) {
    this.stateTtlMs = timeoutMs * 2 + 5000;
  }

  private keys(conversationId: string, userId: string): [string, string, string] {
    return [
      this.redis.key('typing', 'state', conversationId, userId),
      this.redis.key('typing', 'throttle', conversationId, userId),
      this.redis.key('typing', 'user', userId),
    ];
  }

  /** Every typist's deadline (last `true` plus the timeout), for the instances that outlive the one timing it. */
  private get deadlines(): string {
    return this.redis.key('typing', 'deadlines');
  }

  async start(conversationId: string, userId: string, throttleMs: number): Promise<boolean> {
    const passed = await this.redis.runScript(
      START,
      [...this.keys(conversationId, userId), this.deadlines],
      [throttleMs, this.stateTtlMs, conversationId, this.timeoutMs, member(conversationId, userId)],
    );
    return Number(passed) === 1;
  }

  async expire(conversationId: string, userId: string, timeoutMs: number): Promise<TypingExpiry> {
    const [state, , user] = this.keys(conversationId, userId);
    const answer = Number(
      await this.redis.runScript(
        EXPIRE,
        [state, user, this.deadlines],
        [timeoutMs, conversationId, member(conversationId, userId)],
      ),
    );
    if (answer < 0) return { kind: 'gone' };
    if (answer === 0) return { kind: 'fire' };
    return { kind: 'retry', retryInMs: answer };
  }

  async stop(conversationId: string, userId: string): Promise<boolean> {
    const [state, , user] = this.keys(conversationId, userId);
    const was = await this.redis.runScript(
      STOP,
      [state, user, this.deadlines],
      [conversationId, member(conversationId, userId)],
    );
    return Number(was) === 1;
  }

  async typingIn(userId: string): Promise<string[]> {
    return this.redis.client.smembers(this.redis.key('typing', 'user', userId));
  }

  async overdue(overdueMs: number, limit: number): Promise<Array<{ conversationId: string; userId: string }>> {
    const members = (await this.redis.runScript(OVERDUE, [this.deadlines], [overdueMs, limit])) as string[];
    return members.map((m) => {
      const [conversationId, userId] = m.split(' ');
      return { conversationId, userId };
    });
  }
}
