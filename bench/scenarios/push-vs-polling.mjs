// push vs polling: 500 clients (100 accounts, 5 devices each) each get a notification every ~30 s on average. Over WS the server pushes it; the
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
      // One entry per device that received it.
      if (t0 !== undefined) for (const t of times) out.push(t - t0);
    }
  }
  return out;
}

export async function run({ full }) {
  const accountCount = 100;
  const devicesPerAccount = 5;
  const phaseMs = full ? 120_000 : 20_000;
  const perUserEveryMs = 30_000;
  const pollEveryMs = 10_000;
  const pool = new ClientPool(4);
  const app = await startApp();
  try {
    const admin = await adminToken(app.url);
    const users = await registerUsers(app.url, accountCount, 'push');
    // Each account has several devices (clients); a notification to the account reaches each of them.
    const clients = users.flatMap((u) => Array.from({ length: devicesPerAccount }, () => u));
    const slices = (i) => clients.filter((_, j) => j % pool.size === i);

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
    // Per notification delivered to a device; "delivery only" takes out what creating the notifications cost.
    const perDelivery = (cpu, created, delivered) => ({
      total: cpu / Math.max(1, delivered),
      // Not clamped: a value near or below zero means delivery costs less than the run-to-run noise of creating.
      delivery: (cpu - creationCpuPerNotification * created) / Math.max(1, delivered),
    });
    const wsCost = perDelivery(wsCpu, createdWs.size, wsDelivered);
    const pollCost = perDelivery(pollCpu, createdPoll.size, pollDelivered);
    const ws = { created: createdWs.size, delivered: wsDelivered, cpuSeconds: wsCpu, requests: wsRequests, latency: summarize(wsLatency) };
    const poll = { created: createdPoll.size, delivered: pollDelivered, cpuSeconds: pollCpu, requests: pollRequests, latency: summarize(pollLatency) };
    return {
      params: { clients: clients.length, accounts: accountCount, phaseSeconds: phaseMs / 1000, perUserEverySeconds: perUserEveryMs / 1000, pollEverySeconds: pollEveryMs / 1000, creationCpuMsPerNotification: creationCpuPerNotification * 1000 },
      app: ws,
      baseline: poll,
      rows: [
        ['push: server CPU ms per delivered notification', wsCost.total * 1000, pollCost.total * 1000, 'baseline = polling every 10 s'],
        ['push: same, creation cost taken out', wsCost.delivery * 1000, pollCost.delivery * 1000, 'target: polling ≥ 10× WS'],
        ['push: client requests per delivered notification', wsRequests / Math.max(1, wsDelivered), pollRequests / Math.max(1, pollDelivered), 'WS: one handshake per device, over the phase; target: polling ≥ 10× WS'],
        ['push: delivery latency p99 (ms)', ws.latency.p99, poll.latency.p99],
      ],
    };
  } finally {
    await pool.close();
    await app.stop();
  }
}
