import { decide, StatsCoalescer } from './stats-coalescer.js';

const timing = { intervalMs: 1000, heartbeatMs: 30_000 };

describe(StatsCoalescer.name, () => {
  let sut: StatsCoalescer;

  beforeEach(() => {
    sut = new StatsCoalescer(timing);
  });

  it('should publish the first change at once', () => {
    sut.changed();
    expect(sut.claim(0, false)).toEqual({ claim: true });
  });

  it('should have nothing to publish without a change or subscribers', () => {
    expect(sut.claim(0, false)).toEqual({ claim: false, retryInMs: null });
  });

  it('should publish a burst as one leading and one trailing update per interval', () => {
    const published: number[] = [];
    // 20 changes within one second, checked every 50 ms.
    for (let now = 0; now <= 3000; now += 50) {
      if (now < 1000 && now % 50 === 0) sut.changed();
      if (sut.claim(now, false).claim) published.push(now);
    }
    expect(published).toEqual([0, 1000]);
  });

  it('should tell how long to wait for the period when a change comes too soon', () => {
    sut.changed();
    sut.claim(0, false);
    sut.changed();
    expect(sut.claim(400, false)).toEqual({ claim: false, retryInMs: 600 });
    expect(sut.claim(1000, false)).toEqual({ claim: true });
  });

  it('should cover every change up to the claim', () => {
    sut.changed();
    sut.changed();
    expect(sut.claim(0, false).claim).toBe(true);
    expect(sut.claim(5000, false)).toEqual({ claim: false, retryInMs: null });
  });

  it('should send a heartbeat while someone is subscribed, no more often than the heartbeat period', () => {
    expect(sut.claim(0, true)).toEqual({ claim: true });
    expect(sut.claim(10_000, true)).toEqual({ claim: false, retryInMs: 20_000 });
    expect(sut.claim(30_000, true)).toEqual({ claim: true });
    expect(sut.claim(40_000, false)).toEqual({ claim: false, retryInMs: null });
  });

  it('should let a change go out before the heartbeat is due', () => {
    sut.claim(0, true);
    sut.changed();
    expect(sut.claim(1500, true)).toEqual({ claim: true });
  });

  describe(decide.name, () => {
    it('should never wait less than the interval, even for a shorter heartbeat', () => {
      const state = { version: 0, publishedVersion: 0, publishedAt: 0 };
      expect(decide(state, 500, { intervalMs: 1000, heartbeatMs: 200 }, true)).toEqual({
        claim: false,
        retryInMs: 500,
      });
    });
  });
});
