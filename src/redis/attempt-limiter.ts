// Counted limits (login failures, a kiosk's wrong codes, registrations) over a sliding window: an attempt is refused
// while `points` attempts were counted within the last `durationSeconds`, whenever they came. Each attempt takes its
// place atomically before the work, so requests sent at once count as they arrive, and gives it back when it turns
// out not to count (a right password, a right code).
//
// A log of the attempts' times per key: a sorted set in Redis when configured (one script call per attempt, timed by
// Redis's clock, shared by every instance), an array in process memory otherwise. Our own rather than
// rate-limiter-flexible's (used before): its limiters count in fixed windows, which reset a minute after the first
// attempt, so five wrong codes late in one window and five early in the next all passed within seconds, where the
// contract's sliding window allows five.
import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DomainException } from '../common/domain.exception.js';
import { ErrorCode } from '../common/error-codes.js';
import { redisScript, RedisService } from './redis.service.js';

export interface LimitRule {
  /** Names the counter (and its Redis keys); one rule per name. */
  name: string;
  /** Attempts allowed within any window of `durationSeconds`; the next one is refused. */
  points: number;
  durationSeconds: number;
}

/** One rule's log: `take` counts an attempt unless the window is full, `giveBack` removes it. */
interface AttemptLog {
  take(key: string): Promise<{ id: string } | { retryAfterMs: number }>;
  giveBack(key: string, id: string): Promise<void>;
}

/**
 * KEYS[1] the log (a sorted set: attempt id → time in ms); ARGV: window ms, points, the attempt's id. Answers
 * `{1, 0}` when counted, or `{0, ms until the oldest attempt leaves the window}`.
 */
const TAKE = redisScript(
  'attemptTake',
  1,
  `
  if redis.replicate_commands then redis.replicate_commands() end
  local time = redis.call('TIME')
  local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
  local window = tonumber(ARGV[1])
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
  if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
    local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
    return {0, tonumber(oldest[2]) + window - now}
  end
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  return {1, 0}
`,
);

class RedisAttemptLog implements AttemptLog {
  constructor(
    private readonly redis: RedisService,
    private readonly prefix: string,
    private readonly rule: LimitRule,
  ) {}

  async take(key: string): Promise<{ id: string } | { retryAfterMs: number }> {
    const id = randomUUID();
    const [counted, retryAfterMs] = (await this.redis.runScript(
      TAKE,
      [`${this.prefix}:${key}`],
      [this.rule.durationSeconds * 1000, this.rule.points, id],
    )) as [number, number];
    return counted === 1 ? { id } : { retryAfterMs };
  }

  async giveBack(key: string, id: string): Promise<void> {
    await this.redis.client.zrem(`${this.prefix}:${key}`, id);
  }
}

class MemoryAttemptLog implements AttemptLog {
  /** Per key, the attempts counted, oldest first. */
  private readonly logs = new Map<string, { at: number; id: string }[]>();
  private sweptAt = Date.now();

  constructor(
    private readonly rule: LimitRule,
    private readonly now: () => number,
  ) {}

  take(key: string): Promise<{ id: string } | { retryAfterMs: number }> {
    const now = this.now();
    const windowMs = this.rule.durationSeconds * 1000;
    // Keys nobody comes back to are dropped once their attempts have all left the window (at most once a window).
    if (now - this.sweptAt >= windowMs) this.sweep(now - windowMs);
    const log = this.logs.get(key) ?? [];
    this.logs.set(key, log);
    while (log.length > 0 && log[0].at <= now - windowMs) log.shift();
    if (log.length >= this.rule.points) return Promise.resolve({ retryAfterMs: log[0].at + windowMs - now });
    const id = randomUUID();
    log.push({ at: now, id });
    return Promise.resolve({ id });
  }

  giveBack(key: string, id: string): Promise<void> {
    const log = this.logs.get(key);
    const index = log?.findIndex((entry) => entry.id === id) ?? -1;
    if (log && index >= 0) log.splice(index, 1);
    if (log?.length === 0) this.logs.delete(key);
    return Promise.resolve();
  }

  private sweep(before: number): void {
    this.sweptAt = before + this.rule.durationSeconds * 1000;
    for (const [key, log] of this.logs) {
      if (log.length === 0 || log[log.length - 1].at <= before) this.logs.delete(key);
    }
  }
}

const logger = new Logger('AttemptLimiter');

/** The attempts one reservation counted; `refund()` gives them back (once). */
export class Reservation {
  private refunded = false;

  constructor(private readonly taken: { log: AttemptLog; key: string; id: string }[]) {}

  /** Best effort: a counter that cannot be reached keeps the attempt (which still succeeds). */
  async refund(): Promise<void> {
    if (this.refunded) return;
    this.refunded = true;
    const results = await Promise.allSettled(this.taken.map(({ log, key, id }) => log.giveBack(key, id)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) logger.warn({ err: (failed.reason as Error)?.message }, 'Could not give back an attempt');
  }
}

@Injectable()
export class AttemptLimiter {
  private readonly logs = new Map<string, AttemptLog>();
  /** The memory logs' clock (a spec moves it). */
  now: () => number = Date.now;

  constructor(private readonly redis: RedisService) {}

  /**
   * Counts one attempt under each `[rule, key]`. When any refuses, the attempts counted are given back and the
   * attempt is refused with RATE_LIMITED (`message`, and when to retry), before any work is done.
   */
  async reserve(message: string, ...entries: [LimitRule, string][]): Promise<Reservation> {
    const results = await Promise.allSettled(entries.map(([rule, key]) => this.log(rule).take(key)));
    const taken = entries.flatMap(([rule, key], i) => {
      const result = results[i];
      return result.status === 'fulfilled' && 'id' in result.value
        ? [{ log: this.log(rule), key, id: result.value.id }]
        : [];
    });
    if (taken.length === entries.length) return new Reservation(taken);
    await new Reservation(taken).refund();
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) {
      logger.warn({ err: (failure.reason as Error)?.message }, 'The attempt counter is unavailable');
      throw new DomainException(ErrorCode.SERVICE_UNAVAILABLE, 'The attempt counter is unavailable; try again');
    }
    const waits = results.map((r) =>
      r.status === 'fulfilled' && 'retryAfterMs' in r.value ? r.value.retryAfterMs : 0,
    );
    throw new DomainException(ErrorCode.RATE_LIMITED, message, {
      retryAfterSeconds: Math.max(1, Math.ceil(Math.max(...waits) / 1000)),
    });
  }

  private log(rule: LimitRule): AttemptLog {
    let log = this.logs.get(rule.name);
    if (log) return log;
    log = this.redis.enabled
      ? new RedisAttemptLog(this.redis, this.redis.key('limit', rule.name), rule)
      : new MemoryAttemptLog(rule, () => this.now());
    this.logs.set(rule.name, log);
    return log;
  }
}
