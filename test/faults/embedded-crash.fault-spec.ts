// The embedded mode's promise: the process killed with SIGKILL under writes, started again on the same DATA_DIR,
// still has every write it acknowledged (and nothing by halves).
import { mkdtemp, rm } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket } from 'socket.io-client';
import { client, http } from '../helpers/http.js';
import { closeAllSockets, connect, emitAck, sleep } from '../helpers/sockets.js';
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
    const env = { DATA_DIR: dataDir, JWT_SECRET: 'faults-secret-0123456789-abcdefghij', WS_RATE_LIMIT: '100000' };
    app = await startAppProcess(env);
    const register = async (name: string) => {
      const res = await http(app!.url, 'POST', '/api/v1/auth/register', {
        body: { email: `${name}-${randomUUID()}@faults.local`, password: 'password-123', displayName: name },
      });
      return { id: res.body.user.id as string, token: res.body.accessToken as string };
    };
    const alice = await register('alice');
    const bob = await register('bob');
    const conversationId: string = (
      await client(app.url).post('/api/v1/conversations', { token: alice.token, body: { memberIds: [bob.id] } })
    ).body.id;
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
    const items: { seq: number; clientId: string }[] = [];
    let afterSeq = 0;
    for (;;) {
      const page = await client(app.url).get(
        `/api/v1/conversations/${conversationId}/messages?afterSeq=${afterSeq}&limit=100`,
        { token: bob.token },
      );
      expect(page.status).toBe(200);
      items.push(...page.body.items);
      if (page.body.items.length < 100) break;
      afterSeq = items[items.length - 1].seq;
    }
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
