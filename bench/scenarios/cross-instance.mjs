// cross-instance: two instances on one Postgres and one Redis; a vote on A; 500 subscribers on B and, in the
// same rounds, 500 on A. What the hop adds = p99(B) − p99(A); baseline: a Redis PUBLISH → SUBSCRIBE round trip.
import { Redis } from 'ioredis';
import { call, registerUsers } from '../lib/api.mjs';
import { ClientPool, split } from '../lib/clients.mjs';
import { startApp } from '../lib/procs.mjs';
import { freshDatabase, redisUrl } from '../lib/services.mjs';
import { now, summarize } from '../lib/stats.mjs';

export const name = 'cross-instance';

async function redisRoundTrips(count) {
  const pub = new Redis(redisUrl);
  const sub = new Redis(redisUrl);
  const channel = `rthub-bench-rtt-${process.pid}`;
  await sub.subscribe(channel);
  const samples = [];
  for (let i = 0; i < count; i += 1) {
    const t0 = now();
    await new Promise((resolve) => {
      sub.once('message', () => resolve());
      pub.publish(channel, JSON.stringify({ i, pad: 'x'.repeat(120) }));
    });
    samples.push(now() - t0);
  }
  pub.disconnect();
  sub.disconnect();
  return samples;
}

export async function run({ full }) {
  const perInstance = 500;
  const rounds = full ? 100 : 30;
  const db = await freshDatabase();
  const env = { DATABASE_URL: db.url, REDIS_URL: redisUrl, REDIS_PREFIX: db.prefix };
  const a = await startApp(env, { name: 'instance A' });
  const b = await startApp(env, { name: 'instance B' });
  const poolA = new ClientPool(2);
  const poolB = new ClientPool(2);
  try {
    const voters = await registerUsers(a.url, 31, 'hop');
    const suggestion = await call(a.url, 'POST', '/api/v1/suggestions', { token: voters[0].token, body: { title: 'Hop suggestion', description: 'x' } });
    const tokens = voters.map((v) => v.token);
    const join = { event: 'subscribe:suggestions', payload: {} };
    await poolA.all('connect', (i) => ({ url: a.url, tokens, count: split(perInstance, poolA.size, i), join, listen: ['suggestion:vote'] }));
    await poolB.all('connect', (i) => ({ url: b.url, tokens, count: split(perInstance, poolB.size, i), join, listen: ['suggestion:vote'] }));
    const samples = { a: [], b: [] };
    const perRoundHop = [];
    for (let r = 0; r < rounds; r += 1) {
      const voter = voters[1 + (r % 30)];
      const value = Math.floor(r / 30) % 2 === 0 ? 1 : -1;
      const t0 = now();
      const { version } = await call(a.url, 'PUT', `/api/v1/suggestions/${suggestion.id}/vote`, { token: voter.token, body: { value } });
      const key = String(version);
      await Promise.all([
        poolA.all('await', (i) => ({ key, count: split(perInstance, poolA.size, i) })),
        poolB.all('await', (i) => ({ key, count: split(perInstance, poolB.size, i) })),
      ]);
      const round = {};
      for (const [name, pool, list] of [['a', poolA, samples.a], ['b', poolB, samples.b]]) {
        const got = await pool.all('collect');
        round[name] = got.flatMap((g) => g[key] ?? []).map((t) => t - t0);
        list.push(...round[name]);
      }
      perRoundHop.push(summarize(round.b).p99 - summarize(round.a).p99);
    }
    const local = summarize(samples.a);
    const remote = summarize(samples.b);
    const redis = summarize(await redisRoundTrips(full ? 2000 : 500));
    // The hop's cost per round (p99 on B − p99 on A in the same round), then the median over rounds: one round
    // slowed by the machine moves the pooled p99s a lot and this figure little.
    const added = summarize(perRoundHop).p50;
    return {
      params: { subscribersPerInstance: perInstance, rounds },
      app: { local, remote, addedP99: added, pooledDifference: remote.p99 - local.p99 },
      baseline: { redisRoundTrip: redis },
      rows: [
        ['cross-instance p99 on A / on B (ms)', local.p99, remote.p99],
        ['cross-instance p99 added by the hop (median of rounds) vs Redis RTT p99 (ms)', added, redis.p99, 'target: added ≤ Redis p99 + 2 ms'],
      ],
    };
  } finally {
    await poolA.close();
    await poolB.close();
    await a.stop();
    await b.stop();
    await db.drop();
  }
}
