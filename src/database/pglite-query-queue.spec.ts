import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import pg from 'pg';
import { ProtocolAwareQueryQueue, type QueueEngine } from './pglite-query-queue.js';

/** One protocol message: its type letter (the rest of the bytes do not matter to the queue). */
const msg = (type: string) => new Uint8Array([type.charCodeAt(0), 0, 0, 0, 4]);

/** A stand-in engine that records which connection's messages ran, in order. */
function fakeEngine() {
  const ran: string[] = [];
  let inTransaction = false;
  const engine = {
    ran,
    setInTransaction: (v: boolean) => (inTransaction = v),
    runExclusive: <T>(fn: () => Promise<T>) => fn(),
    isInTransaction: () => inTransaction,
    exec: async () => [],
    execProtocolRawStream: async (message: Uint8Array, options?: { onRawData?: (d: Uint8Array) => void }) => {
      if (message[0] === 'E'.charCodeAt(0) && message[1] === 9) throw new Error('engine failure');
      options?.onRawData?.(new Uint8Array([1]));
    },
  };
  return engine;
}

function run(sut: ProtocolAwareQueryQueue, engine: ReturnType<typeof fakeEngine>, handler: number, type: string) {
  return sut.enqueue(handler, msg(type), () => engine.ran.push(`${handler}${type}`));
}

const tick = () => new Promise((r) => setImmediate(r));

describe(ProtocolAwareQueryQueue.name, () => {
  it('should keep a connection’s exchange together until its Sync, even when its messages arrive late', async () => {
    const engine = fakeEngine();
    const sut = new ProtocolAwareQueryQueue(engine as unknown as QueueEngine);
    // Connection 1 sends Parse and Bind; its Execute and Sync arrive in a later read.
    const first = [run(sut, engine, 1, 'P'), run(sut, engine, 1, 'B')];
    const second = ['P', 'B', 'E', 'S'].map((t) => run(sut, engine, 2, t));
    await Promise.all(first);
    await tick();
    expect(engine.ran).toEqual(['1P', '1B']);
    await Promise.all([run(sut, engine, 1, 'E'), run(sut, engine, 1, 'S'), ...second]);
    expect(engine.ran).toEqual(['1P', '1B', '1E', '1S', '2P', '2B', '2E', '2S']);
  });

  it('should keep a connection pinned for the length of its transaction', async () => {
    const engine = fakeEngine();
    const sut = new ProtocolAwareQueryQueue(engine as unknown as QueueEngine);
    engine.setInTransaction(true);
    await run(sut, engine, 1, 'Q'); // BEGIN
    const other = run(sut, engine, 2, 'Q');
    await tick();
    expect(engine.ran).toEqual(['1Q']);
    engine.setInTransaction(false);
    await run(sut, engine, 1, 'Q'); // COMMIT
    await other;
    expect(engine.ran).toEqual(['1Q', '1Q', '2Q']);
  });

  it('should go on after a message fails, and release a connection that went away', async () => {
    const engine = fakeEngine();
    const sut = new ProtocolAwareQueryQueue(engine as unknown as QueueEngine);
    const failing = sut.enqueue(1, new Uint8Array([69, 9]), () => undefined);
    await expect(failing).rejects.toThrow('engine failure');
    // Connection 1 is pinned (its exchange is open) until it goes away.
    const other = run(sut, engine, 2, 'Q');
    await tick();
    expect(engine.ran).toEqual([]);
    sut.clearQueueForHandler(1);
    await sut.clearTransactionIfNeeded(1);
    await other;
    expect(engine.ran).toEqual(['2Q']);
  });

  it('should answer every caller its own rows under concurrent queries with large parameters', async () => {
    const db = await PGlite.create();
    const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 10 });
    (server as unknown as { queryQueue: unknown }).queryQueue = new ProtocolAwareQueryQueue(db);
    await server.start();
    const port = Number(server.getServerConn().split(':').pop());
    const pool = new pg.Pool({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres', max: 8 });
    const big = 'x'.repeat(200_000);
    try {
      const results = await Promise.allSettled(
        Array.from({ length: 300 }, async (_, i) => {
          const { rows } =
            i % 2 === 0
              ? await pool.query('SELECT $1::int AS n, length($2) AS len', [i, big])
              : await pool.query('SELECT $1::int AS n', [i]);
          return rows[0].n === i && (i % 2 === 1 || rows[0].len === big.length);
        }),
      );
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      expect(results.every((r) => r.status === 'fulfilled' && r.value)).toBe(true);
    } finally {
      await pool.end();
      await server.stop();
      await db.close();
    }
  }, 60_000);
});
