// fan-out, in the shape people deploy: two app instances on Postgres and the Redis adapter, 1,000 sockets on A
// subscribed to `suggestions:votes`, a vote over REST on A; latency from the request to each socket's receipt.
// Baselines in the same rounds: a bare Socket.IO server broadcasting a same-size payload on an HTTP request, with the
// same Redis adapter and a second idle instance (the fair in-stack comparison), and without any adapter (the floor).
// A third reference: the bare server with the adapter writing one row to the same Postgres (one durable commit)
// before it broadcasts, the least any server that stores a vote before announcing it pays. With BENCH_COMPARE_DIR,
// another build's two instances (on a database of their own) vote in the same rounds, taking turns with this one.
import { call, registerUsers } from '../lib/api.mjs';
import { ClientPool, split } from '../lib/clients.mjs';
import { redisAdapter, startApp, startBaseline } from '../lib/procs.mjs';
import { freshDatabase, redisUrl } from '../lib/services.mjs';
import { now, summarize } from '../lib/stats.mjs';

export const name = 'fan-out';

const WARMUP_ROUNDS = 5;

export async function run({ full }) {
  const sockets = full ? 1000 : 1000;
  const rounds = full ? 100 : 30;
  const pool = new ClientPool(4);
  // BENCH_COMPARE_DIR: another build (a checkout with its dist/ built), measured in the same rounds as this one, on
  // its own database and instances, so a change's before → after is not read across runs.
  const compareDir = process.env.BENCH_COMPARE_DIR;
  const dbs = [];
  const stops = [];
  async function appPair(name, appDir) {
    // Postgres, as in production: the embedded engine runs SQL on the app's own thread.
    const db = await freshDatabase();
    dbs.push(db);
    const env = { DATABASE_URL: db.url, REDIS_URL: redisUrl, REDIS_PREFIX: db.prefix };
    const a = await startApp(env, { name, appDir });
    stops.push(a);
    stops.push(await startApp(env, { name: `${name} (B)`, appDir }));
    const voters = await registerUsers(a.url, 40, 'fanout');
    const suggestion = await call(a.url, 'POST', '/api/v1/suggestions', {
      token: voters[0].token,
      body: { title: 'Benchmark suggestion', description: 'fan-out' },
    });
    const conn = await pool.all('connect', (i) => ({
      url: a.url,
      tokens: voters.map((v) => v.token),
      count: split(sockets, pool.size, i),
      join: { event: 'subscribe:suggestions', payload: {} },
      listen: ['suggestion:vote'],
    }));
    return { url: a.url, voters, suggestion, conn };
  }
  try {
    const app = await appPair('instance A');
    const compare = compareDir ? await appPair('compared build', compareDir) : undefined;
    const adapterKey = `${dbs[0].prefix}-baseline`;
    const bareRedis = await startBaseline({ redis: { url: redisUrl, key: adapterKey }, databaseUrl: dbs[0].url, name: 'baseline with Redis' });
    stops.push(bareRedis);
    stops.push(await startBaseline({ redis: { url: redisUrl, key: adapterKey }, name: 'baseline with Redis B' }));
    const baseline = await startBaseline();
    stops.push(baseline);
    const bareJoin = (url) =>
      pool.all('connect', (i) => ({
        url,
        count: split(sockets, pool.size, i),
        join: { event: 'join', payload: 'suggestions:votes' },
        listen: ['suggestion:vote'],
      }));
    const redisConn = await bareJoin(bareRedis.url);
    const baseConn = await bareJoin(baseline.url);
    const errors = [...app.conn, ...(compare?.conn ?? []), ...redisConn, ...baseConn].reduce((s, c) => s + c.errors, 0);
    const kinds = ['app', 'compare', 'bareRedis', 'bareRedisWrite', 'baseline'];
    const samples = Object.fromEntries(kinds.map((k) => [k, []]));
    const lastSocket = Object.fromEntries(kinds.map((k) => [k, []]));
    const firstSocket = Object.fromEntries(kinds.map((k) => [k, []]));
    const warmupLast = Object.fromEntries(kinds.map((k) => [k, []]));
    let baselineVersion = 1_000_000;

    async function measure(kind, send, record) {
      const t0 = now();
      const key = String(await send());
      const waits = await pool.all('await', (i) => ({ key, count: split(sockets, pool.size, i) }));
      if (waits.some((w) => !w.complete)) throw new Error(`${kind}: not every socket received round ${key}`);
      const got = await pool.all('collect');
      const times = got.flatMap((g) => g[key] ?? []).map((t) => t - t0);
      if (!record) {
        warmupLast[kind].push(Math.max(...times));
        return;
      }
      samples[kind].push(...times);
      lastSocket[kind].push(Math.max(...times));
      firstSocket[kind].push(Math.min(...times));
    }

    // Warm-up rounds, not recorded: the first rounds of either server run cold code paths (JIT, first query
    // plans, the client processes' own start), and with 30 rounds one cold round alone decides the p99.
    for (let r = -WARMUP_ROUNDS; r < rounds; r += 1) {
      const record = r >= 0;
      const i = r + WARMUP_ROUNDS;
      const vote = (kind, pair) =>
        measure(kind, async () => {
          const { voters } = pair;
          const voter = voters[1 + (i % (voters.length - 1))];
          const value = Math.floor(i / (voters.length - 1)) % 2 === 0 ? 1 : -1;
          const path = `/api/v1/suggestions/${pair.suggestion.id}/vote`;
          const answer = await call(pair.url, 'PUT', path, { token: voter.token, body: { value } });
          return answer.version;
        }, record);
      // The two builds take turns at going first.
      if (compare && i % 2 === 1) await vote('compare', compare);
      await vote('app', app);
      if (compare && i % 2 === 0) await vote('compare', compare);
      for (const [kind, server, persist] of [['bareRedis', bareRedis, false], ['bareRedisWrite', bareRedis, true], ['baseline', baseline, false]]) {
        await measure(kind, async () => {
          baselineVersion += 1;
          const payload = { suggestionId: app.suggestion.id, upvotes: 10 + r, downvotes: 3, score: 7 + r, version: baselineVersion };
          await call(server.url, 'POST', '/broadcast', { body: { room: 'suggestions:votes', event: 'suggestion:vote', payload, persist } });
          return baselineVersion;
        }, record);
      }
    }
    const measured = kinds.filter((k) => samples[k].length > 0);
    const stats = Object.fromEntries(measured.map((k) => [k, { latency: summarize(samples[k]), timeToLastSocket: summarize(lastSocket[k]), timeToFirstSocket: summarize(firstSocket[k]), perRoundLast: lastSocket[k], warmupRoundsLast: warmupLast[k] }]));
    const { app: a, bareRedis: r, bareRedisWrite: w, baseline: b } = stats;
    return {
      params: { sockets, rounds, warmupRounds: WARMUP_ROUNDS, clientProcesses: pool.size, connectErrors: errors, database: 'postgres', instances: 2, adapter: `redis (${redisAdapter})`, compareDir },
      app: stats.app,
      compared: stats.compare,
      baseline: { withRedisAdapter: stats.bareRedis, withRedisAdapterAndWrite: stats.bareRedisWrite, withoutAdapter: stats.baseline },
      rows: [
        ['fan-out p50 (ms), vs bare + Redis adapter', a.latency.p50, r.latency.p50, 'target ≤ 1.15×'],
        ['fan-out p99 (ms), vs bare + Redis adapter', a.latency.p99, r.latency.p99, 'target ≤ 1.15×'],
        ['fan-out time to last socket, median (ms), vs bare + Redis adapter', a.timeToLastSocket.p50, r.timeToLastSocket.p50],
        ['fan-out time to first socket, median (ms), vs bare + Redis adapter', a.timeToFirstSocket.p50, r.timeToFirstSocket.p50],
        ['fan-out p50 (ms), vs bare + Redis adapter + one durable write first', a.latency.p50, w.latency.p50],
        ['fan-out p99 (ms), vs bare + Redis adapter + one durable write first', a.latency.p99, w.latency.p99],
        ['fan-out p50 (ms), vs bare without adapter', a.latency.p50, b.latency.p50, 'target ≤ 1.3×'],
        ['fan-out p99 (ms), vs bare without adapter', a.latency.p99, b.latency.p99, 'target ≤ 1.3×'],
        ...(compare
          ? [
              ['fan-out p50 (ms), this build vs BENCH_COMPARE_DIR', a.latency.p50, stats.compare.latency.p50],
              ['fan-out p99 (ms), this build vs BENCH_COMPARE_DIR', a.latency.p99, stats.compare.latency.p99],
              ['fan-out p50 (ms), BENCH_COMPARE_DIR vs bare + Redis adapter', stats.compare.latency.p50, r.latency.p50],
            ]
          : []),
      ],
    };
  } finally {
    await pool.close();
    for (const server of stops) await server.stop();
    for (const db of dbs) await db.drop();
  }
}
