// Logout across two instances: the user logs out through A; their devices are connected to B. Then revocations on
// an instance that lost Redis, and on one whose Redis stalls.
import net, { type Socket } from 'node:net';
import { startTcpLink, type TcpLink } from '../faults/helpers/tcp-link.js';
import { type Backend, createBackend, startInstance, type TestApp } from '../helpers/app.js';
import { useTwoInstances } from '../helpers/cluster.js';
import { loginAdmin, registerUser } from '../helpers/factories.js';
import { client } from '../helpers/http.js';
import { createKiosk } from '../helpers/kiosk.js';
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

// A logs out (or an admin changes an account, or rotates a workstation's token) while it has lost its link to Redis,
// Redis itself up: the revocation is committed in Postgres, so the request answers success (the rotation its new
// token), A refuses the old tokens at once and its sockets of the account are closed; telling the other instances is
// best effort (they refuse the tokens once their cached copy of the account or workstation passes its age limit,
// 60 s). Either adapter: the sharded one's room (un)subscribes that fail meanwhile are caught (redis-io.adapter.ts).
describeMultiInstance('Security: revocations on an instance cut from Redis', () => {
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

  it('should answer a rotated workstation token once the rotation is committed, refusing the old one here', async () => {
    const api = client(a!.url);
    const admin = await loginAdmin(a!);
    const kiosk = await createKiosk(a!, admin, 'Rotated Offline');
    const socket = await connect(a!.url, kiosk.token);
    const gone = waitDisconnect(socket);
    link!.cut();
    await eventually(async () => expect((await api.get('/api/v1/health')).status).toBe(503), 10_000);

    const rotated = await api.post(`/api/v1/kiosk/workstations/${kiosk.id}/token`, { token: admin.token });
    expect(rotated.status).toBe(201);
    expect(typeof rotated.body.token).toBe('string');
    expect(rotated.body.token).not.toBe(kiosk.token);
    if (socket.connected) socket.emit('heartbeat', {});
    expect(await gone).toBe('io server disconnect');
    expect(await connectError(a!.url, kiosk.token)).toBe('Authentication failed');

    link!.restore();
    await eventually(async () => expect((await api.get('/api/v1/health')).status).toBe(200), 10_000);
    // The new token works once Redis is back (a socket needs it for its place in the quota).
    const fresh = await connect(a!.url, rotated.body.token);
    expect(fresh.connected).toBe(true);
    fresh.close();
  }, 30_000);
});

/**
 * A TCP forwarder whose `stall()` keeps every connection through it open but forwards nothing either way (new ones
 * too), as a Redis that accepts connections and never answers; `resume()` forwards what was held.
 */
interface StallingLink {
  port: number;
  stall(): void;
  resume(): void;
  close(): Promise<void>;
}

async function startStallingLink(targetPort: number, targetHost: string): Promise<StallingLink> {
  const open = new Set<Socket>();
  const held: (() => void)[] = [];
  let stalled = false;
  const forward = (from: Socket, to: Socket) =>
    from.on('data', (chunk: Buffer) => (stalled ? held.push(() => to.write(chunk)) : to.write(chunk)));
  const server = net.createServer((downstream) => {
    const upstream = net.connect(targetPort, targetHost);
    for (const socket of [downstream, upstream]) {
      open.add(socket);
      socket.on('error', () => socket.destroy());
      socket.on('close', () => open.delete(socket));
    }
    forward(downstream, upstream);
    forward(upstream, downstream);
    downstream.on('close', () => upstream.destroy());
    upstream.on('close', () => downstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    stall: () => {
      stalled = true;
    },
    resume: () => {
      stalled = false;
      for (const write of held.splice(0)) write();
    },
    close: async () => {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// Redis stalls (the connections stay up, nothing is answered): the announcement of a revocation gives up after the
// bus's timeout (ACK_TIMEOUT_MS, 2 s: cluster-bus.ts) and the request answers, as when Redis is unreachable; without
// that bound logout, an admin's change and a rotation would hang as long as Redis does.
describeMultiInstance('Security: revocations on an instance whose Redis stalls', () => {
  let backend: Backend | undefined;
  let link: StallingLink | undefined;
  let a: TestApp | undefined;

  beforeAll(async () => {
    backend = await createBackend();
    const redis = new URL(backend.env.REDIS_URL);
    link = await startStallingLink(Number(redis.port || 6379), redis.hostname);
    redis.hostname = '127.0.0.1';
    redis.port = String(link.port);
    a = await startInstance(backend, { REDIS_URL: redis.toString() });
  });
  afterEach(() => {
    closeAllSockets();
    link?.resume();
  });
  afterAll(async () => {
    link?.resume();
    await a?.close();
    await link?.close();
    await backend?.dispose();
  });

  it('should answer logout, an admin change and a rotation within the bus timeout, refusing the old tokens here', async () => {
    const user = await registerUser(a!, 'Leaving Stalled');
    const api = client(a!.url);
    const socket = await connect(a!.url, user.token);
    const admin = await loginAdmin(a!);
    const target = await registerUser(a!, 'Disabled Stalled');
    const kiosk = await createKiosk(a!, admin, 'Rotated Stalled');
    const gone = waitDisconnect(socket);
    link!.stall();

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
    link!.resume();
  }, 30_000);
});
