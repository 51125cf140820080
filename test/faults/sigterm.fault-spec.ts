// A deploy sends SIGTERM to one of two instances under traffic. Requests and acknowledgements in flight complete,
// its sockets are closed so their clients move to the other instance, the process exits within a bounded time, and
// nothing acknowledged is lost (what was in flight and never answered is retried with its clientId, stored once).
import { randomUUID } from 'node:crypto';
import type { Socket } from 'socket.io-client';
import { client } from '../helpers/http.js';
import { closeAllSockets, connect, emitAck, sleep } from '../helpers/sockets.js';
import {
  conversationOf,
  describeFaults,
  type FaultCluster,
  member,
  startFaultCluster,
  storedMessages,
} from './helpers/faults.js';
import type { AppProcess } from './helpers/processes.js';

const EXIT_LIMIT_MS = 15_000;

describeFaults('SIGTERM under traffic', () => {
  let cluster: FaultCluster;
  let a: AppProcess;
  let b: AppProcess;

  beforeAll(async () => {
    cluster = await startFaultCluster();
    [a, b] = cluster.instances;
  }, 120_000);

  afterAll(async () => {
    closeAllSockets();
    await cluster?.close();
  });

  it('should finish what is in flight, close its sockets, exit in time and lose nothing acknowledged', async () => {
    const alice = await member(b.url, 'alice');
    const bob = await member(b.url, 'bob');
    const conversationId = await conversationOf(b.url, alice, [bob]);
    const senders: Socket[] = [];
    for (let i = 0; i < 4; i += 1) senders.push(await connect(a.url, alice.token));
    const disconnectedAt: number[] = [];
    for (const socket of senders) socket.on('disconnect', () => disconnectedAt.push(Date.now()));

    const acked = new Map<string, number>();
    const unanswered: string[] = [];
    const failed: { clientId: string; code: string }[] = [];
    let restOk = 0;
    const restStatuses: number[] = [];
    let stop = false;
    const lane = async (socket: Socket) => {
      while (!stop && socket.connected) {
        const clientId = randomUUID();
        try {
          const ack = await emitAck(socket, 'message:send', { conversationId, body: clientId, clientId });
          if (ack.ok) acked.set(clientId, ack.data.seq);
          else failed.push({ clientId, code: ack.error.code });
        } catch {
          // The socket closed before the answer: the client does not know, so it retries elsewhere.
          unanswered.push(clientId);
        }
      }
    };
    const restLane = async () => {
      while (!stop) {
        try {
          const res = await client(a.url).post(`/api/v1/conversations/${conversationId}/messages`, {
            token: bob.token,
            body: { body: 'rest', clientId: randomUUID() },
          });
          restStatuses.push(res.status);
          if (res.status === 201) restOk += 1;
        } catch {
          restStatuses.push(0); // refused at the TCP level: the server no longer accepts connections
          await sleep(50);
        }
      }
    };
    const lanes = [...senders.map(lane), restLane()];
    await sleep(1500);
    const signalled = Date.now();
    a.kill('SIGTERM');
    const exit = await Promise.race([a.exited(), sleep(EXIT_LIMIT_MS).then(() => 'still running')]);
    const exitedInMs = Date.now() - signalled;
    stop = true;
    await Promise.all(lanes);

    // On failure, what the process logged says where it stuck.
    // Exits by itself (0), or by SIGTERM if a hook re-raised it; on failure the process's log says where it stuck.
    const clean = exit === 0 || exit === 'SIGTERM';
    expect(clean ? 'clean' : a.output().slice(-4000)).toBe('clean');
    expect(exitedInMs).toBeLessThan(EXIT_LIMIT_MS);
    // Every socket was closed by the server, promptly, so its client can move on.
    expect(disconnectedAt.length).toBe(senders.length);
    expect(Math.max(...disconnectedAt) - signalled).toBeLessThan(EXIT_LIMIT_MS);
    // Answers given were true: no INTERNAL, and REST never answered 5xx other than a clean 503.
    expect(failed.filter((f) => f.code !== 'SERVICE_UNAVAILABLE')).toEqual([]);
    expect(restStatuses.filter((status) => status >= 500 && status !== 503)).toEqual([]);

    // The clients move to B and retry what was never answered, with the same clientId.
    const moved = await connect(b.url, alice.token);
    for (const clientId of [...unanswered, ...failed.map((f) => f.clientId)]) {
      const ack = await emitAck(moved, 'message:send', { conversationId, body: clientId, clientId });
      expect(ack).toMatchObject({ ok: true });
      if (ack.ok) acked.set(clientId, ack.data.seq);
    }
    const items = await storedMessages(b.url, bob.token, conversationId);
    const byClientId = new Map(items.map((m) => [m.clientId, m.seq]));
    for (const [clientId, seq] of acked) expect(byClientId.get(clientId)).toBe(seq);
    expect(items.map((m) => m.seq)).toEqual(items.map((_, i) => i + 1));
    expect(items.length).toBe(acked.size + restOk);
    if (process.env.FAULTS_REPORT) {
      const report = {
        acked: acked.size,
        restCreated: restOk,
        unansweredThenRetried: unanswered.length,
        refusedThenRetried: failed.length,
        stored: items.length,
        lost: 0,
        exitedInMs,
      };
      process.stdout.write(`${JSON.stringify(report)}\n`);
    }
  }, 90_000);
});
