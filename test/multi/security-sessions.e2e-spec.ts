// Logout across two instances: the user logs out through A; their devices are connected to B. Then revocations on
// an instance that lost Redis, and on one whose Redis stalls.
import { startTcpLink, type TcpLink } from '../faults/helpers/tcp-link.js';
import { type Backend, createBackend, startInstance, type TestApp } from '../helpers/app.js';
import { useTwoInstances } from '../helpers/cluster.js';
import { loginAdmin, registerUser } from '../helpers/factories.js';
import { client } from '../helpers/http.js';
import { createKiosk } from '../helpers/kiosk.js';
import { describeMultiInstance } from '../helpers/mode.js';
import { logoutEndsEverySession } from '../helpers/session-attacks.js';
import { closeAllSockets, connect, connectError, eventually, waitDisconnect } from '../helpers/sockets.js';

/**
 * One instance on a backend of its own, reaching Redis through a link the tests cut or stall (Redis itself stays up,
 * for the other instances a real deployment would have). The link is whole again after each test.
 */
function useInstanceBehindRedisLink(): { app: () => TestApp; link: () => TcpLink } {
  let backend: Backend | undefined;
  let link: TcpLink | undefined;
  let a: TestApp | undefined;
  beforeAll(async () => {
    backend = await createBackend();
    const redis = new URL(backend.env.REDIS_URL);
    link = await startTcpLink(Number(redis.port || 6379), redis.hostname);
    redis.hostname = '127.0.0.1';
    redis.port = String(link.port);
    a = await startInstance(backend, { REDIS_URL: redis.toString() });
  });
  afterEach(() => {
    closeAllSockets();
    link?.restore();
    link?.resume();
  });
  afterAll(async () => {
    link?.restore();
    link?.resume();
    await a?.close();
    await link?.close();
    await backend?.dispose();
  });
  return { app: () => a!, link: () => link! };
}

describeMultiInstance('Security: logout across instances', () => {
  let a: TestApp;
  let b: TestApp;

  useTwoInstances((x, y) => {
    [a, b] = [x, y];
  });

  it('should refuse on B every token of an account logged out through A, and close its sockets there', () =>
    logoutEndsEverySession(a, b));
});

// A logs out (or an admin changes an account, or rotates a workstation's token) while it has lost its link to Redis,
// Redis itself up: the revocation is committed in Postgres, so the request answers success (the rotation its new
// token), A refuses the old tokens at once and its sockets of the account are closed; telling the other instances is
// best effort (they refuse the tokens once their cached copy of the account or workstation passes its age limit,
// 60 s). Either adapter: the sharded one's room (un)subscribes that fail meanwhile are caught (redis-io.adapter.ts).
describeMultiInstance('Security: revocations on an instance cut from Redis', () => {
  const { app, link } = useInstanceBehindRedisLink();

  it('should answer logout 204 and close its own sockets once the revocation is committed', async () => {
    const user = await registerUser(app(), 'Leaving Offline');
    const api = client(app().url);
    const socket = await connect(app().url, user.token);
    const admin = await loginAdmin(app());
    const target = await registerUser(app(), 'Disabled Offline');
    const targetSocket = await connect(app().url, target.token);
    const gone = Promise.all([waitDisconnect(socket), waitDisconnect(targetSocket)]);
    link().cut();
    await eventually(async () => expect((await api.get('/api/v1/health')).status).toBe(503), 10_000);

    const out = await api.post('/api/v1/auth/logout', { token: user.token });
    expect(out.status).toBe(204);
    const disabled = await api.patch(`/api/v1/users/${target.id}`, { token: admin.token, body: { disabled: true } });
    expect([disabled.status, disabled.body.disabled]).toEqual([200, true]);
    // Closed by the server at once (this instance disconnects its own sockets before asking the others); an event
    // sent meanwhile would be refused by the guard all the same.
    for (const [s, id] of [
      [socket, user.id],
      [targetSocket, target.id],
    ] as const) {
      if (s.connected) s.emit('subscribe', { channel: `user:${id}` });
    }
    expect(await gone).toEqual(['io server disconnect', 'io server disconnect']);
    for (const token of [user.token, target.token]) {
      expect((await api.get('/api/v1/auth/me', { token })).status).toBe(401);
      expect(await connectError(app().url, token)).toBe('Authentication failed');
    }
    // Back before the instance is closed, so that it leaves nothing reconnecting behind.
    link().restore();
    await eventually(async () => expect((await api.get('/api/v1/health')).status).toBe(200), 10_000);
  }, 30_000);

  it('should answer a rotated workstation token once the rotation is committed, refusing the old one here', async () => {
    const api = client(app().url);
    const admin = await loginAdmin(app());
    const kiosk = await createKiosk(app(), admin, 'Rotated Offline');
    const socket = await connect(app().url, kiosk.token);
    const gone = waitDisconnect(socket);
    link().cut();
    await eventually(async () => expect((await api.get('/api/v1/health')).status).toBe(503), 10_000);

    const rotated = await api.post(`/api/v1/kiosk/workstations/${kiosk.id}/token`, { token: admin.token });
    expect(rotated.status).toBe(201);
    expect(typeof rotated.body.token).toBe('string');
    expect(rotated.body.token).not.toBe(kiosk.token);
    if (socket.connected) socket.emit('heartbeat', {});
    expect(await gone).toBe('io server disconnect');
    expect(await connectError(app().url, kiosk.token)).toBe('Authentication failed');

    link().restore();
    await eventually(async () => expect((await api.get('/api/v1/health')).status).toBe(200), 10_000);
    // The new token works once Redis is back (a socket needs it for its place in the quota).
    const fresh = await connect(app().url, rotated.body.token);
    expect(fresh.connected).toBe(true);
    fresh.close();
  }, 30_000);
});

// Redis stalls (the connections stay up, nothing is answered): the announcement of a revocation gives up after the
// bus's timeout (ACK_TIMEOUT_MS, 2 s: cluster-bus.ts) and the request answers, as when Redis is unreachable; without
// that bound logout, an admin's change and a rotation would hang as long as Redis does.
describeMultiInstance('Security: revocations on an instance whose Redis stalls', () => {
  const { app, link } = useInstanceBehindRedisLink();

  it('should answer logout, an admin change and a rotation within the bus timeout, refusing the old tokens here', async () => {
    const user = await registerUser(app(), 'Leaving Stalled');
    const api = client(app().url);
    const socket = await connect(app().url, user.token);
    const admin = await loginAdmin(app());
    const target = await registerUser(app(), 'Disabled Stalled');
    const kiosk = await createKiosk(app(), admin, 'Rotated Stalled');
    const gone = waitDisconnect(socket);
    link().stall();

    const timed = async <T>(request: Promise<T>): Promise<T> => {
      const started = Date.now();
      const answer = await request;
      // The bus gives up after 2 s; the rest is the request itself on a loaded machine.
      expect(Date.now() - started).toBeLessThan(6000);
      return answer;
    };
    expect((await timed(api.post('/api/v1/auth/logout', { token: user.token }))).status).toBe(204);
    const disabled = await timed(
      api.patch(`/api/v1/users/${target.id}`, { token: admin.token, body: { disabled: true } }),
    );
    expect([disabled.status, disabled.body.disabled]).toEqual([200, true]);
    const rotated = await timed(api.post(`/api/v1/kiosk/workstations/${kiosk.id}/token`, { token: admin.token }));
    expect(rotated.status).toBe(201);
    expect(rotated.body.token).not.toBe(kiosk.token);
    // This instance dropped its own copies first: the old tokens are refused here at once, and its sockets closed.
    expect(await gone).toBe('io server disconnect');
    for (const token of [user.token, target.token]) {
      expect((await api.get('/api/v1/auth/me', { token })).status).toBe(401);
    }
    // Back before the instance is closed, so that its connections quit cleanly.
    link().resume();
  }, 30_000);
});
