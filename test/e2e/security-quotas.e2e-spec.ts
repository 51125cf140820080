// Attack: resources without bounds. A conversation grown without end (every message fans out to every member), a
// job flooded with events, an account opening socket after socket, a socket joining channel after channel (each one a
// room entry held in memory). Each quota is counted atomically.
import { channels as channelNames } from '@realtime-hub/client';
import type { Socket as ServerSocket } from 'socket.io';
import { RealtimeServer } from '../../src/realtime/realtime.server.js';
import { SocketQuota } from '../../src/realtime/socket-quota.js';
import { type TestApp, startApp } from '../helpers/app.js';
import { closeAllClients, sdkClient, waitUntil } from '../helpers/client.js';
import { createUsers, loginAdmin, registerUser } from '../helpers/factories.js';
import { client } from '../helpers/http.js';
import { describeE2E } from '../helpers/mode.js';
import {
  aBurstOfSocketsGetsOnlyTheLimit,
  SOCKET_LIMIT,
  socketsBeyondTheLimitAreRefused,
} from '../helpers/socket-quota-attacks.js';
import { closeAllSockets, connect, emitAck } from '../helpers/sockets.js';

// ESM specs have no global `jest` object; Jest exposes it here.
const { jest } = import.meta;

describeE2E('Security: quotas', () => {
  let sut: TestApp;
  let api: ReturnType<typeof client>;

  beforeAll(async () => {
    sut = await startApp({
      MESSAGING_MAX_MEMBERS: '4',
      JOB_MAX_EVENTS: '5',
      WS_MAX_SOCKETS_PER_USER: String(SOCKET_LIMIT),
      WS_MAX_CHANNELS_PER_SOCKET: '4',
    });
    api = client(sut.url);
  });
  afterEach(() => {
    closeAllSockets();
    closeAllClients();
  });
  afterAll(() => sut.close());

  it('should refuse a conversation created with more than MESSAGING_MAX_MEMBERS members', async () => {
    const [owner, ...others] = await createUsers(sut, 5, 'Crowd');
    const ok = await api.post('/api/v1/conversations', {
      token: owner.token,
      body: { memberIds: others.slice(0, 3).map((u) => u.id), title: 'Four' },
    });
    expect(ok.status).toBe(201);
    const refused = await api.post('/api/v1/conversations', {
      token: owner.token,
      body: { memberIds: others.map((u) => u.id), title: 'Five' },
    });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'LIMIT_EXCEEDED', details: { limit: 4 } });
  });

  it('should let concurrent additions fill a conversation up to MESSAGING_MAX_MEMBERS and no further', async () => {
    const [owner, first, ...joiners] = await createUsers(sut, 8, 'Joiner');
    const created = await api.post('/api/v1/conversations', {
      token: owner.token,
      body: { memberIds: [first.id], title: 'Growing' },
    });
    const answers = await Promise.all(
      joiners.map((u) =>
        api.post(`/api/v1/conversations/${created.body.id}/members`, { token: owner.token, body: { userIds: [u.id] } }),
      ),
    );
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 409)).toHaveLength(joiners.length - 2);
    expect(answers.filter((a) => a.status === 409).every((a) => a.body.code === 'LIMIT_EXCEEDED')).toBe(true);
    const conversation = await api.get(`/api/v1/conversations/${created.body.id}`, { token: owner.token });
    expect(conversation.body.members).toHaveLength(4);
  });

  it('should store at most JOB_MAX_EVENTS events of one job, even sent at once, the last one its end', async () => {
    const owner = await registerUser(sut, 'Job Owner');
    const job = await api.post('/api/v1/jobs', { token: owner.token, body: { name: 'flood' } });
    const events = `/api/v1/jobs/${job.body.id}/events`;
    expect((await api.post(events, { token: owner.token, body: { type: 'job_started', data: {} } })).status).toBe(201);
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        api.post(events, { token: owner.token, body: { type: 'item_scraped', data: { item: { i } } } }),
      ),
    );
    // The last place is kept for the event that ends the job: 3 of the 12 items, then its end.
    expect(answers.filter((a) => a.status === 201)).toHaveLength(3);
    expect(answers.filter((a) => a.status === 409 && a.body.code === 'LIMIT_EXCEEDED')).toHaveLength(9);
    const end = await api.post(events, { token: owner.token, body: { type: 'job_completed', data: {} } });
    expect([end.status, end.body.seq]).toEqual([201, 5]);
    // Ended and full: an event now is out of order (INVALID_TRANSITION), not over the limit.
    const late = await api.post(events, { token: owner.token, body: { type: 'item_scraped', data: { item: {} } } });
    expect([late.status, late.body.code]).toEqual([409, 'INVALID_TRANSITION']);
    const history = await api.get(`${events}?limit=100`, { token: owner.token });
    expect(history.body.items.map((e: { seq: number }) => e.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it('should refuse a socket beyond WS_MAX_SOCKETS_PER_USER with "Too many connections"', async () => {
    await socketsBeyondTheLimitAreRefused([sut], await registerUser(sut, 'Many Tabs'));
  });

  it('should admit only WS_MAX_SOCKETS_PER_USER sockets of a burst', async () => {
    await aBurstOfSocketsGetsOnlyTheLimit([sut], await registerUser(sut, 'Burst Of Tabs'));
  });

  // A client on a flaky network whose handshake drops after its place was taken: Socket.IO never connects that
  // socket, so it never leaves through handleDisconnect. Before, its place stayed taken until it expired
  // (PRESENCE_TTL_SECONDS, 30 s), and the account was refused "Too many connections" meanwhile.
  it('should give back the place of a handshake whose client closed before it connected', async () => {
    const user = await registerUser(sut, 'Flaky Network');
    const quota = sut.app.get(SocketQuota);
    const acquire = quota.acquire.bind(quota);
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    let taken!: () => void;
    const placeTaken = new Promise<void>((resolve) => (taken = resolve));
    // Holds the handshake once its place is taken, before the socket connects.
    const spy = jest.spyOn(quota, 'acquire').mockImplementationOnce(async (principal, socketId) => {
      const admitted = await acquire(principal, socketId);
      taken();
      await gate;
      return admitted;
    });
    const engine = sut.app.get(RealtimeServer).server.engine;
    const connectionClosed = new Promise<void>((resolve) =>
      engine.once('connection', (conn: ServerSocket['conn']) => conn.once('close', () => resolve())),
    );
    try {
      void connect(sut.url, user.token);
      await placeTaken;
      // The only socket this test has opened: the client gives up on it, and the server sees its connection close.
      closeAllSockets();
      await connectionClosed;
    } finally {
      open();
      spy.mockRestore();
    }
    const outcomes = await Promise.all(
      Array.from({ length: SOCKET_LIMIT }, () =>
        connect(sut.url, user.token).then(
          () => 'connected',
          (err: Error) => err.message,
        ),
      ),
    );
    expect(outcomes).toEqual(Array.from({ length: SOCKET_LIMIT }, () => 'connected'));
  });

  it('should count the sockets of a workstation the same way, apart from other principals', async () => {
    const admin = await loginAdmin(sut);
    const kiosk = await api.post('/api/v1/kiosk/workstations', { token: admin.token, body: { name: 'Tabs' } });
    for (let i = 0; i < SOCKET_LIMIT; i += 1) await connect(sut.url, kiosk.body.token);
    await expect(connect(sut.url, kiosk.body.token)).rejects.toThrow('Too many connections');
    // The admin's own places are untouched.
    await connect(sut.url, admin.token);
  });

  it('should refuse a channel beyond WS_MAX_CHANNELS_PER_SOCKET with LIMIT_EXCEEDED, counting a burst as it arrives', async () => {
    const [owner] = await createUsers(sut, 1, 'Channels');
    const created = await Promise.all(
      Array.from({ length: 5 }, (_, n) =>
        api.post('/api/v1/resources', { token: owner.token, body: { name: `r${n}`, visibility: 'public', data: {} } }),
      ),
    );
    const channels = created.map((res) => `resource:updates:${res.body.id}`);
    const socket = await connect(sut.url, owner.token);
    // Its own user room is one of the four: three more, of five asked at once.
    const answers = await Promise.all(channels.map((channel) => emitAck(socket, 'subscribe', { channel })));
    expect(answers.filter((a) => a.ok)).toHaveLength(3);
    for (const answer of answers.filter((a) => !a.ok)) {
      expect(answer).toMatchObject({ ok: false, error: { code: 'LIMIT_EXCEEDED', details: { limit: 4 } } });
    }
    // Again on a channel it holds: no new place taken, the snapshot answered.
    const held = channels.filter((_, i) => answers[i].ok);
    const refused = channels.filter((_, i) => !answers[i].ok);
    expect(await emitAck(socket, 'subscribe', { channel: held[0] })).toMatchObject({ ok: true });
    expect(await emitAck(socket, 'subscribe', { channel: refused[0] })).toMatchObject({ ok: false });
    // One left, one more.
    expect(await emitAck(socket, 'unsubscribe', { channel: held[0] })).toMatchObject({ ok: true });
    expect(await emitAck(socket, 'subscribe', { channel: refused[0] })).toMatchObject({ ok: true });

    // The client SDK hands the refusal to the subscription's error handler (a refusal it does not retry).
    const { client } = sdkClient(sut.url, owner.token);
    const snapshots: string[] = [];
    const errors: string[] = [];
    for (const res of created.slice(0, 4)) {
      client.subscribe(channelNames.resource(res.body.id as string), {
        snapshot: (resource) => snapshots.push(resource.name),
        error: (error) => errors.push(error.code),
      });
    }
    await waitUntil(() => snapshots.length + errors.length === 4, 'an answer to each subscription');
    expect(new Set(snapshots).size).toBe(3);
    expect(errors).toEqual(['LIMIT_EXCEEDED']);
  });
});
