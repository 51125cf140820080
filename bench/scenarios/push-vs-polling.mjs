// push vs polling: U users each get a notification every ~30 s on average. Over WS the server pushes it; the
// baseline is today's client polling `GET /notifications?afterSeq=` every 10 s. Same server, same notifications;
// a third phase with no consumers measures what creating the notifications costs, so delivery cost can be
// isolated. Reports server CPU-seconds and client requests per delivered notification, and delivery latency.
import { adminToken, call, registerUsers } from '../lib/api.mjs';
import { ClientPool, split } from '../lib/clients.mjs';
import { cpuSeconds, startApp } from '../lib/procs.mjs';
import { now, summarize } from '../lib/stats.mjs';

export const name = 'push vs polling';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Creates notifications for random users at the configured average rate until the deadline. */
async function produce(app, admin, users, durationMs, perUserEveryMs) {
  const created = new Map(); // id -> creation time
  const deadline = Date.now() + durationMs;
  const perSecond = (users.length * 1000) / perUserEveryMs;
  const tickMs = 100;
  let carry = 0;
  while (Date.now() < deadline) {
    const tickStart = Date.now();
    carry += (perSecond * tickMs) / 1000;
    const batch = [];
    while (carry >= 1) {
      carry -= 1;
      const user = users[Math.floor(Math.random() * users.length)];
      const t0 = now();
      batch.push(
        call(app.url, 'POST', '/api/v1/notifications', { token: admin, body: { userIds: [user.id], type: 'bench.ping', title: 'Ping' } }).then((r) => {
          for (const item of r.items) created.set(item.id, t0);
        }),
      );
    }
    await Promise.all(batch);
    await sleep(Math.max(0, tickMs - (Date.now() - tickStart)));
  }
  return created;
}

function latencies(created, receipts) {
  const out = [];
  for (const worker of receipts) {
    for (const [id, times] of Object.entries(worker)) {
      const t0 = created.get(id);
      if (t0 !== undefined) out.push(Math.min(...times) - t0);
    }
  }
  return out;
}

export async function run({ full }) {
  const userCount = 500;
  const phaseMs = full ? 120_000 : 25_000;
  const perUserEveryMs = 30_000;
  const pollEveryMs = 10_000;
  const pool = new ClientPool(4);
  const app = await startApp();
  try {
    const admin = await adminToken(app.url);
    const users = await registerUsers(app.url, userCount, 'push');
    const slices = (i) => users.filter((_, j) => j % pool.size === i);

    // Creation only: nobody listens.
    let cpu0 = cpuSeconds(app.pid);
    const createdAlone = await produce(app, admin, users, phaseMs, perUserEveryMs);
    const creationCpuPerNotification = (cpuSeconds(app.pid) - cpu0) / createdAlone.size;

    // Over WS.
    const connected = await pool.all('connect', (i) => ({ url: app.url, tokens: slices(i).map((u) => u.token), count: slices(i).length, listen: [{ event: 'notification', key: 'id' }] }));
    await pool.all('collect');
    cpu0 = cpuSeconds(app.pid);
    const createdWs = await produce(app, admin, users, phaseMs, perUserEveryMs);
    await sleep(1000);
    const wsCpu = cpuSeconds(app.pid) - cpu0;
    const wsReceipts = await pool.all('collect');
    const wsLatency = latencies(createdWs, wsReceipts);
    await pool.all('close');
    // A socket costs one handshake request (websocket upgrade) for the whole phase.
    const wsRequests = connected.reduce((s, c) => s + c.connected, 0);

    // Polling every 10 s.
    cpu0 = cpuSeconds(app.pid);
    const pollRun = pool.all('poll', (i) => ({ url: app.url, tokens: slices(i).map((u) => u.token), everyMs: pollEveryMs, durationMs: phaseMs + pollEveryMs }));
    const createdPoll = await produce(app, admin, users, phaseMs, perUserEveryMs);
    const pollStats = await pollRun;
    const pollCpu = cpuSeconds(app.pid) - cpu0;
    const pollReceipts = await pool.all('collect');
    const pollLatency = latencies(createdPoll, pollReceipts);
    const pollRequests = pollStats.reduce((s, p) => s + p.requests, 0);

    const wsDelivered = wsLatency.length;
    const pollDelivered = pollLatency.length;
    const wsDeliveryCpu = Math.max(0, wsCpu / Math.max(1, createdWs.size) - creationCpuPerNotification);
    const pollDeliveryCpu = Math.max(0, pollCpu / Math.max(1, createdPoll.size) - creationCpuPerNotification);
    const ws = { created: createdWs.size, delivered: wsDelivered, cpuSeconds: wsCpu, requests: wsRequests, latency: summarize(wsLatency) };
    const poll = { created: createdPoll.size, delivered: pollDelivered, cpuSeconds: pollCpu, requests: pollRequests, latency: summarize(pollLatency) };
    return {
      params: { users: userCount, phaseSeconds: phaseMs / 1000, perUserEverySeconds: perUserEveryMs / 1000, pollEverySeconds: pollEveryMs / 1000, creationCpuMsPerNotification: creationCpuPerNotification * 1000 },
      app: ws,
      baseline: poll,
      rows: [
        ['push: server CPU ms per notification (total)', (wsCpu / Math.max(1, wsDelivered)) * 1000, (pollCpu / Math.max(1, pollDelivered)) * 1000, 'baseline = polling'],
        ['push: server CPU ms per notification (delivery only)', wsDeliveryCpu * 1000, pollDeliveryCpu * 1000, 'target: polling ≥ 10× WS'],
        ['push: client requests per notification', wsRequests / Math.max(1, wsDelivered), pollRequests / Math.max(1, pollDelivered), 'target: polling ≥ 10× WS'],
        ['push: delivery latency p99 (ms)', ws.latency.p99, poll.latency.p99],
      ],
    };
  } finally {
    await pool.close();
    await app.stop();
  }
}
