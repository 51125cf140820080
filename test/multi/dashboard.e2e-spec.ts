import { type TestApp } from '../helpers/app.js';
import { useTwoInstances } from '../helpers/cluster.js';
import { loginAdmin, registerUser, type TestUser } from '../helpers/factories.js';
import { client } from '../helpers/http.js';
import { describeMultiInstance } from '../helpers/mode.js';
import { collect, connect, emitAck, sleep, waitFor } from '../helpers/sockets.js';

async function settle(updates: unknown[], quietMs = 1500): Promise<void> {
  let seen = updates.length;
  let since = Date.now();
  while (Date.now() - since < quietMs) {
    await sleep(100);
    if (updates.length !== seen) {
      seen = updates.length;
      since = Date.now();
    }
  }
}

describeMultiInstance('Dashboard across instances', () => {
  let a: TestApp;
  let b: TestApp;
  let admin: TestUser;

  const stats = async (app: TestApp): Promise<any> =>
    (await client(app.url).get('/api/v1/dashboard/stats', { token: admin.token })).body;

  useTwoInstances(
    async (x, y) => {
      [a, b] = [x, y];
      admin = await loginAdmin(a);
    },
    { PRESENCE_GRACE_MS: '0', KIOSK_MIN_DURATION_SECONDS: '1' },
  );

  it('should count the connections of both instances', async () => {
    const before = await stats(a);
    const [alice, bob] = [await registerUser(a, 'Alice'), await registerUser(b, 'Bob')];
    await connect(a.url, alice.token);
    await connect(b.url, bob.token);
    await connect(b.url, bob.token);
    for (const app of [a, b]) {
      const after = await stats(app);
      expect(after.realtime).toEqual({
        connections: before.realtime.connections + 3,
        onlineUsers: before.realtime.onlineUsers + 2,
      });
    }
  });

  it('should bring a change made on B to an admin on A', async () => {
    const watcher = await connect(a.url, admin.token);
    const updates = collect(watcher, 'stats_update');
    await emitAck(watcher, 'subscribe', { channel: 'dashboard' });
    await settle(updates);
    const before = await stats(a);
    const next = waitFor(watcher, 'stats_update');
    await client(b.url).post('/api/v1/kiosk/sessions', { token: admin.token, body: { durationSeconds: 60 } });
    const update = await next;
    expect(update.sessions.total).toBe(before.sessions.total + 1);
    expect(update.sessions.pending).toBe(before.sessions.pending + 1);
  });

  it('should send one update per period to admins on every instance, not one per instance', async () => {
    const watchers = [await connect(a.url, admin.token), await connect(b.url, admin.token)];
    const logs = watchers.map((w) => collect(w, 'stats_update'));
    for (const w of watchers) await emitAck(w, 'subscribe', { channel: 'dashboard' });
    await settle(logs[0]);
    await settle(logs[1]);
    const seen = logs.map((l) => l.length);
    const before = await stats(a);
    await Promise.all(
      [a, b, a, b, a, b, a, b, a, b].map((app) =>
        client(app.url).post('/api/v1/kiosk/sessions', { token: admin.token, body: { durationSeconds: 60 } }),
      ),
    );
    await settle(logs[0]);
    const burst = logs.map((l, i) => l.slice(seen[i]));
    // Each admin hears the same updates: at most one per 1 s period for a burst shorter than a period, plus
    // the trailing one.
    expect(burst[0].length).toBeLessThanOrEqual(2);
    expect(burst[1]).toEqual(burst[0]);
    expect(burst[0][burst[0].length - 1].sessions.total).toBe(before.sessions.total + 10);
  }, 30_000);
});
