import { Logger } from '@nestjs/common';
import { GroupCommitQueue, type Outcome } from './group-commit.js';

/** A writer whose batches complete when the test says so. */
class StubWriter {
  readonly batches: { key: string; items: number[] }[] = [];
  private readonly gates: (() => void)[] = [];
  failNext?: Error;

  write = async (key: string, items: number[]): Promise<Outcome<number>[]> => {
    this.batches.push({ key, items: [...items] });
    await new Promise<void>((resolve) => this.gates.push(resolve));
    if (this.failNext) {
      const error = this.failNext;
      this.failNext = undefined;
      throw error;
    }
    // Odd items are refused; even ones answer ten times themselves.
    return items.map((n) => (n % 2 === 1 ? { ok: false, error: new Error(`odd ${n}`) } : { ok: true, value: n * 10 }));
  };

  /** Lets the oldest batch in flight finish. */
  async release(): Promise<void> {
    await flushMicrotasks();
    this.gates.shift()?.();
    await flushMicrotasks();
  }

  get inFlight(): number {
    return this.gates.length;
  }
}

const flushMicrotasks = () => new Promise<void>((resolve) => setImmediate(resolve));

describe(GroupCommitQueue.name, () => {
  let writer: StubWriter;
  let sut: GroupCommitQueue<number, number>;

  beforeAll(() => Logger.overrideLogger(false));

  beforeEach(() => {
    writer = new StubWriter();
    sut = new GroupCommitQueue(writer.write, { maxBatch: 3 });
  });

  it('should write items submitted in one tick as one batch, in submission order', async () => {
    const answers = [0, 2, 4].map((n) => sut.submit('job-a', n));
    await writer.release();
    await expect(Promise.all(answers)).resolves.toEqual([0, 20, 40]);
    expect(writer.batches).toEqual([{ key: 'job-a', items: [0, 2, 4] }]);
  });

  it('should gather items arriving during a write into the next batch, in arrival order', async () => {
    const first = sut.submit('job-a', 2);
    await flushMicrotasks();
    expect(writer.inFlight).toBe(1);
    const later = [sut.submit('job-a', 4), sut.submit('job-a', 6)];
    await flushMicrotasks();
    // Still one write in flight: the newcomers wait for it rather than writing beside it.
    expect(writer.batches).toHaveLength(1);
    await writer.release();
    await expect(first).resolves.toBe(20);
    expect(writer.batches[1]).toEqual({ key: 'job-a', items: [4, 6] });
    await writer.release();
    await expect(Promise.all(later)).resolves.toEqual([40, 60]);
  });

  it('should split a long queue into batches of at most maxBatch', async () => {
    const answers = [0, 2, 4, 6, 8, 10, 12].map((n) => sut.submit('job-a', n));
    for (let i = 0; i < 3; i += 1) await writer.release();
    await expect(Promise.all(answers)).resolves.toEqual([0, 20, 40, 60, 80, 100, 120]);
    expect(writer.batches.map((b) => b.items)).toEqual([[0, 2, 4], [6, 8, 10], [12]]);
  });

  it('should close a batch before it outweighs maxWeight, but always take one item', async () => {
    const weighed = new GroupCommitQueue<number, number>(writer.write, {
      maxBatch: 10,
      limit: { maxWeight: 10, weigh: (n) => n },
    });
    const answers = [4, 4, 4, 12, 2].map((n) => weighed.submit('job-a', n));
    for (let i = 0; i < 4; i += 1) await writer.release();
    await expect(Promise.all(answers)).resolves.toEqual([40, 40, 40, 120, 20]);
    expect(writer.batches.map((b) => b.items)).toEqual([[4, 4], [4], [12], [2]]);
  });

  it('should write different keys independently and concurrently', async () => {
    const a = sut.submit('job-a', 2);
    const b = sut.submit('job-b', 4);
    await flushMicrotasks();
    expect(writer.inFlight).toBe(2);
    expect(writer.batches).toEqual([
      { key: 'job-a', items: [2] },
      { key: 'job-b', items: [4] },
    ]);
    await writer.release();
    await writer.release();
    await expect(Promise.all([a, b])).resolves.toEqual([20, 40]);
  });

  it('should answer each item its own outcome: a refused item does not fail its neighbours', async () => {
    const settled = Promise.allSettled([2, 3, 4].map((n) => sut.submit('job-a', n)));
    await writer.release();
    const outcomes = await settled;
    expect(outcomes.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toEqual(new Error('odd 3'));
  });

  it('should reject every item of a batch whose write failed, then go on with the next batch', async () => {
    const failing = Promise.allSettled([sut.submit('job-a', 2), sut.submit('job-a', 4)]);
    writer.failNext = new Error('connection lost');
    await flushMicrotasks();
    const next = sut.submit('job-a', 6);
    await writer.release();
    expect(await failing).toEqual([
      { status: 'rejected', reason: new Error('connection lost') },
      { status: 'rejected', reason: new Error('connection lost') },
    ]);
    await writer.release();
    await expect(next).resolves.toBe(60);
  });

  it('should write each item alone when Postgres refused one value of the batch, so only that item fails', async () => {
    // As pg raises it: an error response with a severity and SQLSTATE 22003 (numeric value out of range).
    const outOfRange = Object.assign(new Error('integer out of range'), { severity: 'ERROR', code: '22003' });
    const writes: number[][] = [];
    const picky = new GroupCommitQueue<number, number>(async (_key, items) => {
      writes.push([...items]);
      if (items.includes(13)) throw outOfRange;
      return items.map((n) => ({ ok: true, value: n * 10 }));
    });
    const settled = await Promise.allSettled([2, 13, 4].map((n) => picky.submit('job-a', n)));
    expect(settled).toEqual([
      { status: 'fulfilled', value: 20 },
      { status: 'rejected', reason: outOfRange },
      { status: 'fulfilled', value: 40 },
    ]);
    expect(writes).toEqual([[2, 13, 4], [2], [13], [4]]);
  });

  it("should write each item alone after any failure when told every failure may be one item's", async () => {
    const duplicate = Object.assign(new Error('duplicate key value'), { severity: 'ERROR', code: '23505' });
    const writes: number[][] = [];
    const write = async (_key: string, items: number[]) => {
      writes.push([...items]);
      if (items.includes(13)) throw duplicate;
      return items.map((n) => ({ ok: true as const, value: n * 10 }));
    };
    const alone = new GroupCommitQueue<number, number>(write, { writeAloneWhen: () => true });
    const settled = await Promise.allSettled([2, 13, 4].map((n) => alone.submit('c', n)));
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(writes).toEqual([[2, 13, 4], [2], [13], [4]]);
    // By default only a data exception (SQLSTATE class 22) is taken for one item's: a unique violation fails all.
    writes.length = 0;
    const byDefault = new GroupCommitQueue<number, number>(write);
    const all = await Promise.allSettled([2, 13, 4].map((n) => byDefault.submit('c', n)));
    expect(all.map((s) => s.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(writes).toEqual([[2, 13, 4]]);
  });

  it('should reject the batch when the writer answers the wrong number of outcomes', async () => {
    const short = new GroupCommitQueue<number, number>(async () => [{ ok: true, value: 1 }]);
    const settled = await Promise.allSettled([short.submit('k', 1), short.submit('k', 2)]);
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected']);
    expect((settled[0] as PromiseRejectedResult).reason.message).toContain('1 outcomes for 2 items');
  });

  it('should count pending items, the batch in flight included, and flush them all', async () => {
    sut.submit('job-a', 2);
    sut.submit('job-b', 4);
    await flushMicrotasks();
    sut.submit('job-a', 6);
    expect(sut.pending).toBe(3);
    const flushed = sut.flush();
    await writer.release();
    await writer.release();
    await writer.release();
    await flushed;
    expect(sut.pending).toBe(0);
  });
});
