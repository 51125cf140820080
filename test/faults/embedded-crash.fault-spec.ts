// The embedded mode's promise: the process killed with SIGKILL under writes, started again on the same DATA_DIR,
// still has every write it acknowledged (and nothing by halves).
import { mkdtemp, rm } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket } from 'socket.io-client';
import { client } from '../helpers/http.js';
import { closeAllSockets, connect, emitAck, sleep } from '../helpers/sockets.js';
import { conversationOf, FAULT_ENV, member, storedMessages } from './helpers/faults.js';
import { type AppProcess, buildIfNeeded, startAppProcess } from './helpers/processes.js';

describe('Embedded mode killed under writes', () => {
  let dataDir: string;
  let app: AppProcess | undefined;

  beforeAll(async () => {
    buildIfNeeded();
    dataDir = await mkdtemp(join(tmpdir(), 'rthub-faults-embedded-'));
  }, 120_000);

  afterAll(async () => {
    closeAllSockets();
    await app?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('should keep every acknowledged write after a SIGKILL and a restart on the same data directory', async () => {
    const env = { ...FAULT_ENV, DATA_DIR: dataDir };
    app = await startAppProcess(env);
    const alice = await member(app.url, 'alice');
    const bob = await member(app.url, 'bob');
    const conversationId = await conversationOf(app.url, alice, [bob]);
    const socket: Socket = await connect(app.url, alice.token);
    const acked = new Map<string, number>();
    let stop = false;
    const lanes = Array.from({ length: 4 }, async () => {
      while (!stop && socket.connected) {
        const clientId = randomUUID();
        try {
          const ack = await emitAck(socket, 'message:send', { conversationId, body: clientId, clientId });
          if (ack.ok) acked.set(clientId, ack.data.seq);
        } catch {
          // killed before answering: not acknowledged, so not promised
        }
      }
    });
    await sleep(1500);
    app.kill('SIGKILL');
    await app.exited();
    stop = true;
    await Promise.all(lanes);
    expect(acked.size).toBeGreaterThan(10);

    app = await startAppProcess(env);
    const items = await storedMessages(app.url, bob.token, conversationId);
    const stored = new Map(items.map((m) => [m.clientId, m.seq]));
    const lost = [...acked].filter(([clientId, seq]) => stored.get(clientId) !== seq);
    expect(lost).toEqual([]);
    // Nothing by halves: seqs without a gap, and the conversation's last seq is the last stored message.
    expect(items.map((m) => m.seq)).toEqual(items.map((_, i) => i + 1));
    const conversation = await client(app.url).get(`/api/v1/conversations/${conversationId}`, { token: bob.token });
    expect(conversation.body.lastMessage?.seq ?? 0).toBe(items.length);
    if (process.env.FAULTS_REPORT) {
      process.stdout.write(`${JSON.stringify({ acked: acked.size, stored: items.length, lost: lost.length })}\n`);
    }
  }, 120_000);
});
