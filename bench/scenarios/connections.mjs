// connections: N authenticated idle sockets on one instance; memory per socket against the bare server.
import { registerUsers } from '../lib/api.mjs';
import { ClientPool, split } from '../lib/clients.mjs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rssBytes, startApp, startBaseline } from '../lib/procs.mjs';

export const name = 'connections';

const settle = () => new Promise((r) => setTimeout(r, 2000));
const WARMUP = 1000;

/**
 * Memory per socket: a first batch warms the server up (buffers, code paths, pools), then RSS is read before and
 * after `count` more sockets connect.
 */
async function measure(server, pool, count, connectArgs) {
  await pool.all('connect', (i) => ({ ...connectArgs, count: split(WARMUP, pool.size, i), concurrency: 200 }));
  await settle();
  const before = rssBytes(server.pid);
  const results = await pool.all('connect', (i) => ({ ...connectArgs, count: split(count, pool.size, i), concurrency: 200 }));
  await settle();
  const after = rssBytes(server.pid);
  await pool.all('close');
  const connected = results.reduce((s, r) => s + r.connected, 0) - WARMUP;
  const errors = results.reduce((s, r) => s + r.errors, 0);
  return { connected, errors, firstError: results.find((r) => r.firstError)?.firstError, rssBefore: before, rssAfter: after, bytesPerSocket: (after - before) / Math.max(1, connected) };
}

export async function run({ full }) {
  const count = full ? 10_000 : 10_000;
  const pool = new ClientPool(4);
  // Accounts are registered by one process and measured in a fresh one on the same data, so that what password
  // hashing allocated and frees later does not move the reading.
  const dataDir = await mkdtemp(join(tmpdir(), 'rthub-bench-'));
  const setup = await startApp({ DATA_DIR: dataDir });
  const users = await registerUsers(setup.url, 50, 'idle').finally(() => setup.stop());
  const app = await startApp({ DATA_DIR: dataDir });
  const baseline = await startBaseline();
  try {
    const tokens = users.map((u) => u.token);
    const appResult = await measure(app, pool, count, { url: app.url, tokens });
    const baseResult = await measure(baseline, pool, count, { url: baseline.url });
    return {
      params: { sockets: count, clientProcesses: pool.size },
      app: appResult,
      baseline: baseResult,
      rows: [
        ['connections: sockets connected', appResult.connected, baseResult.connected, `errors app ${appResult.errors}, baseline ${baseResult.errors}`],
        ['connections: RSS per socket (KiB)', appResult.bytesPerSocket / 1024, baseResult.bytesPerSocket / 1024, 'target ≤ 1.3×'],
      ],
    };
  } finally {
    await pool.close();
    await app.stop();
    await baseline.stop();
  }
}
