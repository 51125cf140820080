// One vote at a time with one subscriber, two builds side by side (A_DIR and B_DIR: checkouts with dist/ built),
// alternating, each on a fresh database of the same Postgres and Redis; the bare Socket.IO server broadcasts in the
// same loop. Prints request → receipt and request → response per build. `N` votes each (default 800; the first
// 100 are not recorded). Used for the before → after figures in bench/README.md that the fan-out scenario's noise
// hides. Example: A_DIR=. B_DIR=../before N=1000 node bench/vote-ab.mjs
import { io } from 'socket.io-client';
import { call, registerUsers } from './lib/api.mjs';
import { startApp, startBaseline } from './lib/procs.mjs';
import { freshDatabase, redisUrl } from './lib/services.mjs';
import { now, summarize } from './lib/stats.mjs';
const N = Number(process.env.N ?? 800);
const dirs = { A: process.env.A_DIR, B: process.env.B_DIR };
if (!dirs.A || !dirs.B) throw new Error('Set A_DIR and B_DIR to two built checkouts');
const setups = {};
const dbs = [];
for (const [k, dir] of Object.entries(dirs)) {
  const db = await freshDatabase();
  dbs.push(db);
  const app = await startApp(
    { DATABASE_URL: db.url, REDIS_URL: redisUrl, REDIS_PREFIX: db.prefix },
    { name: k, appDir: dir },
  );
  const voters = await registerUsers(app.url, 20, 'ab' + k);
  const s = await call(app.url, 'POST', '/api/v1/suggestions', {
    token: voters[0].token,
    body: { title: 'Timeline', description: 'd' },
  });
  const sock = io(app.url, { auth: { token: voters[0].token }, transports: ['websocket'] });
  await new Promise((r) => sock.on('connect', r));
  await new Promise((r) => sock.emit('subscribe:suggestions', {}, r));
  setups[k] = { app, voters, s, sock, recv: [], resp: [] };
}
const bare = await startBaseline({ redis: { url: redisUrl, key: dbs[0].prefix + '-b' } });
const bs = io(bare.url, { transports: ['websocket'] });
await new Promise((r) => bs.on('connect', r));
await new Promise((r) => bs.emit('join', 'suggestions:votes', r));
const bareT = [];
try {
  for (let i = 0; i < N; i++) {
    for (const k of i % 2 ? ['A', 'B'] : ['B', 'A']) {
      const { app, voters, s, sock } = setups[k];
      const v = voters[1 + (i % 19)];
      const value = Math.floor(i / 19) % 2 ? -1 : 1;
      const t0 = now();
      const got = new Promise((r) => sock.once('suggestion:vote', () => r(now())));
      await call(app.url, 'PUT', `/api/v1/suggestions/${s.id}/vote`, { token: v.token, body: { value } });
      const tr = now();
      const t1 = await got;
      if (i >= 100) {
        setups[k].recv.push(t1 - t0);
        setups[k].resp.push(tr - t0);
      }
    }
    const t0 = now();
    const got2 = new Promise((r) => bs.once('suggestion:vote', () => r(now())));
    await call(bare.url, 'POST', '/broadcast', {
      body: {
        room: 'suggestions:votes',
        event: 'suggestion:vote',
        payload: { suggestionId: 'x', upvotes: i, downvotes: 1, score: 1, version: i },
      },
    });
    const t2 = await got2;
    if (i >= 100) bareT.push(t2 - t0);
  }
  const f = (v) => {
    const x = summarize(v);
    return `p50 ${x.p50.toFixed(2)} p90 ${x.p90?.toFixed?.(2)} p99 ${x.p99.toFixed(2)}`;
  };
  for (const k of ['A', 'B']) console.log(k, dirs[k], 'receipt', f(setups[k].recv), '| response', f(setups[k].resp));
  console.log('bare receipt', f(bareT));
} finally {
  for (const k of ['A', 'B']) {
    setups[k].sock.close();
    await setups[k].app.stop();
  }
  bs.close();
  await bare.stop();
  for (const db of dbs) await db.drop();
}
