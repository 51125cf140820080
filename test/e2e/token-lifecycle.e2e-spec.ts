import { TokenService } from '../../src/auth/token.service.js';
import { type TestApp, startApp } from '../helpers/app.js';
import { registerUser, type TestUser } from '../helpers/factories.js';
import { describeE2E } from '../helpers/mode.js';
import { closeAllSockets, connect, emitAck, eventually, sleep, waitDisconnect, waitFor } from '../helpers/sockets.js';

describeE2E('Token lifecycle', () => {
  let sut: TestApp;
  let user: TestUser;
  let other: TestUser;

  /** A token of the same account as `who` (same token version), valid for `seconds`. */
  async function tokenFor(who: TestUser, seconds: number): Promise<{ token: string; expiresAt: Date }> {
    const claims = JSON.parse(Buffer.from(who.token.split('.')[1], 'base64url').toString()) as { tv: number };
    return sut.app.get(TokenService).sign({ id: who.id, role: who.role, tokenVersion: claims.tv }, seconds);
  }

  beforeAll(async () => {
    sut = await startApp();
    user = await registerUser(sut, 'Expiring User');
    other = await registerUser(sut, 'Other User');
  });
  afterEach(() => closeAllSockets());
  afterAll(() => sut.close());

  it('should emit auth:expiring 60 s before the token expires', async () => {
    const { token, expiresAt } = await tokenFor(user, 62);
    const socket = await connect(sut.url, token);
    // 62 s token: the notice is due within about 2 s.
    const notice = await waitFor(socket, 'auth:expiring');
    expect(notice).toEqual({ expiresAt: expiresAt.toISOString() });
    expect(socket.connected).toBe(true);
  });

  it("should emit auth:expiring at once to a socket that connects in its token's last minute", async () => {
    // A reconnection 30 s before the end: before, no notice came, and the client heard of the end only from
    // TOKEN_EXPIRED, too late to renew the token.
    // Listening from before the connection, as the SDK does: the notice leaves 0.1 s after it.
    const { token, expiresAt } = await tokenFor(user, 30);
    const notices: unknown[] = [];
    const socket = await connect(sut.url, token, { listeners: { 'auth:expiring': (notice) => notices.push(notice) } });
    await eventually(() => expect(notices).toEqual([{ expiresAt: expiresAt.toISOString() }]), 2500);
    // Renewed with a token as short (a session at its maximum age): no notice again.
    const again = await tokenFor(user, 30);
    expect(await emitAck(socket, 'auth:refresh', { token: again.token })).toMatchObject({ ok: true });
    await sleep(1500);
    expect(notices).toHaveLength(1);
  });

  it('should emit TOKEN_EXPIRED and disconnect when the token expires', async () => {
    // exp has whole seconds: a 3 s token has 2 to 3 s left, room enough for the handshake on a slow machine.
    const { token } = await tokenFor(user, 3);
    const seen: string[] = [];
    const socket = await connect(sut.url, token, {
      listeners: Object.fromEntries(['auth:expiring', 'error', 'disconnect'].map((e) => [e, () => seen.push(e)])),
    });
    const error = waitFor(socket, 'error');
    expect(await waitDisconnect(socket)).toBe('io server disconnect');
    expect(await error).toEqual({ code: 'TOKEN_EXPIRED', message: expect.any(String), event: null });
    // Connected in its last minute: told at once that it is ending, then told it ended.
    expect(seen).toEqual(['auth:expiring', 'error', 'disconnect']);
  });

  it('should replace the token on auth:refresh, so the socket outlives the old expiry', async () => {
    const short = await tokenFor(user, 3);
    const socket = await connect(sut.url, short.token);
    const fresh = await tokenFor(user, 3600);
    const ack = await emitAck(socket, 'auth:refresh', { token: fresh.token });
    expect(ack).toEqual({ ok: true, data: { expiresAt: fresh.expiresAt.toISOString() } });
    const errors: unknown[] = [];
    socket.on('error', (e: unknown) => errors.push(e));
    await sleep(short.expiresAt.getTime() - Date.now() + 1500);
    expect(socket.connected).toBe(true);
    expect(errors).toEqual([]);
    expect(await emitAck(socket, 'subscribe', { channel: `user:${user.id}` })).toMatchObject({ ok: true });
  });

  it('should arm the new expiry on auth:refresh', async () => {
    const socket = await connect(sut.url, (await tokenFor(user, 3600)).token);
    const short = await tokenFor(user, 3);
    expect(await emitAck(socket, 'auth:refresh', { token: short.token })).toEqual({
      ok: true,
      data: { expiresAt: short.expiresAt.toISOString() },
    });
    const error = waitFor(socket, 'error');
    expect(await waitDisconnect(socket)).toBe('io server disconnect');
    expect(await error).toMatchObject({ code: 'TOKEN_EXPIRED' });
  });

  it("should refuse auth:refresh with another user's token with FORBIDDEN and keep the socket", async () => {
    const socket = await connect(sut.url, user.token);
    const ack = await emitAck(socket, 'auth:refresh', { token: other.token });
    expect(ack).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(socket.connected).toBe(true);
    // Still the first user: their own channel is allowed, the other's is not.
    expect(await emitAck(socket, 'subscribe', { channel: `user:${user.id}` })).toMatchObject({ ok: true });
    expect(await emitAck(socket, 'subscribe', { channel: `user:${other.id}` })).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN' },
    });
  });

  it('should refuse auth:refresh with an expired or forged token and keep the socket', async () => {
    const socket = await connect(sut.url, user.token);
    const expired = await tokenFor(user, -10);
    expect(await emitAck(socket, 'auth:refresh', { token: expired.token })).toMatchObject({
      ok: false,
      error: { code: 'TOKEN_EXPIRED' },
    });
    const [header, payload] = user.token.split('.');
    expect(await emitAck(socket, 'auth:refresh', { token: `${header}.${payload}.Zm9yZ2Vk` })).toMatchObject({
      ok: false,
      error: { code: 'UNAUTHORIZED' },
    });
    expect(socket.connected).toBe(true);
    expect(await emitAck(socket, 'subscribe', { channel: `user:${user.id}` })).toMatchObject({ ok: true });
  });

  it('should refuse a token that expired before the handshake with "Authentication failed"', async () => {
    const expired = await tokenFor(user, -10);
    await expect(connect(sut.url, expired.token)).rejects.toThrow('Authentication failed');
  });
});
