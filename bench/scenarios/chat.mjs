// chat: 200 direct conversations (a ring of 200 users), 2 members each, messages sent over `message:send` with acks and persisted.
// Baselines in the same run: the same SQL (seq allocation, insert, sender's read mark, in one transaction) sent with
// `pg` at the same concurrency; a bare Socket.IO server with the same Redis adapter doing what the app does with a
// message once stored (`message:new` to the conversation's room, `inbox:update` to each member's room, the ack: the
// in-stack comparison); and its bare ack round trip alone (one packet per message: the floor). All alternate in rounds
// after a warm-up round each.
import pg from 'pg';
import { call, registerUsers } from '../lib/api.mjs';
import { ClientPool } from '../lib/clients.mjs';
import { cpuSeconds, startApp, startBaseline } from '../lib/procs.mjs';
import { freshDatabase, redisUrl } from '../lib/services.mjs';
import { now, summarize } from '../lib/stats.mjs';

export const name = 'chat';
const POOL_SIZE = 20;
const WARMUP_MESSAGES = 2000;

async function sqlBaseline(pool, conversations, total, inFlight) {
  let sent = 0;
  const latencies = [];
  const started = now();
  async function lane(laneIndex) {
    while (sent < total) {
      const i = sent;
      sent += 1;
      const { id, sender } = conversations[(laneIndex + i) % conversations.length];
      const t0 = now();
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const { rows } = await client.query(
          'UPDATE conversations SET last_seq = last_seq + 1, last_activity_at = clock_timestamp() WHERE id = $1 RETURNING last_seq',
          [id],
        );
        await client.query(
          'INSERT INTO messages (conversation_id, seq, sender_id, body, client_id) VALUES ($1, $2, $3, $4, $5) RETURNING *',
          [id, rows[0].last_seq, sender, `baseline ${i}`, null],
        );
        await client.query(
          'UPDATE conversation_members SET last_read_seq = $3 WHERE conversation_id = $1 AND user_id = $2',
          [id, sender, rows[0].last_seq],
        );
        await client.query('COMMIT');
        latencies.push(now() - t0);
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    }
  }
  await Promise.all(Array.from({ length: inFlight }, (_, i) => lane(i)));
  const seconds = (now() - started) / 1000;
  return { seconds, latencies };
}

export async function run({ full }) {
  const conversationCount = 200;
  const total = full ? 20_000 : 6_000;
  const rounds = full ? 5 : 3;
  const workers = 4;
  const db = await freshDatabase();
  // The production shape: the Redis adapter on, so each message is also published (the room's `message:new`, each
  // member's `inbox:update`); one instance, as a second would add its own reading of every publish to these two cores.
  const app = await startApp({
    DATABASE_URL: db.url,
    DATABASE_POOL_SIZE: String(POOL_SIZE),
    REDIS_URL: redisUrl,
    REDIS_PREFIX: db.prefix,
  });
  const baseline = await startBaseline({ redis: { url: redisUrl, key: `${db.prefix}-baseline` } });
  const pool = new ClientPool(workers);
  try {
    // A ring: user i talks with user i+1, so each user sits in two conversations with one socket, as a person would.
    const users = await registerUsers(app.url, conversationCount, 'chat');
    const conversations = [];
    for (let i = 0; i < conversationCount; i += 1) {
      const other = users[(i + 1) % users.length];
      const c = await call(app.url, 'POST', '/api/v1/conversations', {
        token: users[i].token,
        body: { memberIds: [other.id] },
      });
      conversations.push({ id: c.id, sender: users[i].id, token: users[i].token });
    }
    // Worker w holds the sockets of conversations w, w + workers, …: their indexes in the ring, and the conversations.
    const ring = (w) => conversations.map((_, k) => k).filter((k) => k % workers === w);
    const slice = (w) => ring(w).map((k) => conversations[k]);
    const inFlight = conversationCount / workers;

    // The app (each socket sends into its own conversation) and the same SQL via pg, alternating in rounds, so
    // that a slow spell of the machine falls on both.
    const appConnected = await pool.all('connect', (w) => ({ url: app.url, tokens: slice(w).map((c) => c.token), count: slice(w).length }));
    // The bare server's sockets, held beside the app's: its rounds alternate with theirs, so that a slow spell of the
    // machine falls on both ratios' sides. Each is in its user's room, as the app's are.
    const userRoom = (k) => `user:${k % conversationCount}`;
    const bareConnected = await pool.all('connect', (w) => ({
      url: baseline.url,
      count: slice(w).length,
      joins: ring(w).map((k) => ({ event: 'join', payload: userRoom(k) })),
      set: 'bare',
    }));
    const connectErrors = [...appConnected, ...bareConnected].reduce((sum, c) => sum + c.errors, 0);
    if (connectErrors > 0) throw new Error(`${connectErrors} sockets failed to connect or join`);
    const bare = (event, messages) =>
      pool.all('acks', (w) => ({
        event,
        makePayload: `(i, s) => ({ room: 'conversation:' + ${JSON.stringify(ring(w))}[s], members: ${JSON.stringify(
          ring(w).map((k) => [userRoom(k), userRoom(k + 1)]),
        )}[s], body: 'message ' + i })`,
        total: messages / workers,
        inFlight,
        set: 'bare',
      }));
    const perRound = total / rounds;
    const sqlPool = new pg.Pool({ connectionString: db.url, max: POOL_SIZE });
    const appRound = (messages) =>
      pool.all('acks', (w) => ({
        event: 'message:send',
        makePayload: `(i, s) => ({ conversationId: ${JSON.stringify(slice(w).map((c) => c.id))}[s], body: 'message ' + i })`,
        total: messages / workers,
        inFlight,
      }));
    // A warm-up round each, unrecorded: pools filled, code paths compiled, statements prepared.
    await appRound(WARMUP_MESSAGES);
    await sqlBaseline(sqlPool, conversations, WARMUP_MESSAGES, conversationCount);
    await bare('chat', WARMUP_MESSAGES);
    await bare('echo', WARMUP_MESSAGES);
    const appRounds = [];
    const sqlRounds = [];
    let appLatencies = [];
    let bareChatLatencies = [];
    let echoLatencies = [];
    let appFailures = 0;
    let appCpuSeconds = 0;
    for (let r = 0; r < rounds; r += 1) {
      const cpuBefore = cpuSeconds(app.pid);
      const runs = await appRound(perRound);
      appCpuSeconds += cpuSeconds(app.pid) - cpuBefore;
      const acked = runs.reduce((sum, run) => sum + run.latencies.length, 0);
      appRounds.push({ acked, seconds: Math.max(...runs.map((run) => run.elapsedMs)) / 1000 });
      appFailures += runs.reduce((sum, run) => sum + run.failures, 0);
      appLatencies = appLatencies.concat(runs.flatMap((run) => run.latencies));
      sqlRounds.push(await sqlBaseline(sqlPool, conversations, perRound, conversationCount));
      bareChatLatencies = bareChatLatencies.concat((await bare('chat', perRound)).flatMap((run) => run.latencies));
      echoLatencies = echoLatencies.concat((await bare('echo', perRound)).flatMap((run) => run.latencies));
    }
    await sqlPool.end();
    await pool.all('close');
    const appAcked = appRounds.reduce((sum, round) => sum + round.acked, 0);
    const appPerSecond = appAcked / appRounds.reduce((sum, round) => sum + round.seconds, 0);
    const sqlPerSecond = (perRound * rounds) / sqlRounds.reduce((sum, round) => sum + round.seconds, 0);
    const appLatency = summarize(appLatencies);
    const sqlLatency = summarize(sqlRounds.flatMap((round) => round.latencies));
    const bareChatLatency = summarize(bareChatLatencies);
    const echoLatency = summarize(echoLatencies);

    return {
      params: {
        conversations: conversationCount,
        messages: total,
        rounds,
        concurrency: conversationCount,
        clientProcesses: workers,
        dbPool: POOL_SIZE,
      },
      app: {
        perSecond: appPerSecond,
        perRound: appRounds.map((round) => round.acked / round.seconds),
        failures: appFailures,
        ackLatency: appLatency,
        cpuMsPerMessage: (appCpuSeconds * 1000) / appAcked,
      },
      baseline: {
        sql: {
          perSecond: sqlPerSecond,
          perRound: sqlRounds.map((round) => perRound / round.seconds),
          latency: sqlLatency,
        },
        bareChatAck: bareChatLatency,
        bareAck: echoLatency,
      },
      rows: [
        ['chat: persisted messages/s (vs same SQL via pg)', appPerSecond, sqlPerSecond, 'target ≥ 0.9×'],
        ['chat: ack p50 (ms), vs bare socket.io chat + Redis adapter', appLatency.p50, bareChatLatency.p50],
        ['chat: ack p99 (ms), vs bare socket.io chat + Redis adapter', appLatency.p99, bareChatLatency.p99, 'target ≤ 3×'],
        ['chat: ack p50 (ms), vs bare socket.io ack alone', appLatency.p50, echoLatency.p50],
        ['chat: ack p99 (ms), vs bare socket.io ack alone', appLatency.p99, echoLatency.p99],
      ],
    };
  } finally {
    await pool.close();
    await app.stop();
    await baseline.stop();
    await db.drop();
  }
}
