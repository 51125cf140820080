// fan-out: 1,000 sockets subscribed to `suggestions:votes`; a vote over REST; latency from the request to each
// socket's receipt. Baseline: the bare Socket.IO server broadcasting a same-size payload on an HTTP request.
import { call, registerUsers } from '../lib/api.mjs';
import { ClientPool, split } from '../lib/clients.mjs';
import { startApp, startBaseline } from '../lib/procs.mjs';
import { freshDatabase } from '../lib/services.mjs';
import { now, summarize } from '../lib/stats.mjs';

export const name = 'fan-out';

const WARMUP_ROUNDS = 5;

export async function run({ full }) {
  const sockets = full ? 1000 : 1000;
  const rounds = full ? 100 : 30;
  const pool = new ClientPool(4);
  // Postgres, as in production: the embedded engine runs SQL on the app's own thread.
  const db = await freshDatabase();
  const app = await startApp({ DATABASE_URL: db.url });
  const baseline = await startBaseline();
  try {
    const voters = await registerUsers(app.url, 40, 'fanout');
    const author = voters[0];
    const suggestion = await call(app.url, 'POST', '/api/v1/suggestions', {
      token: author.token,
      body: { title: 'Benchmark suggestion', description: 'fan-out' },
    });
    const tokens = voters.map((v) => v.token);
    const appConn = await pool.all('connect', (i) => ({
      url: app.url,
      tokens,
      count: split(sockets, pool.size, i),
      join: { event: 'subscribe:suggestions', payload: {} },
      listen: ['suggestion:vote'],
    }));
    const baseConn = await pool.all('connect', (i) => ({
      url: baseline.url,
      count: split(sockets, pool.size, i),
      join: { event: 'join', payload: 'suggestions:votes' },
      listen: ['suggestion:vote'],
    }));
    const errors = [...appConn, ...baseConn].reduce((s, c) => s + c.errors, 0);
    const samples = { app: [], baseline: [] };
    const lastSocket = { app: [], baseline: [] };
    const warmupLast = { app: [], baseline: [] };
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
    }

    // Warm-up rounds, not recorded: the first rounds of either server run cold code paths (JIT, first query
    // plans, the client processes' own start), and with 30 rounds one cold round alone decides the p99.
    for (let r = -WARMUP_ROUNDS; r < rounds; r += 1) {
      const record = r >= 0;
      const i = r + WARMUP_ROUNDS;
      const voter = voters[1 + (i % (voters.length - 1))];
      const value = Math.floor(i / (voters.length - 1)) % 2 === 0 ? 1 : -1;
      await measure('app', async () => {
        const answer = await call(app.url, 'PUT', `/api/v1/suggestions/${suggestion.id}/vote`, { token: voter.token, body: { value } });
        return answer.version;
      }, record);
      await measure('baseline', async () => {
        baselineVersion += 1;
        const payload = { suggestionId: suggestion.id, upvotes: 10 + r, downvotes: 3, score: 7 + r, version: baselineVersion };
        await call(baseline.url, 'POST', '/broadcast', { body: { room: 'suggestions:votes', event: 'suggestion:vote', payload } });
        return baselineVersion;
      }, record);
    }
    const appStats = summarize(samples.app);
    const baseStats = summarize(samples.baseline);
    const appLast = summarize(lastSocket.app);
    const baseLast = summarize(lastSocket.baseline);
    return {
      params: { sockets, rounds, warmupRounds: WARMUP_ROUNDS, clientProcesses: pool.size, connectErrors: errors, database: 'postgres' },
      app: { latency: appStats, timeToLastSocket: appLast, perRoundLast: lastSocket.app, warmupRoundsLast: warmupLast.app },
      baseline: { latency: baseStats, timeToLastSocket: baseLast, perRoundLast: lastSocket.baseline, warmupRoundsLast: warmupLast.baseline },
      rows: [
        ['fan-out p50 (ms)', appStats.p50, baseStats.p50],
        ['fan-out p99 (ms)', appStats.p99, baseStats.p99, 'target ≤ 1.3×'],
        ['fan-out time to last socket, median (ms)', appLast.p50, baseLast.p50],
      ],
    };
  } finally {
    await pool.close();
    await app.stop();
    await baseline.stop();
    await db.drop();
  }
}
