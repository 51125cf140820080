import { AckFailure, channels } from '@realtime-hub/client';
import type { Socket } from 'socket.io-client';
import { type TestApp, startApp } from '../helpers/app.js';
import { closeAllClients, sdkClient, waitUntil } from '../helpers/client.js';
import { client as httpClient } from '../helpers/http.js';
import { registerUser, type TestUser } from '../helpers/factories.js';
import { describeE2E } from '../helpers/mode.js';
import { type Ack, closeAllSockets, collect, connect, emitAck, sleep, waitDisconnect } from '../helpers/sockets.js';

/** 5 events/s per socket, bursts of 10. */
const RATE = 5;
const BURST = 10;

/** Emits `count` subscribe events back to back and resolves with their acknowledgements, in order. */
function burst(socket: Socket, count: number, channel: string): Promise<Ack[]> {
  return Promise.all(Array.from({ length: count }, () => emitAck(socket, 'subscribe', { channel })));
}

describeE2E('Rate limit and frame size', () => {
  let sut: TestApp;
  let user: TestUser;
  let channel: string;

  beforeAll(async () => {
    sut = await startApp({ WS_RATE_LIMIT: String(RATE) });
    user = await registerUser(sut, 'Chatty User');
    channel = `user:${user.id}`;
  });
  afterEach(() => {
    closeAllSockets();
    closeAllClients();
  });
  afterAll(() => sut.close());

  it('should answer RATE_LIMITED to the events beyond the burst and keep the socket', async () => {
    const socket = await connect(sut.url, user.token);
    const errors = collect<{ code: string; event: string }>(socket, 'error');
    const acks = await burst(socket, BURST + 6, channel);
    expect(acks.slice(0, BURST).every((a) => a.ok)).toBe(true);
    const refused = acks.filter((a) => !a.ok);
    // Refill during the burst may let one or two more through; most of the excess is refused.
    expect(refused.length).toBeGreaterThanOrEqual(3);
    for (const ack of refused)
      expect(ack).toEqual({ ok: false, error: { code: 'RATE_LIMITED', message: expect.any(String) } });
    expect(errors.filter((e) => e.code === 'RATE_LIMITED' && e.event === 'subscribe')).toHaveLength(refused.length);
    // The bucket refills: after a pause the socket is served again.
    await sleep(1000);
    expect(await emitAck(socket, 'subscribe', { channel })).toMatchObject({ ok: true });
    expect(socket.connected).toBe(true);
  });

  it('should keep a socket that was refused 20 times', async () => {
    const socket = await connect(sut.url, user.token);
    // At most 20 refusals: the burst, then 20 more (refill can only lower the count).
    const acks = await burst(socket, BURST + 20, channel);
    expect(acks.filter((a) => !a.ok).length).toBeLessThanOrEqual(20);
    await sleep(500);
    expect(await emitAck(socket, 'subscribe', { channel })).toMatchObject({ ok: true });
    expect(socket.connected).toBe(true);
  });

  it('should disconnect a socket refused more than 20 times within 10 s', async () => {
    const socket = await connect(sut.url, user.token);
    const acks: Ack[] = [];
    const gone = waitDisconnect(socket);
    for (let i = 0; i < BURST + 40; i += 1) socket.emit('subscribe', { channel }, (ack: Ack) => acks.push(ack));
    expect(await gone).toBe('io server disconnect');
    expect(acks.filter((a) => !a.ok && a.error.code === 'RATE_LIMITED').length).toBeGreaterThanOrEqual(20);
    // The limit is per socket: a new socket of the same user is served.
    const again = await connect(sut.url, user.token);
    expect(await emitAck(again, 'subscribe', { channel })).toMatchObject({ ok: true });
  });

  it('should have the SDK subscribe again after RATE_LIMITED, with backoff, until every channel is in', async () => {
    // A client paced above this server's limit (set lower than the SDK's default): 15 subscriptions at once.
    const api = httpClient(sut.url);
    const created = await Promise.all(
      Array.from({ length: 15 }, (_, n) =>
        api.post('/api/v1/resources', { token: user.token, body: { name: `r${n}`, visibility: 'public', data: {} } }),
      ),
    );
    const { client, states, errors } = sdkClient(sut.url, user.token, { eventsPerSecond: 100 });
    const snapshots = new Set<string>();
    for (const res of created) {
      client.subscribe(channels.resource(res.body.id as string), { snapshot: (r) => snapshots.add(r.id) });
    }
    await waitUntil(() => snapshots.size === 15, 'a snapshot on each of the 15 channels', 15_000);
    // Some were refused at first, reported, and asked again; the socket was kept.
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((e) => e instanceof AckFailure && e.code === 'RATE_LIMITED')).toBe(true);
    expect(states).toEqual(['connecting', 'online']);
  }, 30_000);

  it('should close the connection on a frame over 64 KiB', async () => {
    const socket = await connect(sut.url, user.token);
    const gone = waitDisconnect(socket);
    socket.emit('subscribe', { channel: 'x'.repeat(70_000) });
    expect(await gone).toMatch(/^transport (close|error)$/);
  });

  it('should answer a 60 KB frame and keep the connection', async () => {
    const socket = await connect(sut.url, user.token);
    const ack = await emitAck(socket, 'subscribe', { channel: 'x'.repeat(60_000) });
    expect(ack).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    expect(socket.connected).toBe(true);
    expect(await emitAck(socket, 'subscribe', { channel })).toMatchObject({ ok: true });
  });
});
