import { ABUSE_LIMIT, ABUSE_WINDOW_MS, type RateDecision, SocketRateLimiter } from './socket-rate-limiter.js';

function takeMany(sut: SocketRateLimiter, count: number, now: number): RateDecision[] {
  return Array.from({ length: count }, () => sut.take(now));
}

describe(SocketRateLimiter.name, () => {
  it('should follow the contract: more than 20 refusals within 10 s disconnect', () => {
    expect(ABUSE_LIMIT).toBe(20);
    expect(ABUSE_WINDOW_MS).toBe(10_000);
  });

  it('should allow a full burst at once, then refuse the next event', () => {
    const sut = new SocketRateLimiter(50, 100, 0);
    expect(takeMany(sut, 100, 0).every((d) => d === 'allow')).toBe(true);
    expect(sut.take(0)).toBe('limit');
  });

  it('should refill at the rate per second', () => {
    const sut = new SocketRateLimiter(50, 100, 0);
    takeMany(sut, 100, 0);
    // 100 ms at 50/s gives back 5 tokens.
    expect(takeMany(sut, 5, 100)).toEqual(['allow', 'allow', 'allow', 'allow', 'allow']);
    expect(sut.take(100)).toBe('limit');
    expect(sut.take(120)).toBe('allow');
  });

  it('should never hold more than the burst however long the socket was idle', () => {
    const sut = new SocketRateLimiter(5, 10, 0);
    const decisions = takeMany(sut, 11, 3_600_000);
    expect(decisions.filter((d) => d === 'allow')).toHaveLength(10);
    expect(decisions[10]).toBe('limit');
  });

  it('should sustain the rate without refusals', () => {
    const sut = new SocketRateLimiter(10, 20, 0);
    const decisions = Array.from({ length: 200 }, (_, i) => sut.take(i * 100));
    expect(decisions.every((d) => d === 'allow')).toBe(true);
  });

  it('should answer limit for 20 refusals and disconnect on the 21st within 10 s', () => {
    const sut = new SocketRateLimiter(1, 2, 0);
    takeMany(sut, 2, 0);
    const refusals = Array.from({ length: 20 }, (_, i) => sut.take(i * 10));
    expect(refusals.every((d) => d === 'limit')).toBe(true);
    expect(sut.take(250)).toBe('disconnect');
  });

  it('should count refusals only, not allowed events', () => {
    const sut = new SocketRateLimiter(1, 2, 0);
    const decisions: RateDecision[] = [];
    // Alternate: one allowed event per second, two refusals after it, so never more than 20 refusals per 10 s.
    for (let second = 0; second < 30; second += 1) {
      const now = second * 1000;
      decisions.push(sut.take(now));
      for (let i = 0; i < 2; i += 1) decisions.push(sut.take(now + 1 + i));
    }
    expect(decisions).not.toContain('disconnect');
    expect(decisions.filter((d) => d === 'allow').length).toBeGreaterThanOrEqual(30);
  });

  it('should slide the window: refusals older than 10 s no longer count', () => {
    const sut = new SocketRateLimiter(1, 2, 0);
    takeMany(sut, 2, 0);
    expect(takeMany(sut, 20, 0).every((d) => d === 'limit')).toBe(true);
    // 10 s later the bucket is full again; drain it, then the earlier 20 refusals have left the window.
    expect(takeMany(sut, 2, ABUSE_WINDOW_MS)).toEqual(['allow', 'allow']);
    expect(takeMany(sut, 20, ABUSE_WINDOW_MS).every((d) => d === 'limit')).toBe(true);
    expect(sut.take(ABUSE_WINDOW_MS)).toBe('disconnect');
  });

  it('should keep refusals that are just inside the window', () => {
    const sut = new SocketRateLimiter(1, 2, 0);
    takeMany(sut, 2, 0);
    takeMany(sut, 10, 0);
    // 9.999 s later: 9 tokens would have refilled but the burst caps them at 2.
    takeMany(sut, 2, ABUSE_WINDOW_MS - 1);
    expect(takeMany(sut, 10, ABUSE_WINDOW_MS - 1).every((d) => d === 'limit')).toBe(true);
    expect(sut.take(ABUSE_WINDOW_MS - 1)).toBe('disconnect');
  });
});
