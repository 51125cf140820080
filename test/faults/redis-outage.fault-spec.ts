// Redis stopped for 10 s under traffic, then started again, with two app instances running as real processes.
// Counts: messages acknowledged, stored, delivered live or recovered over REST by a member on each instance; what
// needs Redis answers 503 (never 500, never a hang), /health says so, nothing crashes, and cross-instance delivery
// and presence come back by themselves.
import type { Socket } from 'socket.io-client';
import { client } from '../helpers/http.js';
import { closeAllSockets, connect, emitAck, eventually, sleep } from '../helpers/sockets.js';
import { conversationOf, describeFaults, type FaultCluster, member, startFaultCluster } from './helpers/faults.js';
import type { AppProcess, RedisServer } from './helpers/processes.js';

const OUTAGE_MS = 10_000;

/** How many times each seq arrived live on a socket (more than once would be a duplicate). */
function inbox(socket: Socket): Map<number, number> {
  const seen = new Map<number, number>();
  socket.on('message:new', (m: { seq: number }) => seen.set(m.seq, (seen.get(m.seq) ?? 0) + 1));
  return seen;
}

describeFaults('Redis outage under traffic, two instances', () => {
  let cluster: FaultCluster;
  let redis: RedisServer;
  let a: AppProcess;
  let b: AppProcess;

  beforeAll(async () => {
    cluster = await startFaultCluster({ PRESENCE_TTL_SECONDS: '6', PRESENCE_GRACE_MS: '300' });
    ({ redis } = cluster);
    [a, b] = cluster.instances;
  }, 120_000);

  afterAll(async () => {
    closeAllSockets();
    await cluster?.close();
  });

  it('should keep local delivery, answer 503 for what needs Redis, and recover cross-instance delivery and presence', async () => {
    const alice = await member(a.url, 'alice');
    const bob = await member(a.url, 'bob');
    const conversationId = await conversationOf(a.url, alice, [bob]);
    const channel = `conversation:${conversationId}`;
    const onA = await connect(a.url, alice.token);
    const onB = await connect(b.url, bob.token);
    for (const socket of [onA, onB]) expect((await emitAck(socket, 'subscribe', { channel })).ok).toBe(true);
    const seenOnA = inbox(onA);
    const seenOnB = inbox(onB);
    const acked = new Map<number, string>();
    const send = async (socket: Socket, body: string) => {
      const ack = await emitAck(socket, 'message:send', { conversationId, body });
      if (ack.ok) acked.set(ack.data.seq, ack.data.id);
      return ack;
    };
    expect((await send(onA, 'before')).ok).toBe(true);
    await eventually(() => expect(seenOnB.size).toBe(1));

    await redis.stop();
    const outageStarted = Date.now();
    // Writes go on; what needs Redis fails fast and cleanly; both processes stay up.
    const during: { ok: boolean; code?: string }[] = [];
    let sent = 0;
    while (Date.now() - outageStarted < OUTAGE_MS) {
      const ack = await send(sent % 2 ? onB : onA, `during ${sent}`);
      during.push(ack.ok ? { ok: true } : { ok: false, code: ack.error.code });
      sent += 1;
      await sleep(200);
    }
    const health = await client(a.url).get('/api/v1/health');
    expect(health.status).toBe(503);
    expect(health.body.error).toHaveProperty('redis');
    const started = Date.now();
    const presence = await client(a.url).get(`/api/v1/presence?userIds=${bob.id}`, { token: alice.token });
    expect([presence.status, presence.body.code]).toEqual([503, 'SERVICE_UNAVAILABLE']);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(during.every((answer) => answer.ok || answer.code === 'SERVICE_UNAVAILABLE')).toBe(true);
    expect(during.filter((answer) => answer.ok).length).toBeGreaterThan(0);
    // Local delivery did not stop: each sender's own instance delivered its messages to its own sockets.
    const ownOnA = [...acked.keys()].filter((seq) => seenOnA.has(seq)).length;
    expect(ownOnA).toBeGreaterThan(during.length / 2 - 2);
    expect(a.child.exitCode).toBeNull();
    expect(b.child.exitCode).toBeNull();

    await redis.start();
    const recovery = Date.now();
    await eventually(async () => {
      expect((await client(a.url).get('/api/v1/health')).status).toBe(200);
      expect((await client(b.url).get('/api/v1/health')).status).toBe(200);
    }, 20_000);
    // Cross-instance delivery is back by itself: a message sent on A reaches B live.
    await eventually(async () => {
      const ack = await send(onA, 'after');
      expect(ack.ok).toBe(true);
      const seq = ack.ok ? ack.data.seq : -1;
      await eventually(() => expect(seenOnB.has(seq)).toBe(true), 2000);
    }, 20_000);
    const recoveredInMs = Date.now() - recovery;
    // Presence is back: both members are online again, as each instance rebuilt its part.
    await eventually(async () => {
      const res = await client(b.url).get(`/api/v1/presence?userIds=${alice.id},${bob.id}`, { token: bob.token });
      expect(res.status).toBe(200);
      expect(res.body.items.map((p: { online: boolean }) => p.online)).toEqual([true, true]);
    }, 20_000);

    // Nothing acknowledged is lost: all stored once; live events were never duplicated nor unknown; what a member
    // missed live (published while Redis was down) is exactly what the REST resync from its last seq brings.
    const stored = await client(b.url).get(`/api/v1/conversations/${conversationId}/messages?afterSeq=0&limit=100`, {
      token: bob.token,
    });
    const storedIds = new Map<number, string>(stored.body.items.map((m: { seq: number; id: string }) => [m.seq, m.id]));
    for (const [seq, id] of acked) expect(storedIds.get(seq)).toBe(id);
    expect(storedIds.size).toBe(acked.size);
    for (const seen of [seenOnA, seenOnB]) {
      expect([...seen.values()].every((count) => count === 1)).toBe(true);
      expect([...seen.keys()].every((seq) => storedIds.has(seq))).toBe(true);
    }
    const missedOnB = [...storedIds.keys()].filter((seq) => !seenOnB.has(seq));
    const resync = await client(b.url).get(
      `/api/v1/conversations/${conversationId}/messages?afterSeq=${Math.min(...missedOnB, Number.MAX_SAFE_INTEGER) - 1}&limit=100`,
      { token: bob.token },
    );
    const recovered = new Set<number>(resync.body.items.map((m: { seq: number }) => m.seq));
    expect(missedOnB.every((seq) => recovered.has(seq))).toBe(true);
    const report = {
      acked: acked.size,
      stored: storedIds.size,
      refusedDuringOutage: during.filter((answer) => !answer.ok).length,
      liveOnB: seenOnB.size,
      recoveredOverRest: missedOnB.length,
      lost: [...acked.keys()].filter((seq) => !storedIds.has(seq)).length,
      duplicated: [...seenOnA.values(), ...seenOnB.values()].filter((count) => count > 1).length,
      recoveredInMs,
    };
    if (process.env.FAULTS_REPORT) process.stdout.write(`${JSON.stringify(report)}\n`);
  }, 90_000);
});
