// Logout across two instances: the user logs out through A; their devices are connected to B. Then revocations on
// an instance that lost Redis.
import { startTcpLink, type TcpLink } from '../faults/helpers/tcp-link.js';
import { type Backend, createBackend, startInstance, type TestApp } from '../helpers/app.js';
import { useTwoInstances } from '../helpers/cluster.js';
import { loginAdmin, registerUser } from '../helpers/factories.js';
import { client } from '../helpers/http.js';
import { describeMultiInstance } from '../helpers/mode.js';
import { logoutEndsEverySession } from '../helpers/session-attacks.js';
import { closeAllSockets, connect, connectError, eventually, waitDisconnect } from '../helpers/sockets.js';

describeMultiInstance('Security: logout across instances', () => {
  let a: TestApp;
  let b: TestApp;

  useTwoInstances((x, y) => {
    [a, b] = [x, y];
  });

  it('should refuse on B every token of an account logged out through A, and close its sockets there', () =>
    logoutEndsEverySession(a, b));
});

// A logs out (or an admin changes an account) while it has lost its link to Redis, Redis itself up: the revocation is
// committed in Postgres, so the request answers success, A refuses the tokens at once and its sockets of the account
// are closed; telling the other instances is best effort (they refuse the tokens once their cached copy of the
// account passes its age limit, 60 s).
// Classic adapter only: the sharded one's (un)subscribes to a room's channel while Redis is unreachable reject with
// nobody to catch them (@socket.io/redis-adapter's SSUBSCRIBE/SUNSUBSCRIBE), which main.ts logs and Jest fails.
const classicAdapter = process.env.TEST_REDIS_ADAPTER !== 'sharded';
(classicAdapter ? describeMultiInstance : describe.skip)('Security: revocations on an instance cut from Redis', () => {
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
  });
  afterAll(async () => {
    link?.restore();
    await a?.close();
    await link?.close();
    await backend?.dispose();
  });

  it('should answer logout 204 and close its own sockets once the revocation is committed', async () => {
    const user = await registerUser(a!, 'Leaving Offline');
    const api = client(a!.url);
    const socket = await connect(a!.url, user.token);
    const admin = await loginAdmin(a!);
    const target = await registerUser(a!, 'Disabled Offline');
    const targetSocket = await connect(a!.url, target.token);
    const gone = Promise.all([waitDisconnect(socket), waitDisconnect(targetSocket)]);
    link!.cut();
    await eventually(async () => expect((await api.get('/api/v1/health')).status).toBe(503), 10_000);

    const out = await api.post('/api/v1/auth/logout', { token: user.token });
    expect(out.status).toBe(204);
    const disabled = await api.patch(`/api/v1/users/${target.id}`, { token: admin.token, body: { disabled: true } });
    expect([disabled.status, disabled.body.disabled]).toEqual([200, true]);
    // Closed by the server either way: at once where the adapter disconnects locally without Redis (sharded), else on
    // their next event, which the guard refuses (the classic adapter closes this instance's sockets too only once
    // its request comes back from Redis).
    for (const [s, id] of [
      [socket, user.id],
      [targetSocket, target.id],
    ] as const) {
      if (s.connected) s.emit('subscribe', { channel: `user:${id}` });
    }
    expect(await gone).toEqual(['io server disconnect', 'io server disconnect']);
    for (const token of [user.token, target.token]) {
      expect((await api.get('/api/v1/auth/me', { token })).status).toBe(401);
      expect(await connectError(a!.url, token)).toBe('Authentication failed');
    }
    // Back before the instance is closed, so that it leaves nothing reconnecting behind.
    link!.restore();
    await eventually(async () => expect((await api.get('/api/v1/health')).status).toBe(200), 10_000);
  }, 30_000);
});
