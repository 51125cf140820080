// Ordered streams whose writers sit on both instances: a conversation, a user's notifications, a job's events.
// Each writer sends 20 events a second through its own instance; listeners on both instances must get every event,
// in seq order as received, promptly after the writer's acknowledgement (no event waits for a predecessor that
// passed through the other instance).
import type { Socket } from 'socket.io-client';
import { type TestApp } from '../helpers/app.js';
import { useTwoInstances } from '../helpers/cluster.js';
import { createUsers, loginAdmin, type TestUser } from '../helpers/factories.js';
import { client, metricValue } from '../helpers/http.js';
import { describeMultiInstance } from '../helpers/mode.js';
import { connect, emitAck, eventually, sleep } from '../helpers/sockets.js';

const RATE_PER_WRITER = 20;
const SECONDS = 4;
/**
 * Well under the reorder wait (250 ms), which an event held for a predecessor that passed through the other instance
 * used to add to nearly every event. On a quiet machine p99 is 5–12 ms (README). A busy CI machine stretches the
 * tail (p99 up to 210 ms seen with two suites running beside these), not the median, so the median carries the
 * check for the whole stream; a single event (the late joiner's) is checked by the server's own hold histogram
 * instead, and the gap counter below is the exact check. Speed itself is the benchmark's (ordered-stream scenario), not a test's.
 */
const LIMIT_MS = 150;

/** An instance's reorder holds so far (its histogram): how many events it held back, and for how long in all. */
async function reorderHolds(app: TestApp): Promise<{ count: number; seconds: number }> {
  const metrics: string = (await client(app.url).get('/metrics')).body;
  const read = (name: string) => Number(metricValue(metrics, `realtime_reorder_hold_seconds_${name}`));
  return { count: read('count'), seconds: read('sum') };
}

interface Listener {
  name: string;
  /** seq → when it arrived. */
  arrivals: Map<number, number>;
  order: number[];
}

/** Starts listening to `event` on `socket`, keyed by the payload's seq. */
function listen(name: string, socket: Socket, event: string, seqOf: (payload: any) => number): Listener {
  const listener: Listener = { name, arrivals: new Map(), order: [] };
  socket.on(event, (payload: unknown) => {
    const seq = seqOf(payload);
    listener.order.push(seq);
    if (!listener.arrivals.has(seq)) listener.arrivals.set(seq, performance.now());
  });
  return listener;
}

/**
 * Runs `writers` side by side, each calling its `write` RATE_PER_WRITER times a second for SECONDS, without waiting
 * for one write to finish before the next. Resolves with seq → when its write was acknowledged.
 */
async function drive(writers: Array<() => Promise<number>>): Promise<Map<number, number>> {
  const acked = new Map<number, number>();
  const interval = 1000 / RATE_PER_WRITER;
  const writes: Promise<void>[] = [];
  const started = performance.now();
  for (let tick = 0; tick < RATE_PER_WRITER * SECONDS; tick += 1) {
    for (const write of writers) writes.push(write().then((seq) => void acked.set(seq, performance.now())));
    const next = started + (tick + 1) * interval;
    await sleep(Math.max(0, next - performance.now()));
  }
  await Promise.all(writes);
  return acked;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Every listener got every acknowledged seq once, in ascending order; the latency after the ack is small. */
async function expectOrderedAndPrompt(acked: Map<number, number>, listeners: Listener[]): Promise<void> {
  const seqs = [...acked.keys()].sort((x, y) => x - y);
  expect(seqs.length).toBe(RATE_PER_WRITER * SECONDS * 2);
  await eventually(() => {
    for (const listener of listeners) expect(listener.arrivals.size).toBe(seqs.length);
  });
  const latencies: number[] = [];
  for (const listener of listeners) {
    expect({ listener: listener.name, order: listener.order }).toEqual({ listener: listener.name, order: seqs });
    for (const seq of seqs) latencies.push(Math.max(0, listener.arrivals.get(seq)! - acked.get(seq)!));
  }
  latencies.sort((x, y) => x - y);
  const figures = { n: latencies.length, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
  if (process.env.ORDERED_STREAMS_REPORT) process.stdout.write(`${JSON.stringify(figures)}\n`);
  expect(figures.p50).toBeLessThan(LIMIT_MS);
}

describeMultiInstance('Ordered streams written through both instances', () => {
  let a: TestApp;
  let b: TestApp;

  useTwoInstances((x, y) => {
    [a, b] = [x, y];
  });

  it('should deliver a conversation written from both instances to listeners on both, in seq order, promptly', async () => {
    const [alice, bob, carol] = await createUsers(a, 3, 'Ordered');
    const created = await client(a.url).post('/api/v1/conversations', {
      token: alice.token,
      body: { memberIds: [bob.id, carol.id], title: 'Ordered' },
    });
    expect(created.status).toBe(201);
    const conversationId: string = created.body.id;
    const channel = `conversation:${conversationId}`;
    const listeners: Listener[] = [];
    for (const [name, app] of [
      ['A', a],
      ['B', b],
    ] as const) {
      const socket = await connect(app.url, carol.token);
      expect((await emitAck(socket, 'subscribe', { channel })).ok).toBe(true);
      listeners.push(listen(name, socket, 'message:new', (m: { seq: number }) => m.seq));
    }
    const writerOf = async (app: TestApp, user: TestUser) => {
      const socket = await connect(app.url, user.token);
      return async () => {
        const ack = await emitAck<{ seq: number }>(socket, 'message:send', { conversationId, body: 'hello' });
        if (!ack.ok) throw new Error(`send: ${JSON.stringify(ack)}`);
        return ack.data.seq;
      };
    };

    const acked = await drive([await writerOf(a, alice), await writerOf(b, bob)]);

    await expectOrderedAndPrompt(acked, listeners);
    // Each instance measured its deliveries, and none had to skip a gap.
    for (const app of [a, b]) {
      const metrics: string = (await client(app.url).get('/metrics')).body;
      const delivered = metricValue(metrics, 'realtime_delivery_lag_seconds_count{kind="conversation"}');
      expect(delivered).toBeGreaterThanOrEqual(acked.size);
      expect(metrics).toMatch(/^realtime_order_gaps_skipped_total 0$/m);
    }
  });

  it('should not delay a stream for a listener that joins after its instance published with nobody listening', async () => {
    const [alice, bob, carol] = await createUsers(a, 3, 'Late');
    const created = await client(a.url).post('/api/v1/conversations', {
      token: alice.token,
      body: { memberIds: [bob.id, carol.id], title: 'Late listener' },
    });
    const conversationId: string = created.body.id;
    const send = (app: TestApp, user: TestUser, body: string) =>
      client(app.url).post(`/api/v1/conversations/${conversationId}/messages`, { token: user.token, body: { body } });
    // A publishes with no listener of its own; then B moves the stream on, which A does not see.
    expect((await send(a, alice, 'from A')).status).toBe(201);
    for (let i = 0; i < 3; i += 1) expect((await send(b, bob, `from B ${i}`)).status).toBe(201);
    const late = await connect(a.url, carol.token);
    expect((await emitAck(late, 'subscribe', { channel: `conversation:${conversationId}` })).ok).toBe(true);
    const heard = listen('A', late, 'message:new', (m: { seq: number }) => m.seq);
    // A stream first seen above seq 1 waits FIRST_WAIT_MS for predecessors that may still be on their way, then starts
    // from what it holds; a stale position from A's own publish (seq 1, nobody listening) would make seq 5 wait
    // REORDER_WAIT_MS for seqs 2–4, which went only to B, and then skip them as a gap. A's gap counter tells the two
    // apart exactly; the hold's duration does not on a loaded machine (one hold of 353 ms was seen in a CI run).
    const before = await reorderHolds(a);
    expect((await send(b, bob, 'after the join')).body.seq).toBe(5);
    await eventually(() => expect(heard.arrivals.has(5)).toBe(true));
    const after = await reorderHolds(a);
    expect(after.count - before.count).toBeLessThanOrEqual(1);
    const metrics: string = (await client(a.url).get('/metrics')).body;
    expect(metrics).toMatch(/^realtime_order_gaps_skipped_total 0$/m);
  });

  it("should deliver a user's notifications created through both instances to devices on both, in seq order", async () => {
    const admin = await loginAdmin(a);
    const [user] = await createUsers(a, 1, 'Notified');
    const listeners: Listener[] = [];
    for (const [name, app] of [
      ['A', a],
      ['B', b],
    ] as const) {
      const socket = await connect(app.url, user.token);
      listeners.push(listen(name, socket, 'notification', (n: { seq: number }) => n.seq));
    }
    const writerOf = (app: TestApp) => async () => {
      const res = await client(app.url).post('/api/v1/notifications', {
        token: admin.token,
        body: { userIds: [user.id], type: 'test', title: 'Ordered' },
      });
      if (res.status !== 201) throw new Error(`notify: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.items[0].seq as number;
    };

    const acked = await drive([writerOf(a), writerOf(b)]);

    await expectOrderedAndPrompt(acked, listeners);
  });

  it("should deliver a job's events posted through both instances to subscribers on both, in seq order", async () => {
    const [owner] = await createUsers(a, 1, 'Owner');
    const api = client(a.url);
    const job = (await api.post('/api/v1/jobs', { token: owner.token, body: { name: 'Ordered' } })).body;
    const { token } = (await api.post(`/api/v1/jobs/${job.id}/token`, { token: owner.token })).body;
    const started = await api.post(`/api/v1/jobs/${job.id}/events`, { token, body: { type: 'job_started' } });
    expect(started.body.seq).toBe(1);
    const listeners: Listener[] = [];
    for (const [name, app] of [
      ['A', a],
      ['B', b],
    ] as const) {
      const socket = await connect(app.url, owner.token);
      expect((await emitAck(socket, 'subscribe:job', { jobId: job.id })).ok).toBe(true);
      listeners.push(listen(name, socket, 'event', (e: { seq: number }) => e.seq));
    }
    const writerOf = (app: TestApp) => async () => {
      const res = await client(app.url).post(`/api/v1/jobs/${job.id}/events`, {
        token,
        body: { type: 'item_scraped', data: { item: { at: Date.now() } } },
      });
      if (res.status !== 201) throw new Error(`event: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.seq as number;
    };

    const acked = await drive([writerOf(a), writerOf(b)]);

    await expectOrderedAndPrompt(acked, listeners);
  });
});
