// Per-socket event rate limit: a token bucket (`rate` events/s, bursts up to `burst`), and the contract's rule
// that a socket answered RATE_LIMITED more than 20 times within 10 s is disconnected. Lives in process memory:
// a socket lives on one instance.

export const ABUSE_LIMIT = 20;
export const ABUSE_WINDOW_MS = 10_000;

export type RateDecision = 'allow' | 'limit' | 'disconnect';

export class SocketRateLimiter {
  private tokens: number;
  private updatedAt: number;
  /** Created on the first refusal: most sockets never get one. */
  private refusals?: number[];

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    now = Date.now(),
  ) {
    this.tokens = burst;
    this.updatedAt = now;
  }

  take(now = Date.now()): RateDecision {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.updatedAt) / 1000) * this.rate);
    this.updatedAt = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 'allow';
    }
    const refusals = (this.refusals ??= []);
    while (refusals.length > 0 && refusals[0] <= now - ABUSE_WINDOW_MS) refusals.shift();
    refusals.push(now);
    return refusals.length > ABUSE_LIMIT ? 'disconnect' : 'limit';
  }
}
