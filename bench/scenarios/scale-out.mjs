// scale-out: the same 10,000 subscribers of `suggestions:votes` held by one instance, or split 5,000 + 5,000 over
// two instances on one Postgres and one Redis; a vote over REST on the first; latency from the request to each
// socket's receipt. Both shapes run the Redis adapter and use the same four client processes (2,500 sockets each),
// so what differs is only where the sockets live.
import { call, registerUsers } from '../lib/api.mjs';
import { ClientPool } from '../lib/clients.mjs';
import { redisAdapter, startApp } from '../lib/procs.mjs';
import { freshDatabase, redisUrl } from '../lib/services.mjs';
import { now, summarize } from '../lib/stats.mjs';

export const name = 'scale-out';

const SOCKETS = 10_000;
const WARMUP_ROUNDS = 3;

async function shape(instances, rounds) {
  const db = await freshDatabase();
  const env = { DATABASE_URL: db.url, REDIS_URL: redisUrl, REDIS_PREFIX: db.prefix };
  const apps = [];
  for (let i = 0; i < instances; i += 1) apps.push(await startApp(env, { name: `instance ${i + 1} of ${instances}` }));
  const pool = new ClientPool(4);
  try {
    const voters = await registerUsers(apps[0].url, 40, `scale${instances}`);
    const suggestion = await call(apps[0].url, 'POST', '/api/v1/suggestions', {
      token: voters[0].token,
      body: { title: 'Scale-out suggestion', description: 'x' },
    });
    const tokens = voters.map((v) => v.token);
    const perWorker = SOCKETS / pool.size;
    const connected = await pool.all('connect', (i) => ({
      url: apps[Math.floor((i * instances) / pool.size)].url,
      tokens,
      count: perWorker,
      concurrency: 200,
      join: { event: 'subscribe:suggestions', payload: {} },
      listen: ['suggestion:vote'],
    }));
    const errors = connected.reduce((s, c) => s + c.errors, 0);
    const samples = [];
    const lastSocket = [];
    for (let r = -WARMUP_ROUNDS; r < rounds; r += 1) {
      const i = r + WARMUP_ROUNDS;
      const voter = voters[1 + (i % (voters.length - 1))];
      const value = Math.floor(i / (voters.length - 1)) % 2 === 0 ? 1 : -1;
      const t0 = now();
      const { version } = await call(apps[0].url, 'PUT', `/api/v1/suggestions/${suggestion.id}/vote`, { token: voter.token, body: { value } });
      const key = String(version);
      const waits = await pool.all('await', () => ({ key, count: perWorker }));
      if (waits.some((w) => !w.complete)) throw new Error(`${instances} instance(s): not every socket received round ${key}`);
      const times = (await pool.all('collect')).flatMap((g) => g[key] ?? []).map((t) => t - t0);
      if (r < 0) continue;
      samples.push(...times);
      lastSocket.push(Math.max(...times));
    }
    return { instances, errors, latency: summarize(samples), timeToLastSocket: summarize(lastSocket) };
  } finally {
    await pool.close();
    for (const app of apps) await app.stop();
    await db.drop();
  }
}

export async function run({ full }) {
  const rounds = full ? 50 : 15;
  const one = await shape(1, rounds);
  const two = await shape(2, rounds);
  return {
    params: { sockets: SOCKETS, rounds, warmupRounds: WARMUP_ROUNDS, clientProcesses: 4, adapter: `redis (${redisAdapter})` },
    app: { twoInstances: two },
    baseline: { oneInstance: one },
    rows: [
      ['scale-out p50 (ms), 2 × 5,000 vs 1 × 10,000', two.latency.p50, one.latency.p50, `errors ${two.errors}, ${one.errors}`],
      ['scale-out p99 (ms), 2 × 5,000 vs 1 × 10,000', two.latency.p99, one.latency.p99, 'target ≤ 1.2×'],
      ['scale-out time to last socket, median (ms)', two.timeToLastSocket.p50, one.timeToLastSocket.p50],
    ],
  };
}
