// `npm run soak -- --minutes N [--check]`: the built server on Postgres and Redis under a mixed load with reconnect
// churn for N minutes. At each sample (every minute, or every N·60/8 s for short runs) it forces a garbage
// collection in the server (through the inspector) and reads RSS, the heap, event-loop delay p99 and open handles
// (from /metrics), Postgres connections and Redis memory; then prints each one's slope per minute. `--check` exits 1
// when a slope says unbounded growth (limits below); CI runs a 1-minute check.
import { io } from 'socket.io-client';
import { Redis } from 'ioredis';
import pg from 'pg';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { adminToken, call, registerUsers } from './lib/api.mjs';
import { freePort, openInspector, ROOT, startApp } from './lib/procs.mjs';
import { freshDatabase, redisUrl } from './lib/services.mjs';

const args = process.argv.slice(2);
const minutes = Number(args.find((a) => a.startsWith('--minutes='))?.split('=')[1] ?? args[args.indexOf('--minutes') + 1] ?? 2);
const check = args.includes('--check');
const USERS = 40;
const CONVERSATIONS = 20;
/** Growth per minute above which --check fails (slopes over the samples after a warm-up). */
const LIMITS = { rssMiB: 8, heapMiB: 3, handles: 20, redisMiB: 1 };
/** The app's pool (bench/lib/procs.mjs): the server may never hold more Postgres connections than this. */
const POOL_SIZE = 20;
const WARMUP_MS = 10_000;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function metric(text, name) {
  const match = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text);
  return match ? Number(match[1]) : NaN;
}

function slope(points) {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p[0], 0) / n;
  const my = points.reduce((s, p) => s + p[1], 0) / n;
  const num = points.reduce((s, p) => s + (p[0] - mx) * (p[1] - my), 0);
  const den = points.reduce((s, p) => s + (p[0] - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

function connectClient(url, token) {
  const socket = io(url, { transports: ['websocket'], auth: { token }, reconnection: false, forceNew: true });
  return new Promise((resolve) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', () => resolve(socket));
  });
}

const build = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build-if-needed.mjs')], { stdio: 'inherit', cwd: ROOT });
if (build.status !== 0) process.exit(build.status ?? 1);

const db = await freshDatabase();
const inspectPort = await freePort();
const app = await startApp(
  { DATABASE_URL: db.url, REDIS_URL: redisUrl, REDIS_PREFIX: db.prefix, REGISTER_RATE_LIMIT: '100000' },
  { name: 'soaked app', nodeArgs: [`--inspect=127.0.0.1:${inspectPort}`] },
);
const devtools = await openInspector(inspectPort);
const redis = new Redis(redisUrl);
const pgClient = new pg.Client({ connectionString: db.url });
await pgClient.connect();
let stopped = false;
const samples = [];
try {
  const users = await registerUsers(app.url, USERS, 'soak');
  const admin = await adminToken(app.url);
  const conversations = [];
  for (let i = 0; i < CONVERSATIONS; i += 1) {
    const [a, b] = [users[(2 * i) % USERS], users[(2 * i + 1) % USERS]];
    const c = await call(app.url, 'POST', '/api/v1/conversations', { token: a.token, body: { memberIds: [b.id] } });
    conversations.push({ id: c.id, members: [a, b] });
  }
  const suggestion = await call(app.url, 'POST', '/api/v1/suggestions', {
    token: users[0].token,
    body: { title: 'Soak suggestion', description: 'x' },
  });

  // Every user keeps one socket, subscribed to its conversation; a tenth of them reconnect every few seconds.
  const sockets = new Map();
  const open = async (i) => {
    const user = users[i];
    const socket = await connectClient(app.url, user.token);
    const conversation = conversations[Math.floor(i / 2) % CONVERSATIONS];
    socket.emit('subscribe', { channel: `conversation:${conversation.id}` }, () => undefined);
    sockets.set(i, socket);
  };
  for (let i = 0; i < USERS; i += 1) await open(i);
  const load = (async () => {
    for (let tick = 0; !stopped; tick += 1) {
      const i = tick % USERS;
      const socket = sockets.get(i);
      const conversation = conversations[Math.floor(i / 2) % CONVERSATIONS];
      socket?.emit('message:send', { conversationId: conversation.id, body: `soak ${tick}` }, () => undefined);
      if (tick % 5 === 0) {
        const value = tick % 10 === 0 ? 1 : -1;
        call(app.url, 'PUT', `/api/v1/suggestions/${suggestion.id}/vote`, { token: users[i].token, body: { value } }).catch(() => undefined);
      }
      if (tick % 20 === 0) {
        call(app.url, 'POST', '/api/v1/notifications', {
          token: admin,
          body: { userIds: [users[i].id], type: 'soak', title: `tick ${tick}` },
        }).catch(() => undefined);
      }
      if (tick % 40 === 0) {
        // Churn: a few sockets leave and come back.
        for (let k = 0; k < USERS / 10; k += 1) {
          const j = (tick / 40 + k * 7) % USERS;
          sockets.get(j)?.close();
          await open(j);
        }
      }
      await sleep(10);
    }
  })();

  // The pools fill and the code warms up under load before the first sample.
  await sleep(WARMUP_MS);
  const samplesWanted = minutes >= 8 ? minutes : 8;
  const everyMs = (minutes * 60_000) / samplesWanted;
  const started = Date.now();
  for (let s = 0; s <= samplesWanted; s += 1) {
    if (s > 0) await sleep(Math.max(0, started + s * everyMs - Date.now()));
    await devtools.send('HeapProfiler.collectGarbage');
    const text = await (await fetch(`${app.url}/metrics`)).text();
    const { rows } = await pgClient.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database()');
    const memory = /used_memory:(\d+)/.exec(await redis.info('memory'));
    const sample = {
      minute: (Date.now() - started) / 60_000,
      rssMiB: metric(text, 'process_resident_memory_bytes') / 2 ** 20,
      heapMiB: metric(text, 'nodejs_heap_size_used_bytes') / 2 ** 20,
      loopDelayP99Ms: metric(text, 'nodejs_eventloop_lag_p99_seconds') * 1000,
      handles: metric(text, 'nodejs_active_handles_total'),
      pgConnections: rows[0].n - 1,
      redisMiB: Number(memory?.[1] ?? NaN) / 2 ** 20,
      sockets: metric(text, 'realtime_sockets_connected'),
    };
    samples.push(sample);
    process.stderr.write(`[soak] ${JSON.stringify(Object.fromEntries(Object.entries(sample).map(([k, v]) => [k, Math.round(v * 100) / 100])))}\n`);
  }
  stopped = true;
  await load;
  for (const socket of sockets.values()) socket.close();
} finally {
  stopped = true;
  devtools.close();
  redis.disconnect();
  await pgClient.end();
  await app.stop();
  await db.drop();
}

const slopes = Object.fromEntries(
  Object.keys(LIMITS).map((key) => [key, slope(samples.map((s) => [s.minute, s[key]]))]),
);
const failures = Object.entries(LIMITS)
  .filter(([key, limit]) => slopes[key] > limit)
  .map(([key, limit]) => `${key} ${slopes[key].toFixed(2)}/min > ${limit}`);
const maxConnections = Math.max(...samples.map((s) => s.pgConnections));
if (maxConnections > POOL_SIZE) failures.push(`Postgres connections ${maxConnections} > pool ${POOL_SIZE}`);
console.log(`soak: ${minutes} min, ${samples.length} samples`);
console.log('slope per minute:', JSON.stringify(Object.fromEntries(Object.entries(slopes).map(([k, v]) => [k, Math.round(v * 100) / 100]))));
console.log('last sample:', JSON.stringify(samples.at(-1)));
console.log(`Postgres connections at most ${maxConnections} (pool ${POOL_SIZE})`);
if (failures.length > 0) {
  console.log(`over the limits: ${failures.join(', ')}`);
  if (check) process.exit(1);
} else console.log('no unbounded growth');
