// connections: idle authenticated sockets on one instance in the production shape (Postgres, the Redis adapter);
// memory per socket against the bare server with the same Redis adapter (the fair comparison) and without it.
import { registerUsers } from '../lib/api.mjs';
import { ClientPool, split } from '../lib/clients.mjs';
import { collectGarbage, inspectorArgs, redisAdapter, rssBytes, startApp, startBaseline } from '../lib/procs.mjs';
import { freshDatabase, redisUrl } from '../lib/services.mjs';

export const name = 'connections';

const settle = () => new Promise((r) => setTimeout(r, 2000));
const WARMUP = 1000;
/** Past Socket.IO's ping interval (25 s, the app's and the bare server's): every socket has answered a ping. */
const SETTLED_AFTER_MS = 30_000;

/**
 * Memory per socket: a first batch warms the server up (buffers, code paths, pools), then RSS is read before and
 * after `count` more sockets connect. The server then holds WARMUP + count sockets. The reading after is taken three
 * ways: 2 s after the connections (with whatever the burst of handshakes left behind), after a full garbage
 * collection in the server (what the sockets hold), and once settled: one heartbeat later, when every socket has
 * answered a ping (so `ws` no longer keeps the bytes of each socket's first frame, the handshake's CONNECT) and V8 has
 * had the time it takes to give back the heap the burst grew (the full GC of the reading before comes first, in
 * every server alike).
 */
async function measure(server, pool, count, connectArgs) {
  const read = async () => {
    await settle();
    const rss = rssBytes(server.pid);
    const memory = await collectGarbage(server.inspectPort);
    await settle();
    return { rss, rssAfterGc: rssBytes(server.pid), memoryAfterGc: memory };
  };
  await pool.all('connect', (i) => ({ ...connectArgs, count: split(WARMUP, pool.size, i), concurrency: 200 }));
  const before = await read();
  const results = await pool.all('connect', (i) => ({ ...connectArgs, count: split(count, pool.size, i), concurrency: 200 }));
  const connectedAt = Date.now();
  const after = await read();
  await new Promise((r) => setTimeout(r, Math.max(0, connectedAt + SETTLED_AFTER_MS - Date.now())));
  const settled = rssBytes(server.pid);
  await pool.all('close');
  const connected = results.reduce((s, r) => s + r.connected, 0) - WARMUP;
  const errors = results.reduce((s, r) => s + r.errors, 0);
  return {
    held: connected + WARMUP,
    errors,
    firstError: results.find((r) => r.firstError)?.firstError,
    rssBefore: before,
    rssAfter: after,
    bytesPerSocket: (after.rss - before.rss) / Math.max(1, connected),
    bytesPerSocketAfterGc: (after.rssAfterGc - before.rssAfterGc) / Math.max(1, connected),
    rssSettled: settled,
    bytesPerSocketSettled: (settled - before.rss) / Math.max(1, connected),
    heapBytesPerSocketAfterGc: (after.memoryAfterGc.heapUsed - before.memoryAfterGc.heapUsed) / Math.max(1, connected),
  };
}

export async function run({ full }) {
  // Full: 19,000 sockets held by one process, under this machine's 20,000 open files per process.
  const count = (full ? 19_000 : 10_000) - WARMUP;
  const pool = new ClientPool(4);
  const db = await freshDatabase();
  const env = { DATABASE_URL: db.url, REDIS_URL: redisUrl, REDIS_PREFIX: db.prefix };
  // Accounts are registered by one process and measured in a fresh one on the same data, so that what password
  // hashing allocated and frees later does not move the reading.
  const setup = await startApp(env, { name: 'setup' });
  const users = await registerUsers(setup.url, 50, 'idle').finally(() => setup.stop());
  const inspected = async (start) => {
    const { port, nodeArgs } = await inspectorArgs();
    return { ...(await start(nodeArgs)), inspectPort: port };
  };
  const app = await inspected((nodeArgs) => startApp(env, { nodeArgs }));
  const bareRedis = await inspected((nodeArgs) =>
    startBaseline({ redis: { url: redisUrl, key: `${db.prefix}-baseline` }, name: 'baseline with Redis', nodeArgs }),
  );
  const baseline = await inspected((nodeArgs) => startBaseline({ nodeArgs }));
  try {
    const tokens = users.map((u) => u.token);
    const appResult = await measure(app, pool, count, { url: app.url, tokens });
    // The same clients: each sends its token in the handshake, which the bare servers ignore (and keep, in
    // `socket.handshake.auth`, as an app built on bare Socket.IO does).
    const redisResult = await measure(bareRedis, pool, count, { url: bareRedis.url, tokens });
    const baseResult = await measure(baseline, pool, count, { url: baseline.url, tokens });
    const kib = (r) => r.bytesPerSocket / 1024;
    const kibAfterGc = (r) => r.bytesPerSocketAfterGc / 1024;
    const kibSettled = (r) => r.bytesPerSocketSettled / 1024;
    const heapKib = (r) => r.heapBytesPerSocketAfterGc / 1024;
    return {
      params: { socketsHeld: count + WARMUP, clientProcesses: pool.size, database: 'postgres', adapter: `redis (${redisAdapter})` },
      app: appResult,
      baseline: { withRedisAdapter: redisResult, withoutAdapter: baseResult },
      rows: [
        ['connections: sockets held, vs bare + Redis adapter', appResult.held, redisResult.held, `errors app ${appResult.errors}, bare ${redisResult.errors}`],
        ['connections: RSS per socket 2 s after the burst (KiB), vs bare + Redis adapter', kib(appResult), kib(redisResult)],
        ['connections: RSS per socket 2 s after the burst (KiB), vs bare without adapter', kib(appResult), kib(baseResult)],
        ['connections: RSS per socket once settled, a heartbeat later (KiB), vs bare + Redis adapter', kibSettled(appResult), kibSettled(redisResult), 'target ≤ 1.1×'],
        ['connections: RSS per socket once settled (KiB), vs bare without adapter', kibSettled(appResult), kibSettled(baseResult)],
        ['connections: RSS per socket after a full GC (KiB), vs bare + Redis adapter', kibAfterGc(appResult), kibAfterGc(redisResult)],
        ['connections: RSS per socket after a full GC (KiB), vs bare without adapter', kibAfterGc(appResult), kibAfterGc(baseResult)],
        ['connections: JS heap per socket after a full GC (KiB), vs bare + Redis adapter', heapKib(appResult), heapKib(redisResult)],
      ],
    };
  } finally {
    await pool.close();
    await app.stop();
    await bareRedis.stop();
    await baseline.stop();
    await db.drop();
  }
}
