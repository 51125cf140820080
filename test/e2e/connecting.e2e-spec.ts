import { UsersRepository } from '../../src/auth/users.repository.js';
import { SocketQuota } from '../../src/realtime/socket-quota.js';
import { ClusterBus } from '../../src/redis/cluster-bus.js';
import { type TestApp, startApp } from '../helpers/app.js';
import { loginAdmin, registerUser, type TestUser } from '../helpers/factories.js';
import { client } from '../helpers/http.js';
import { describeE2E } from '../helpers/mode.js';
import { closeAllSockets, connect, connectError, emitAck, sleep, waitDisconnect, waitFor } from '../helpers/sockets.js';

// ESM specs have no global `jest` object; Jest exposes it here.
const { jest } = import.meta;

describeE2E('Connecting', () => {
  let sut: TestApp;
  let user: TestUser;

  beforeAll(async () => {
    sut = await startApp();
    user = await registerUser(sut, 'Socket User');
  });
  afterEach(() => closeAllSockets());
  afterAll(() => sut.close());

  it('should connect with auth.token and with an Authorization header', async () => {
    const viaAuth = await connect(sut.url, user.token);
    expect(viaAuth.connected).toBe(true);
    const viaHeader = await connect(sut.url, undefined, { headers: { authorization: `Bearer ${user.token}` } });
    expect(viaHeader.connected).toBe(true);
  });

  it('should connect over long-polling too', async () => {
    const socket = await connect(sut.url, user.token, { transports: ['polling'] });
    const ack = await emitAck(socket, 'subscribe', { channel: `user:${user.id}` });
    expect(ack).toEqual({ ok: true, data: { channel: `user:${user.id}` } });
  });

  it('should refuse a missing token with "Authentication required"', async () => {
    expect(await connectError(sut.url, undefined)).toBe('Authentication required');
  });

  it('should refuse a token in the URL', async () => {
    expect(await connectError(sut.url, undefined, { query: { token: user.token } })).toBe('Authentication required');
  });

  it('should refuse a forged, garbage or revoked token with "Authentication failed"', async () => {
    const [header, payload] = user.token.split('.');
    expect(await connectError(sut.url, `${header}.${payload}.forgedsignature`)).toBe('Authentication failed');
    expect(await connectError(sut.url, 'garbage')).toBe('Authentication failed');
    const victim = await registerUser(sut);
    const admin = await loginAdmin(sut);
    await client(sut.url).patch(`/api/v1/users/${victim.id}`, { token: admin.token, body: { disabled: true } });
    expect(await connectError(sut.url, victim.token)).toBe('Authentication failed');
  });

  it('should disconnect the sockets of a user whose tokens are revoked', async () => {
    const victim = await registerUser(sut);
    const admin = await loginAdmin(sut);
    const socket = await connect(sut.url, victim.token);
    const gone = waitDisconnect(socket);
    await client(sut.url).patch(`/api/v1/users/${victim.id}`, { token: admin.token, body: { role: 'admin' } });
    expect(await gone).toBe('io server disconnect');
  });

  // A logout that commits while a handshake is in flight (its token checked, the socket not yet connected) swept the
  // account's sockets before this one was among them: before, it stayed connected on a revoked token, in the
  // account's rooms, until its next event.
  it('should disconnect a socket whose token was revoked while its handshake was in flight', async () => {
    const victim = await registerUser(sut, 'Half Connected');
    const quota = sut.app.get(SocketQuota);
    const acquire = quota.acquire.bind(quota);
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    let held!: () => void;
    const holding = new Promise<void>((resolve) => (held = resolve));
    // Holds the handshake after its token check, at its place in WS_MAX_SOCKETS_PER_USER.
    const spy = jest.spyOn(quota, 'acquire').mockImplementation(async (principal, socketId) => {
      held();
      await gate;
      return acquire(principal, socketId);
    });
    try {
      // The disconnect may come in the same read as the connect: listened for from the start.
      let disconnected!: (reason: string) => void;
      const gone = new Promise<string>((resolve) => (disconnected = resolve));
      const attempt = connect(sut.url, victim.token, { listeners: { disconnect: disconnected } }).then(
        () => gone,
        (err: Error) => err.message,
      );
      await holding;
      expect((await client(sut.url).post('/api/v1/auth/logout', { token: victim.token })).status).toBe(204);
      open();
      expect(['io server disconnect', 'Authentication failed']).toContain(await attempt);
    } finally {
      spy.mockRestore();
    }
  });

  // The account's state cannot be read (Postgres unreachable) once its cached copy is gone, as it is past its age
  // limit: that says nothing of the token. "Authentication failed" would make clients drop a good token (the SDK
  // reports `unauthorized` after two), logging everyone out over a database blip.
  it('should answer "Service unavailable" and keep the socket while the account cannot be read', async () => {
    const account = await registerUser(sut);
    const socket = await connect(sut.url, account.token);
    let disconnected: string | undefined;
    socket.on('disconnect', (reason) => (disconnected = reason));
    const users = sut.app.get(UsersRepository);
    const outage = jest
      .spyOn(users, 'accountState')
      .mockRejectedValue(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }));
    try {
      // Drops the cached state on this instance, as its age limit would.
      await sut.app.get(ClusterBus).publish('account:changed', { userId: account.id });
      const channel = { channel: `user:${account.id}` };
      const errorEvent = waitFor(socket, 'error');
      expect(await emitAck(socket, 'subscribe', channel)).toMatchObject({
        ok: false,
        error: { code: 'SERVICE_UNAVAILABLE' },
      });
      expect(await errorEvent).toMatchObject({ code: 'SERVICE_UNAVAILABLE', event: 'subscribe' });
      expect(await connectError(sut.url, account.token)).toBe('Service unavailable');
      expect(outage).toHaveBeenCalled();
      // The guard would have disconnected it on the turn after the refusal.
      await sleep(100);
      expect([socket.connected, disconnected]).toEqual([true, undefined]);
    } finally {
      outage.mockRestore();
    }
    // Back: the same socket and the same token work.
    expect(await emitAck(socket, 'subscribe', { channel: `user:${account.id}` })).toMatchObject({ ok: true });
    expect((await connect(sut.url, account.token)).connected).toBe(true);
  });

  it('should answer subscribe to the own user channel, and refuse others and unknown ones', async () => {
    const other = await registerUser(sut);
    const socket = await connect(sut.url, user.token);
    const subscribed = waitFor(socket, 'subscribed');
    expect(await emitAck(socket, 'subscribe', { channel: `user:${user.id}` })).toEqual({
      ok: true,
      data: { channel: `user:${user.id}` },
    });
    expect(await subscribed).toEqual({ channel: `user:${user.id}` });
    const forbidden = await emitAck(socket, 'subscribe', { channel: `user:${other.id}` });
    expect(forbidden).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    const unknown = await emitAck(socket, 'subscribe', { channel: 'nothing:here' });
    expect(unknown).toMatchObject({ ok: false, error: { code: 'UNKNOWN_CHANNEL' } });
    const malformed = await emitAck(socket, 'subscribe', { channel: 'user:not-a-uuid' });
    expect(malformed).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    const errorEvent = waitFor(socket, 'error');
    await emitAck(socket, 'subscribe', { channel: 42 });
    expect(await errorEvent).toMatchObject({ code: 'VALIDATION_FAILED', event: 'subscribe' });
    expect(await emitAck(socket, 'unsubscribe', { channel: `user:${user.id}` })).toEqual({
      ok: true,
      data: { channel: `user:${user.id}` },
    });
  });

  it('should survive malformed payloads on every core event', async () => {
    const socket = await connect(sut.url, user.token);
    const events = [
      'subscribe',
      'unsubscribe',
      'subscribe:resource',
      'subscribe:suggestions',
      'subscribe:job',
      'auth:refresh',
    ];
    const payloads: unknown[] = [
      undefined,
      null,
      'text',
      42,
      [],
      [1, 2],
      { channel: { nested: true } },
      { resourceId: 'x', jobId: 7, token: 5 },
    ];
    for (const event of events) {
      for (const payload of payloads) {
        const ack = payload === undefined ? await emitAck(socket, event) : await emitAck(socket, event, payload);
        if (event === 'subscribe:suggestions') continue; // takes no fields: any payload subscribes
        expect(ack.ok).toBe(false);
        expect(['VALIDATION_FAILED']).toContain((ack as { error: { code: string } }).error.code);
      }
    }
    socket.emit('subscribe', { channel: `user:${user.id}` }); // no ack: must not crash
    const unknown = await emitAck(socket, 'no-such-event', {});
    expect(unknown).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    expect(await emitAck(socket, 'subscribe', { channel: `user:${user.id}` })).toMatchObject({ ok: true });
    expect(socket.connected).toBe(true);
  });
});
