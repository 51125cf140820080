import type { Socket } from 'socket.io-client';
import { startApp, type TestApp } from '../helpers/app.js';
import { loginAdmin, registerUser, type TestUser } from '../helpers/factories.js';
import { client } from '../helpers/http.js';
import { describeE2E } from '../helpers/mode.js';
import { closeAllSockets, collect, connect, emitAck, sleep, waitFor } from '../helpers/sockets.js';

const STATS_SHAPE = {
  users: { total: expect.any(Number), active: expect.any(Number), newThisMonth: expect.any(Number) },
  sessions: {
    total: expect.any(Number),
    active: expect.any(Number),
    pending: expect.any(Number),
    endedToday: expect.any(Number),
  },
  workstations: {
    total: expect.any(Number),
    available: expect.any(Number),
    occupied: expect.any(Number),
    offline: expect.any(Number),
  },
  realtime: { connections: expect.any(Number), onlineUsers: expect.any(Number) },
  timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
};

/** Resolves once no `stats_update` arrived for `quietMs` (earlier changes have been announced). */
async function settle(updates: unknown[], quietMs = 1500, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let seen = updates.length;
  let since = Date.now();
  while (Date.now() - since < quietMs) {
    if (Date.now() > deadline) throw new Error('The dashboard never settled');
    await sleep(100);
    if (updates.length !== seen) {
      seen = updates.length;
      since = Date.now();
    }
  }
}

describeE2E('Dashboard', () => {
  let sut: TestApp;
  let admin: TestUser;
  let api: ReturnType<typeof client>;

  const stats = async (): Promise<any> => {
    const res = await api.get('/api/v1/dashboard/stats', { token: admin.token });
    expect(res.status).toBe(200);
    return res.body;
  };
  const subscribed = async (): Promise<{ socket: Socket; updates: any[] }> => {
    const socket = await connect(sut.url, admin.token);
    const updates = collect(socket, 'stats_update');
    expect(await emitAck(socket, 'subscribe', { channel: 'dashboard' })).toMatchObject({ ok: true });
    return { socket, updates };
  };

  beforeAll(async () => {
    sut = await startApp({ DASHBOARD_INTERVAL_MS: '1000', PRESENCE_GRACE_MS: '0', KIOSK_MIN_DURATION_SECONDS: '1' });
    admin = await loginAdmin(sut);
    api = client(sut.url);
  });
  // Every test starts without sockets: those of the previous test have left (the server learns it a moment later).
  beforeEach(async () => {
    const deadline = Date.now() + 10_000;
    while ((await stats()).realtime.connections > 0) {
      if (Date.now() > deadline) throw new Error('Sockets of an earlier test are still counted');
      await sleep(50);
    }
  });
  afterEach(() => closeAllSockets());
  afterAll(() => sut.close());

  it('should answer the Stats to admins over REST, get_stats and the channel snapshot, and refuse everyone else', async () => {
    expect(await stats()).toEqual(STATS_SHAPE);
    const socket = await connect(sut.url, admin.token);
    expect(await emitAck(socket, 'get_stats', {})).toEqual({ ok: true, data: STATS_SHAPE });
    expect(await emitAck(socket, 'subscribe', { channel: 'dashboard' })).toEqual({
      ok: true,
      data: { channel: 'dashboard', snapshot: STATS_SHAPE },
    });

    const user = await registerUser(sut);
    const res = await api.get('/api/v1/dashboard/stats', { token: user.token });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('FORBIDDEN');
    expect((await api.get('/api/v1/dashboard/stats')).status).toBe(401);
    const userSocket = await connect(sut.url, user.token);
    expect(await emitAck(userSocket, 'get_stats', {})).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await emitAck(userSocket, 'subscribe', { channel: 'dashboard' })).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN' },
    });
    const kiosk = await api.post('/api/v1/kiosk/workstations', { token: admin.token, body: { name: 'Dash' } });
    expect((await api.get('/api/v1/dashboard/stats', { token: kiosk.body.token })).status).toBe(403);
    const kioskSocket = await connect(sut.url, kiosk.body.token);
    expect(await emitAck(kioskSocket, 'get_stats', {})).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  });

  it('should count users, sessions, workstations and sockets', async () => {
    const before = await stats();
    const user = await registerUser(sut);
    const ws = (await api.post('/api/v1/kiosk/workstations', { token: admin.token, body: { name: 'Count' } })).body;
    const session = (await api.post('/api/v1/kiosk/sessions', { token: admin.token, body: { durationSeconds: 60 } }))
      .body;
    await api.post('/api/v1/kiosk/sessions', { token: admin.token, body: { durationSeconds: 60 } });
    const kiosk = await connect(sut.url, ws.token);
    await emitAck(kiosk, 'validate_code', { code: session.accessCode });
    await emitAck(kiosk, 'start_session', { sessionId: session.id });
    await connect(sut.url, user.token);

    const after = await stats();
    expect(after.users.total).toBe(before.users.total + 1);
    expect(after.users.newThisMonth).toBe(before.users.newThisMonth + 1);
    expect(after.users.active).toBe(before.users.active + 1);
    expect(after.sessions).toEqual({
      total: before.sessions.total + 2,
      active: before.sessions.active + 1,
      pending: before.sessions.pending + 1,
      endedToday: before.sessions.endedToday,
    });
    expect(after.workstations.total).toBe(before.workstations.total + 1);
    expect(after.workstations.occupied).toBe(before.workstations.occupied + 1);
    expect(after.realtime.connections).toBe(before.realtime.connections + 2);
    expect(after.realtime.onlineUsers).toBe(before.realtime.onlineUsers + 1);

    await api.post(`/api/v1/kiosk/sessions/${session.id}/terminate`, { token: admin.token });
    const ended = await stats();
    expect(ended.sessions.endedToday).toBe(before.sessions.endedToday + 1);
    expect(ended.sessions.active).toBe(before.sessions.active);
    expect(ended.workstations.available).toBe(after.workstations.available + 1);
  });

  it('should show a registration in the next stats_update', async () => {
    const { socket, updates } = await subscribed();
    await settle(updates);
    const before = await stats();
    const next = waitFor(socket, 'stats_update');
    await registerUser(sut, 'Newcomer');
    const update = await next;
    expect(update).toEqual(STATS_SHAPE);
    expect(update.users.total).toBe(before.users.total + 1);
    expect(update.users.newThisMonth).toBe(before.users.newThisMonth + 1);
  });

  it('should coalesce a burst of 20 changes into at most two updates, the last one exact', async () => {
    const { updates } = await subscribed();
    await settle(updates);
    const before = await stats();
    const seen = updates.length;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: 20 }, () =>
        api.post('/api/v1/kiosk/sessions', { token: admin.token, body: { durationSeconds: 60 } }),
      ),
    );
    // One update at most per DASHBOARD_INTERVAL_MS (1 s here), plus the trailing one: two for a burst that fits in an
    // interval, one more per interval a loaded machine stretches it over.
    const intervals = Math.floor((Date.now() - started) / 1000);
    await settle(updates);
    const burst = updates.slice(seen);
    expect(burst.length).toBeGreaterThanOrEqual(1);
    expect(burst.length).toBeLessThanOrEqual(2 + intervals);
    const last = burst[burst.length - 1];
    expect(last.sessions.total).toBe(before.sessions.total + 20);
    expect(last.sessions.pending).toBe(before.sessions.pending + 20);
    expect(last).toEqual({ ...(await stats()), timestamp: last.timestamp });
  }, 40_000);

  it('should announce sockets that connect and leave', async () => {
    const { socket, updates } = await subscribed();
    await settle(updates);
    const before = await stats();
    const user = await registerUser(sut);
    await settle(updates);
    const joined = waitFor(socket, 'stats_update');
    const userSocket = await connect(sut.url, user.token);
    expect((await joined).realtime).toEqual({
      connections: before.realtime.connections + 1,
      onlineUsers: before.realtime.onlineUsers + 1,
    });
    const left = waitFor(socket, 'stats_update', (s) => s.realtime.connections === before.realtime.connections);
    userSocket.close();
    expect((await left).realtime.onlineUsers).toBe(before.realtime.onlineUsers);
  });
});

describeE2E('Dashboard heartbeat', () => {
  let sut: TestApp;

  beforeAll(async () => {
    sut = await startApp({ DASHBOARD_INTERVAL_MS: '200', DASHBOARD_HEARTBEAT_SECONDS: '1', PRESENCE_GRACE_MS: '0' });
  });
  afterEach(() => closeAllSockets());
  afterAll(() => sut.close());

  it('should send a stats_update at least every DASHBOARD_HEARTBEAT_SECONDS while someone is subscribed', async () => {
    const admin = await loginAdmin(sut);
    const socket = await connect(sut.url, admin.token);
    const updates = collect(socket, 'stats_update');
    await emitAck(socket, 'subscribe', { channel: 'dashboard' });
    await sleep(800); // the subscriber's own connection has been announced by now
    const seen = updates.length;
    await sleep(3500); // no change in this window: only heartbeats
    expect(updates.length - seen).toBeGreaterThanOrEqual(2);
    expect(updates[updates.length - 1]).toEqual(STATS_SHAPE);
  }, 20_000);
});
