// Postgres stopped at once (as in a crash or a failover) under the mixed load and started again, under one app
// instance running as a real process. While it is down writes answer SERVICE_UNAVAILABLE (never INTERNAL, never a
// hang); nothing is half-written; service comes back by itself; messages retried by the SDK with their clientIds are
// stored once; after resync nothing acknowledged is lost or duplicated, of any kind.
import { randomUUID } from 'node:crypto';
import { closeAllClients } from '../helpers/client.js';
import { client } from '../helpers/http.js';
import { sleep } from '../helpers/sockets.js';
import { describeFaults, FAULT_ENV, storedMessages } from './helpers/faults.js';
import { MixedLoad, report, settledWithoutLoss } from './helpers/mixed-load.js';
import {
  type AppProcess,
  buildIfNeeded,
  type PostgresServer,
  type RedisServer,
  startAppProcess,
  startPostgres,
  startRedis,
} from './helpers/processes.js';

const OUTAGE_MS = 4000;
/** A write must be answered within this even while Postgres is down. */
const ANSWER_LIMIT_MS = 10_000;

describeFaults('Postgres restarted under traffic', () => {
  let postgres: PostgresServer;
  let redis: RedisServer;
  let app: AppProcess;
  const loads: MixedLoad[] = [];

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
    for (const load of loads) load.close();
    closeAllClients();
    await app?.stop();
    await redis?.dispose();
    await postgres?.dispose();
  });

  it('should refuse writes cleanly while it is down, write nothing by halves, recover by itself and lose nothing', async () => {
    const load = new MixedLoad({ restUrl: app.url, clientUrl: app.url });
    loads.push(load);
    await load.setup();
    load.start();
    await sleep(500);

    await postgres.stop();
    const down = Date.now();
    await sleep(OUTAGE_MS / 2);
    // A write asked for now is refused with the contract's code for an outage, in bounded time.
    const asked = Date.now();
    const refusal = await load.clients[0]
      .request('message:send', { conversationId: load.conversationId, body: 'down', clientId: randomUUID() })
      .catch((err: unknown) => err);
    expect(refusal).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    expect(Date.now() - asked).toBeLessThan(ANSWER_LIMIT_MS);
    expect((await client(app.url).get('/api/v1/health')).status).toBe(503);
    await sleep(OUTAGE_MS - (Date.now() - down));
    await postgres.start();

    // Service comes back by itself.
    const recoveredInMs = await load.recovery(Date.now());
    expect((await client(app.url).get('/api/v1/health')).status).toBe(200);

    // Retried with their clientIds by the SDK, the messages refused or unanswered meanwhile are stored once each.
    const counts = await settledWithoutLoss(load);
    // Every REST write was answered 2xx or a clean 503, in bounded time.
    const refused = load.statuses.filter((status) => status === 503).length;
    expect(refused).toBeGreaterThan(0);
    expect(load.statuses.filter((status) => status >= 300 && status !== 503)).toEqual([]);
    expect(load.slowestMs).toBeLessThan(ANSWER_LIMIT_MS);
    // Nothing half-written: seqs run without a gap, and the conversation's last seq is its last message.
    const items = await storedMessages(app.url, load.users[0].token, load.conversationId);
    expect(items.map((m) => m.seq)).toEqual(items.map((_, i) => i + 1));
    const conversation = await client(app.url).get(`/api/v1/conversations/${load.conversationId}`, {
      token: load.users[1].token,
    });
    expect(conversation.body.lastMessage.seq).toBe(items.length);
    expect(app.child.exitCode).toBeNull();
    report('Postgres restarted', load, counts, {
      recoveredInMs,
      slowestMs: load.slowestMs,
    });
  }, 90_000);
});
