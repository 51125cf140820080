// Postgres stopped at once (as in a crash or a failover) under traffic and started again, under one app instance
// running as a real process. While it is down writes answer SERVICE_UNAVAILABLE (never INTERNAL, never a hang);
// nothing is half-written; service comes back by itself; a message retried with its clientId is stored once.
import { randomUUID } from 'node:crypto';
import type { Socket } from 'socket.io-client';
import { client } from '../helpers/http.js';
import { closeAllSockets, connect, emitAck, eventually, sleep } from '../helpers/sockets.js';
import { conversationOf, describeFaults, FAULT_ENV, member } from './helpers/faults.js';
import {
  type AppProcess,
  buildIfNeeded,
  type PostgresServer,
  type RedisServer,
  startAppProcess,
  startPostgres,
  startRedis,
} from './helpers/processes.js';

const OUTAGE_MS = 6000;
/** A write must be answered within this even while Postgres is down. */
const ANSWER_LIMIT_MS = 10_000;

describeFaults('Postgres restarted under traffic', () => {
  let postgres: PostgresServer;
  let redis: RedisServer;
  let app: AppProcess;

  beforeAll(async () => {
    buildIfNeeded();
    postgres = await startPostgres();
    redis = await startRedis();
    app = await startAppProcess({
      DATABASE_URL: postgres.url,
      REDIS_URL: redis.url,
      ...FAULT_ENV,
    });
  }, 120_000);

  afterAll(async () => {
    closeAllSockets();
    await app?.stop();
    await redis?.dispose();
    await postgres?.dispose();
  });

  it('should refuse writes cleanly while it is down, write nothing by halves, and recover by itself', async () => {
    const alice = await member(app.url, 'alice');
    const bob = await member(app.url, 'bob');
    const conversationId = await conversationOf(app.url, alice, [bob]);
    const socket: Socket = await connect(app.url, alice.token);
    const acked = new Map<string, number>();
    const refused: { clientId: string; code: string }[] = [];
    let slowest = 0;
    const send = async (clientId: string) => {
      const started = Date.now();
      const ack = await emitAck(socket, 'message:send', { conversationId, body: clientId, clientId });
      slowest = Math.max(slowest, Date.now() - started);
      if (ack.ok) acked.set(clientId, ack.data.seq);
      else refused.push({ clientId, code: ack.error.code });
    };
    for (let i = 0; i < 10; i += 1) await send(randomUUID());

    await postgres.stop();
    const down = Date.now();
    const restDuring: number[] = [];
    while (Date.now() - down < OUTAGE_MS) {
      await send(randomUUID());
      restDuring.push(
        (
          await client(app.url).post('/api/v1/suggestions', {
            token: bob.token,
            body: { title: 'During', description: 'x' },
          })
        ).status,
      );
      await sleep(100);
    }
    const health = await client(app.url).get('/api/v1/health');
    expect(health.status).toBe(503);
    await postgres.start();

    // Service comes back by itself.
    const back = Date.now();
    await eventually(async () => {
      const ack = await emitAck(socket, 'message:send', { conversationId, body: 'after', clientId: 'after' });
      expect(ack.ok).toBe(true);
      if (ack.ok) acked.set('after', ack.data.seq);
    }, 30_000);
    const recoveredInMs = Date.now() - back;
    expect((await client(app.url).get('/api/v1/health')).status).toBe(200);

    // Every refusal was the contract's code for an outage, and answered in bounded time; REST writes too.
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((r) => r.code === 'SERVICE_UNAVAILABLE')).toBe(true);
    expect(restDuring.every((status) => status === 503 || status === 201)).toBe(true);
    expect(slowest).toBeLessThan(ANSWER_LIMIT_MS);

    // A refused message may or may not have been written before the connection broke: retried with its clientId,
    // it is stored exactly once.
    for (const { clientId } of refused) {
      const ack = await emitAck(socket, 'message:send', { conversationId, body: clientId, clientId });
      expect(ack.ok).toBe(true);
      if (ack.ok) acked.set(clientId, ack.data.seq);
    }
    const stored = await client(app.url).get(`/api/v1/conversations/${conversationId}/messages?afterSeq=0&limit=100`, {
      token: alice.token,
    });
    const items: { seq: number; clientId: string }[] = stored.body.items;
    // Nothing half-written: seqs run without a gap, the conversation's last seq is the last message, each clientId once.
    expect(items.map((m) => m.seq)).toEqual(items.map((_, i) => i + 1));
    expect(new Set(items.map((m) => m.clientId)).size).toBe(items.length);
    for (const [clientId, seq] of acked) expect(items.find((m) => m.clientId === clientId)?.seq).toBe(seq);
    expect(items.length).toBe(acked.size);
    const conversation = await client(app.url).get(`/api/v1/conversations/${conversationId}`, { token: bob.token });
    expect(conversation.body.lastMessage.seq).toBe(items.length);
    expect(conversation.body.unreadCount).toBe(items.length);
    expect(app.child.exitCode).toBeNull();
    if (process.env.FAULTS_REPORT) {
      const report = {
        acked: acked.size,
        refusedThenRetried: refused.length,
        stored: items.length,
        lost: 0,
        slowest,
        recoveredInMs,
      };
      process.stdout.write(`${JSON.stringify(report)}\n`);
    }
  }, 90_000);
});
