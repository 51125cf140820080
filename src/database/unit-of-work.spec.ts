import type { DataSource, EntityManager } from 'typeorm';
import { UnitOfWork } from './unit-of-work.js';

describe(UnitOfWork.name, () => {
  const manager = { name: 'tx' } as unknown as EntityManager;
  let committed: boolean;
  let sut: UnitOfWork;

  beforeEach(() => {
    committed = false;
    const dataSource = {
      transaction: async (work: (m: EntityManager) => Promise<unknown>) => {
        const result = await work(manager);
        committed = true;
        return result;
      },
    };
    sut = new UnitOfWork(dataSource as unknown as DataSource);
  });

  it('should run the queued effects after the commit, in order, and answer the work result', async () => {
    const seen: string[] = [];
    const result = await sut.run(async (tx) => {
      expect(tx.manager).toBe(manager);
      tx.afterCommit(() => seen.push(`first, committed: ${committed}`));
      tx.afterCommit(() => seen.push(`second, committed: ${committed}`));
      expect(seen).toEqual([]);
      return 42;
    });
    expect(result).toBe(42);
    expect(seen).toEqual(['first, committed: true', 'second, committed: true']);
  });

  it('should run no effect when the work throws (the transaction rolls back)', async () => {
    const seen: string[] = [];
    await expect(
      sut.run(async (tx) => {
        tx.afterCommit(() => seen.push('effect'));
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(seen).toEqual([]);
  });

  it('should await an effect that answers a promise before the next one, and answer after the last', async () => {
    const seen: string[] = [];
    let release!: () => void;
    const evicted = new Promise<void>((resolve) => (release = resolve));
    const running = sut.run(async (tx) => {
      tx.afterCommit(async () => {
        seen.push('evicting');
        await evicted;
        seen.push('evicted');
      });
      tx.afterCommit(() => seen.push('published'));
      return 'done';
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual(['evicting']);
    release();
    await expect(running).resolves.toBe('done');
    expect(seen).toEqual(['evicting', 'evicted', 'published']);
  });
});
