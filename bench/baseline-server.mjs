// The baseline: a bare Socket.IO server with the app's version and tuning, no auth, no database; with
// BENCH_BASELINE_REDIS_URL, the same `@socket.io/redis-adapter` on ioredis as the app (the fair in-stack comparison),
// classic or sharded (BENCH_BASELINE_REDIS_ADAPTER) as the app's.
// POST /broadcast {room, event, payload} emits to a room; clients join rooms with `join`; `echo` acks; `chat` does with a
// message what the app's `message:send` does after its transaction: `message:new` to the conversation's room and an
// `inbox:update` to each member's room, then the ack.
// With BENCH_BASELINE_DATABASE_URL, `persist: true` in that body first writes one row through `pg` (one statement in a
// transaction of its own: one round trip and one durable commit), then emits: the least a server that stores a vote
// before announcing it has to do.
import { AsyncLocalStorage } from 'node:async_hooks';
import { createServer } from 'node:http';
import { createAdapter, createShardedAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import pg from 'pg';
import { Server } from 'socket.io';

const port = Number(process.env.PORT ?? 3100);
// BENCH_BASELINE_ALS=1 runs each request in an AsyncLocalStorage context, as a request-scoped logger does: once a
// context has been entered, Node 20 calls a hook for every async resource the process creates (each socket write).
const als = process.env.BENCH_BASELINE_ALS ? new AsyncLocalStorage() : undefined;
const http = createServer((req, res) => (als ? als.run({ req }, () => serve(req, res)) : serve(req, res)));
function serve(req, res) {
  if (req.method === 'GET' && req.url === '/health') {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    return;
  }
  if (req.method === 'POST' && req.url === '/broadcast') {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const { room, event, payload, persist } = JSON.parse(body);
      const emit = () => {
        io.to(room).emit(event, payload);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      };
      if (!persist) emit();
      else if (!database) res.writeHead(400).end('no BENCH_BASELINE_DATABASE_URL');
      else database.query(INSERT, [room, payload.version]).then(emit, () => res.writeHead(500).end());
    });
    return;
  }
  res.writeHead(404).end();
}
// The app's tuning; BENCH_BASELINE_DEFLATE and BENCH_BASELINE_KEEP_REQUEST undo one piece each, to measure it.
const io = new Server(http, {
  transports: ['websocket', 'polling'],
  maxHttpBufferSize: 64 * 1024,
  perMessageDeflate: process.env.BENCH_BASELINE_DEFLATE ? { threshold: 0 } : false,
  httpCompression: false,
});
const database = process.env.BENCH_BASELINE_DATABASE_URL
  ? new pg.Pool({ connectionString: process.env.BENCH_BASELINE_DATABASE_URL, max: 4 })
  : undefined;
const INSERT = 'INSERT INTO bench_baseline_writes (room, version) VALUES ($1, $2)';
await database?.query('CREATE TABLE IF NOT EXISTS bench_baseline_writes (id bigserial PRIMARY KEY, room text, version bigint)');
const redisUrl = process.env.BENCH_BASELINE_REDIS_URL;
const redis = redisUrl ? [new Redis(redisUrl), new Redis(redisUrl)] : [];
const redisKey = process.env.BENCH_BASELINE_REDIS_KEY ?? 'bench-baseline';
if (redisUrl) {
  // BENCH_BASELINE_REDIS_ADAPTER=sharded: sharded Pub/Sub with a channel per room, as the app's REDIS_ADAPTER=sharded.
  io.adapter(
    process.env.BENCH_BASELINE_REDIS_ADAPTER === 'sharded'
      ? createShardedAdapter(redis[0], redis[1], { channelPrefix: redisKey, subscriptionMode: 'dynamic' })
      : createAdapter(redis[0], redis[1], { key: redisKey }),
  );
}
if (!process.env.BENCH_BASELINE_KEEP_REQUEST) {
  io.on('connection', (socket) => {
    socket.conn.request = undefined;
  });
}
let chatSeq = 0;
io.on('connection', (socket) => {
  socket.on('join', (room, ack) => {
    socket.join(room);
    ack?.({ ok: true, data: { channel: room } });
  });
  socket.on('echo', (payload, ack) => ack?.({ ok: true, data: payload }));
  socket.on('chat', ({ room, members, body }, ack) => {
    chatSeq += 1;
    const message = {
      id: `message-${chatSeq}`,
      conversationId: room,
      seq: chatSeq,
      senderId: members[0],
      body,
      clientId: null,
      createdAt: new Date().toISOString(),
    };
    io.to(room).emit('message:new', message);
    for (const member of members) {
      const lastReadSeq = member === members[0] ? chatSeq : chatSeq - 1;
      io.to(member).emit('inbox:update', {
        conversationId: room,
        lastMessage: message,
        unreadCount: chatSeq - lastReadSeq,
        lastMessageSeq: chatSeq,
        lastReadSeq,
      });
    }
    ack?.({ ok: true, data: message });
  });
});
http.listen(port, '127.0.0.1');
process.on('SIGTERM', () => {
  io.close();
  for (const connection of redis) connection.disconnect();
  void database?.end();
  http.close(() => process.exit(0));
});
