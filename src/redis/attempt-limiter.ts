// Counted limits (login failures, a kiosk's wrong codes, registrations): an attempt takes its point atomically
// before the work, so requests sent at once count as they arrive, and gives it back when it turns out not to
// count (a right password, a right code). rate-limiter-flexible, on Redis when configured (shared by every
// instance), in process memory otherwise.
import { Injectable, Logger } from '@nestjs/common';
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { DomainException } from '../common/domain.exception.js';
import { ErrorCode } from '../common/error-codes.js';
import type { Redis } from 'ioredis';
import { RedisService } from './redis.service.js';

export interface LimitRule {
  /** Names the counter (and its Redis keys); one rule per name. */
  name: string;
  /** Attempts allowed within the window; the next one is refused. */
  points: number;
  /** The window starts at the first attempt counted and lasts this long. */
  durationSeconds: number;
}

const logger = new Logger('AttemptLimiter');

/** The points one attempt took; `refund()` gives them back (once). */
export class Reservation {
  private refunded = false;

  constructor(private readonly taken: { limiter: RateLimiterAbstract; key: string }[]) {}

  /** Best effort: a counter that cannot be reached keeps the point (the attempt still succeeds). */
  async refund(): Promise<void> {
    if (this.refunded) return;
    this.refunded = true;
    const results = await Promise.allSettled(this.taken.map(({ limiter, key }) => limiter.reward(key, 1)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) logger.warn({ err: (failed.reason as Error)?.message }, 'Could not give back an attempt');
  }
}

@Injectable()
export class AttemptLimiter {
  private readonly limiters = new Map<string, RateLimiterAbstract>();
  private connection?: Redis;

  constructor(private readonly redis: RedisService) {}

  /**
   * Takes one point from each `[rule, key]`. When any refuses, the points taken are given back and the attempt is
   * refused with RATE_LIMITED (`message`), before any work is done.
   */
  async reserve(message: string, ...entries: [LimitRule, string][]): Promise<Reservation> {
    const results = await Promise.allSettled(entries.map(([rule, key]) => this.limiter(rule).consume(key, 1)));
    const taken = entries.flatMap(([rule, key], i) =>
      results[i].status === 'fulfilled' ? [{ limiter: this.limiter(rule), key }] : [],
    );
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (!failure) return new Reservation(taken);
    await new Reservation(taken).refund();
    if (failure.reason instanceof RateLimiterRes) {
      throw new DomainException(ErrorCode.RATE_LIMITED, message, {
        retryAfterSeconds: Math.ceil(failure.reason.msBeforeNext / 1000),
      });
    }
    throw new DomainException(ErrorCode.SERVICE_UNAVAILABLE, 'The attempt counter is unavailable; try again');
  }

  /**
   * A connection of its own, without auto-pipelining: the library's script runs as a custom command (EVALSHA, then
   * EVAL on NOSCRIPT), which ioredis's auto-pipelining answers with "results[i] is not iterable" after Redis lost
   * its scripts (a restart).
   */
  private store(): Redis {
    this.connection ??= this.redis.connect('limits');
    return this.connection;
  }

  private limiter(rule: LimitRule): RateLimiterAbstract {
    let limiter = this.limiters.get(rule.name);
    if (limiter) return limiter;
    const options = { keyPrefix: rule.name, points: rule.points, duration: rule.durationSeconds };
    limiter = this.redis.enabled
      ? new RateLimiterRedis({
          ...options,
          keyPrefix: this.redis.key('limit', rule.name),
          storeClient: this.store(),
        })
      : new RateLimiterMemory(options);
    this.limiters.set(rule.name, limiter);
    return limiter;
  }
}
