// The embedded mode's promise, under the mixed load through the SDK: the process killed with SIGKILL, started again on
// the same DATA_DIR (and port, so the clients reconnect by themselves), still has every write it acknowledged, and
// nothing by halves; after resync nothing acknowledged is lost or duplicated, of any kind.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeAllClients } from '../helpers/client.js';
import { client } from '../helpers/http.js';
import { sleep } from '../helpers/sockets.js';
import { FAULT_ENV, storedMessages } from './helpers/faults.js';
import { MixedLoad, report, settledWithoutLoss } from './helpers/mixed-load.js';
import { type AppProcess, buildIfNeeded, startAppProcess } from './helpers/processes.js';

describe('Embedded mode killed under the mixed load', () => {
  let dataDir: string;
  let app: AppProcess | undefined;
  let load: MixedLoad | undefined;

  beforeAll(async () => {
    buildIfNeeded();
    dataDir = await mkdtemp(join(tmpdir(), 'rthub-faults-embedded-'));
  }, 120_000);

  afterAll(async () => {
    load?.close();
    closeAllClients();
    await app?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('should keep every acknowledged write after a SIGKILL and a restart on the same data directory', async () => {
    const env = { ...FAULT_ENV, DATA_DIR: dataDir };
    app = await startAppProcess(env);
    const { url, port } = app;
    load = new MixedLoad({ restUrl: url, clientUrl: url, paceMs: 25 });
    await load.setup();
    load.start();
    await sleep(1000);
    app.kill('SIGKILL');
    await app.exited();
    const killedAt = Date.now();

    app = await startAppProcess(env, port);
    await load.waitOnline();
    const recoveredInMs = await load.recovery(killedAt);
    const counts = await settledWithoutLoss(load);
    // Nothing by halves: seqs without a gap, and the conversation's last seq is the last stored message.
    const items = await storedMessages(url, load.users[0].token, load.conversationId);
    expect(items.map((m) => m.seq)).toEqual(items.map((_, i) => i + 1));
    const conversation = await client(url).get(`/api/v1/conversations/${load.conversationId}`, {
      token: load.users[1].token,
    });
    expect(conversation.body.lastMessage?.seq ?? 0).toBe(items.length);
    report('embedded kill -9', load, counts, { recoveredInMs });
  }, 120_000);
});
