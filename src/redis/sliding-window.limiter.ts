// Counts attempts per key over a sliding window, shared by every instance when Redis is configured
// (login failures per email and per IP; a kiosk's failed access codes). In process memory otherwise.
import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { RedisService } from './redis.service.js';

const RECORD_SCRIPT = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1] - ARGV[2])
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return redis.call('ZCARD', KEYS[1])`;

interface Window {
  windowMs: number;
  stamps: number[];
}

const SWEEP_MS = 60_000;

@Injectable()
export class SlidingWindowLimiter implements OnModuleDestroy {
  private readonly memory = new Map<string, Window>();
  // Keys that are never asked about again would otherwise stay forever.
  private readonly sweeper = setInterval(() => this.sweep(), SWEEP_MS).unref();

  constructor(private readonly redis: RedisService) {}

  /** How many attempts were recorded for `key` within the last `windowMs`. */
  async count(key: string, windowMs: number, now = Date.now()): Promise<number> {
    if (this.redis.enabled) {
      const k = this.redis.key('limit', key);
      await this.redis.client.zremrangebyscore(k, '-inf', now - windowMs);
      return this.redis.client.zcard(k);
    }
    return this.prune(key, windowMs, now).length;
  }

  /** Records one attempt and answers the count within the window, this one included. */
  async record(key: string, windowMs: number, now = Date.now()): Promise<number> {
    if (this.redis.enabled) {
      const k = this.redis.key('limit', key);
      return Number(await this.redis.client.eval(RECORD_SCRIPT, 1, k, now, windowMs, `${now}-${randomUUID()}`));
    }
    const stamps = this.prune(key, windowMs, now);
    stamps.push(now);
    this.memory.set(key, { windowMs, stamps });
    return stamps.length;
  }

  private prune(key: string, windowMs: number, now: number): number[] {
    const stamps = (this.memory.get(key)?.stamps ?? []).filter((t) => t > now - windowMs);
    if (stamps.length === 0) this.memory.delete(key);
    else this.memory.set(key, { windowMs, stamps });
    return stamps;
  }

  private sweep(now = Date.now()): void {
    for (const [key, { windowMs, stamps }] of this.memory) {
      if (stamps[stamps.length - 1] <= now - windowMs) this.memory.delete(key);
    }
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }
}
