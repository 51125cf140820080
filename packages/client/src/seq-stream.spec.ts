import { jest } from '@jest/globals';
import { SeqSequencer, type SeqSource } from './seq-stream.js';

interface Item {
  seq: number;
}

/** A log of items 1..n standing in for the REST history, counting the fetches. */
function history(n: number): SeqSource<Item> & { items: Item[]; fetches: number[] } {
  const items = Array.from({ length: n }, (_, i) => ({ seq: i + 1 }));
  const log = {
    items,
    fetches: [] as number[],
    fetchAfter: async (afterSeq: number, limit: number) => {
      log.fetches.push(afterSeq);
      return items.filter((i) => i.seq > afterSeq).slice(0, limit);
    },
    latestSeq: async () => items.length,
  };
  return log;
}

const settle = () => new Promise((r) => setTimeout(r, 30));

describe(SeqSequencer.name, () => {
  it('should deliver in-order live items at once, without fetching', () => {
    const source = history(3);
    const seen: number[] = [];
    const sut = new SeqSequencer(source, (i) => seen.push(i.seq), { afterSeq: 0 });
    for (const item of source.items) sut.push(item);
    expect(seen).toEqual([1, 2, 3]);
    expect(source.fetches).toEqual([]);
    sut.stop();
  });

  it('should drop duplicates and items at or below the last delivered seq', () => {
    const source = history(3);
    const seen: number[] = [];
    const sut = new SeqSequencer(source, (i) => seen.push(i.seq), { afterSeq: 1 });
    sut.push({ seq: 1 });
    sut.push({ seq: 2 });
    sut.push({ seq: 2 });
    sut.push({ seq: 3 });
    expect(seen).toEqual([2, 3]);
    sut.stop();
  });

  it('should hold an out-of-order item and deliver it after its predecessor arrives live', async () => {
    const source = history(3);
    const seen: number[] = [];
    const sut = new SeqSequencer(source, (i) => seen.push(i.seq), { afterSeq: 0, gapWaitMs: 1000 });
    sut.push({ seq: 2 });
    sut.push({ seq: 3 });
    expect(seen).toEqual([]);
    sut.push({ seq: 1 });
    expect(seen).toEqual([1, 2, 3]);
    expect(source.fetches).toEqual([]);
    sut.stop();
  });

  it('should fetch a gap the live stream does not fill and deliver each item once, in order', async () => {
    const source = history(250);
    const seen: number[] = [];
    const sut = new SeqSequencer(source, (i) => seen.push(i.seq), { afterSeq: 0, gapWaitMs: 5 });
    sut.push({ seq: 1 });
    sut.push({ seq: 250 });
    await settle();
    sut.push({ seq: 120 });
    expect(seen).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
    expect(source.fetches).toEqual([1, 101, 201]);
    sut.stop();
  });

  it('should start after the newest item when no start is given, delivering only what follows', async () => {
    const source = history(5);
    const seen: number[] = [];
    const sut = new SeqSequencer(source, (i) => seen.push(i.seq));
    await sut.catchUp();
    source.items.push({ seq: 6 });
    sut.push({ seq: 6 });
    expect(seen).toEqual([6]);
    sut.stop();
  });

  it('should deliver an item that came live before the start was known, even when the newest-item read counts it', async () => {
    // Item 5 was committed after the subscription and before the read of the newest item: it arrives live, and the
    // read answers 5. Starting at 5 would drop it.
    const source = history(5);
    const seen: number[] = [];
    const sut = new SeqSequencer(source, (i) => seen.push(i.seq));
    sut.push({ seq: 5 });
    await sut.catchUp();
    source.items.push({ seq: 6 });
    sut.push({ seq: 6 });
    expect(seen).toEqual([5, 6]);
    expect(source.fetches).toEqual([5]);
    sut.stop();
  });

  it('should read the start position at start() and fetch what came after it at the next catch-up', async () => {
    // The stream is subscribed (start), item 6 is committed before the socket's subscription is acknowledged, so it
    // never comes live; the catch-up after the acknowledgement finds it after the position read at the start.
    const source = history(5);
    const seen: number[] = [];
    const sut = new SeqSequencer(source, (i) => seen.push(i.seq));
    await sut.start();
    expect(sut.lastSeq).toBe(5);
    expect(source.fetches).toEqual([]);
    source.items.push({ seq: 6 });
    await sut.catchUp();
    expect(seen).toEqual([6]);
    expect(source.fetches).toEqual([5]);
    sut.stop();
  });

  it('should run a catch-up asked for while start() reads the position, once the position is known', async () => {
    const source = history(5);
    let answer: (seq: number) => void = () => undefined;
    source.latestSeq = () => new Promise<number>((resolve) => (answer = resolve));
    const seen: number[] = [];
    const sut = new SeqSequencer(source, (i) => seen.push(i.seq));
    const starting = sut.start();
    void sut.catchUp();
    source.items.push({ seq: 6 });
    answer(5);
    await starting;
    expect(seen).toEqual([6]);
    expect(source.fetches).toEqual([5]);
    // With a start given, start() reads nothing.
    const given = history(3);
    const other = new SeqSequencer(given, () => undefined, { afterSeq: 1 });
    await other.start();
    expect(given.fetches).toEqual([]);
    sut.stop();
  });

  it('should skip a hole the history never fills after its patience runs out', async () => {
    const source = history(2);
    source.items.push({ seq: 4 });
    const seen: number[] = [];
    const sut = new SeqSequencer(source, (i) => seen.push(i.seq), { afterSeq: 2, gapWaitMs: 1, holePatience: 2 });
    sut.push({ seq: 5 });
    await new Promise((r) => setTimeout(r, 100));
    expect(seen).toEqual([4, 5]);
    sut.stop();
  });
  it('should reject poll() with what failed, and retry with a delay that doubles while the reads fail', async () => {
    jest.useFakeTimers();
    try {
      const failure = new Error('unreachable');
      let fetches = 0;
      let failing = true;
      const source: SeqSource<Item> = {
        fetchAfter: async () => {
          fetches += 1;
          if (failing) throw failure;
          return [];
        },
        latestSeq: async () => 0,
      };
      const errors: unknown[] = [];
      const sut = new SeqSequencer(
        source,
        () => undefined,
        { afterSeq: 0, retryMs: 40 },
        (e) => errors.push(e),
      );
      await expect(sut.poll()).rejects.toBe(failure);
      // Its own retries: 40, then 80, then 160 ms after each failure.
      for (const [wait, expected] of [
        [39, 1],
        [1, 2],
        [79, 2],
        [1, 3],
        [159, 3],
        [1, 4],
      ]) {
        await jest.advanceTimersByTimeAsync(wait);
        expect(fetches).toBe(expected);
      }
      expect(errors).toEqual([failure, failure, failure, failure]);
      failing = false;
      await expect(sut.poll()).resolves.toBeUndefined();
      sut.stop();
    } finally {
      jest.useRealTimers();
    }
  });

  it("should answer a poll that meets a read under way with that read's outcome, once it has one", async () => {
    const failure = new Error('no answer');
    const answers: Array<{ resolve(items: Item[]): void; reject(error: unknown): void }> = [];
    const source: SeqSource<Item> = {
      fetchAfter: () => new Promise<Item[]>((resolve, reject) => answers.push({ resolve, reject })),
      latestSeq: async () => 0,
    };
    const delivered: number[] = [];
    const sut = new SeqSequencer(source, (item) => delivered.push(item.seq), { afterSeq: 0, retryMs: 60_000 });
    void sut.catchUp();
    await settle();
    expect(answers).toHaveLength(1);

    // A poll while the stream's own read hangs: it neither answers at once nor reads beside it.
    let polled: string | undefined;
    sut.poll().then(
      () => (polled = 'answered'),
      (error: unknown) => (polled = error === failure ? 'failed' : 'other'),
    );
    await settle();
    expect(polled).toBeUndefined();
    expect(answers).toHaveLength(1);
    answers[0].reject(failure);
    await settle();
    expect(polled).toBe('failed');

    // One that meets a read that succeeds answers once the round it asked for is read too.
    polled = undefined;
    void sut.catchUp();
    await settle();
    sut.poll().then(() => (polled = 'answered'));
    answers[1].resolve([{ seq: 1 }]);
    await settle();
    expect(polled).toBeUndefined();
    expect(answers).toHaveLength(3);
    answers[2].resolve([]);
    await settle();
    expect(polled).toBe('answered');
    expect(delivered).toEqual([1]);
    sut.stop();
  });

  it('should keep no Node process alive with its retry or gap timer, which a closed client leaves', async () => {
    const timers: NodeJS.Timeout[] = [];
    const real = globalThis.setTimeout;
    const spy = jest.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: () => void, ms?: number) => {
      const timer = real(fn, ms);
      timers.push(timer);
      return timer;
    }) as typeof setTimeout);
    // A retry after a failed read, and the wait of an item that came out of order.
    const retrying = new SeqSequencer<Item>(
      { fetchAfter: () => Promise.reject(new Error('down')), latestSeq: async () => 0 },
      () => undefined,
      { afterSeq: 0, retryMs: 20_000 },
    );
    const waiting = new SeqSequencer<Item>(history(0), () => undefined, { afterSeq: 0, gapWaitMs: 20_000 });
    try {
      await retrying.catchUp();
      waiting.push({ seq: 2 });
      expect(timers).toHaveLength(2);
      expect(timers.map((t) => t.hasRef())).toEqual([false, false]);
    } finally {
      retrying.stop();
      waiting.stop();
      spy.mockRestore();
    }
  });
});
