// ordered-stream: one conversation, two writers at 20 messages/s each (`message:send` with acks), a listener beside
// each writer. Run twice on Postgres + Redis: both writers and listeners on one instance (the baseline), then one
// writer and one listener on each of two instances. Latency after the ack = a listener's `message:new` − the
// sender's ack (0 when the event came first), and from the send. The goal is the same latency with two instances as
// with one, every message delivered, none out of order.
import { io } from 'socket.io-client';
import { call, registerUsers } from '../lib/api.mjs';
import { startApp } from '../lib/procs.mjs';
import { freshDatabase, redisUrl } from '../lib/services.mjs';
import { now, summarize } from '../lib/stats.mjs';

export const name = 'ordered-stream';
const RATE_PER_WRITER = 20;

function connect(url, token) {
  const socket = io(url, { transports: ['websocket'], auth: { token }, reconnection: false, forceNew: true });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

/** Two writers and two listeners on `[urlOfFirst, urlOfSecond]`; answers latencies and order counts. */
async function measure(urls, users, seconds) {
  const [alice, bob, carol] = users;
  const { id: conversationId } = await call(urls[0], 'POST', '/api/v1/conversations', {
    token: alice.token,
    body: { memberIds: [bob.id, carol.id], title: 'Ordered stream' },
  });
  const writers = [await connect(urls[0], alice.token), await connect(urls[1], bob.token)];
  const listeners = [await connect(urls[0], carol.token), await connect(urls[1], carol.token)];
  const arrivals = listeners.map(() => new Map());
  let outOfOrder = 0;
  for (const [i, socket] of listeners.entries()) {
    await socket.timeout(5000).emitWithAck('subscribe', { channel: `conversation:${conversationId}` });
    let last = 0;
    socket.on('message:new', (m) => {
      if (m.seq < last) outOfOrder += 1;
      last = Math.max(last, m.seq);
      arrivals[i].set(m.seq, now());
    });
  }
  const acked = new Map();
  const sentAt = new Map();
  const sends = [];
  const started = now();
  const ticks = RATE_PER_WRITER * seconds;
  for (let tick = 0; tick < ticks; tick += 1) {
    for (const writer of writers) {
      const t0 = now();
      sends.push(
        writer
          .timeout(10_000)
          .emitWithAck('message:send', { conversationId, body: `tick ${tick}` })
          .then((ack) => {
            if (!ack.ok) return;
            acked.set(ack.data.seq, now());
            sentAt.set(ack.data.seq, t0);
          }),
      );
    }
    const next = started + ((tick + 1) * 1000) / RATE_PER_WRITER;
    await new Promise((r) => setTimeout(r, Math.max(0, next - now())));
  }
  await Promise.all(sends);
  const lastSend = now();
  // Whatever has not arrived 3 s after the last send counts as not delivered in time.
  while (now() - lastSend < 3000 && arrivals.some((a) => a.size < acked.size)) await new Promise((r) => setTimeout(r, 20));
  const latencies = [];
  const fromSend = [];
  let delivered = 0;
  for (const arrived of arrivals) {
    for (const [seq, at] of arrived) {
      if (!acked.has(seq)) continue;
      delivered += 1;
      latencies.push(Math.max(0, at - acked.get(seq)));
      fromSend.push(at - sentAt.get(seq));
    }
  }
  for (const socket of [...writers, ...listeners]) socket.close();
  return {
    sent: acked.size * listeners.length,
    delivered,
    outOfOrder,
    latency: summarize(latencies),
    fromSend: summarize(fromSend),
  };
}

export async function run({ full }) {
  const seconds = full ? 15 : 5;
  const db = await freshDatabase();
  const env = { DATABASE_URL: db.url, REDIS_URL: redisUrl, REDIS_PREFIX: db.prefix };
  const a = await startApp(env, { name: 'instance A' });
  const b = await startApp(env, { name: 'instance B' });
  try {
    const users = await registerUsers(a.url, 3, 'ordered');
    // A short unrecorded run warms both instances up.
    await measure([a.url, b.url], users, 1);
    const one = await measure([a.url, a.url], users, seconds);
    const two = await measure([a.url, b.url], users, seconds);
    return {
      params: { writers: 2, ratePerWriter: RATE_PER_WRITER, seconds, listeners: 2 },
      app: { twoInstances: two },
      baseline: { oneInstance: one },
      rows: [
        ['ordered stream: delivered within 3 s, two instances vs one', two.delivered / two.sent, one.delivered / one.sent, 'goal 1 = 1'],
        ['ordered stream: p50 send → delivery, two instances vs one (ms)', two.fromSend.p50, one.fromSend.p50],
        ['ordered stream: p99 send → delivery, two instances vs one (ms)', two.fromSend.p99, one.fromSend.p99],
        ['ordered stream: p99 after ack, two instances vs one (ms)', two.latency.p99, one.latency.p99, 'goal: same as one instance'],
        ['ordered stream: out of order, two instances vs one', two.outOfOrder, one.outOfOrder, 'goal 0'],
      ],
    };
  } finally {
    await a.stop();
    await b.stop();
    await db.drop();
  }
}
