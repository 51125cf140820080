import type { Socket } from 'socket.io-client';
import { DataSource } from 'typeorm';
import { KioskSessionsRepository } from '../../src/kiosk/kiosk-sessions.repository.js';
import { KioskScheduler } from '../../src/kiosk/kiosk.scheduler.js';
import { workstationRoom } from '../../src/kiosk/kiosk-events.js';
import { WorkstationsService } from '../../src/kiosk/workstations.service.js';
import type { Principal } from '../../src/auth/principal.js';
import { ChannelService } from '../../src/realtime/channel.service.js';
import { createBackend, startApp, startInstance, type TestApp } from '../helpers/app.js';
import { loginAdmin, registerUser, type TestUser } from '../helpers/factories.js';
import { client } from '../helpers/http.js';
import { createKiosk, KIOSK_ENV, KIOSK_OFFLINE_MS, type Kiosk, record, workstationsBarrier } from '../helpers/kiosk.js';
import { kioskLeaveHandled } from '../helpers/kiosk-hooks.js';
import { describeE2E } from '../helpers/mode.js';
import { passesBegunNow } from '../helpers/scheduler-passes.js';
import {
  closeAllSockets,
  collect,
  connect,
  connectError,
  emitAck,
  eventually,
  sleep,
  waitDisconnect,
  waitFor,
} from '../helpers/sockets.js';

function decode(token: string): Record<string, any> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
}

describeE2E('Kiosk sessions', () => {
  let sut: TestApp;
  let admin: TestUser;
  let api: ReturnType<typeof client>;

  const newKiosk = (name = 'Desk'): Promise<Kiosk> => createKiosk(sut, admin, name);
  const newSession = async (durationSeconds: number, holderName?: string): Promise<any> => {
    const res = await api.post('/api/v1/kiosk/sessions', { token: admin.token, body: { durationSeconds, holderName } });
    expect(res.status).toBe(201);
    return res.body;
  };
  const adminSocket = async (...channels: string[]): Promise<Socket> => {
    const socket = await connect(sut.url, admin.token);
    for (const channel of channels) expect(await emitAck(socket, 'subscribe', { channel })).toMatchObject({ ok: true });
    return socket;
  };

  beforeAll(async () => {
    sut = await startApp(KIOSK_ENV);
    admin = await loginAdmin(sut);
    api = client(sut.url);
  });
  afterEach(() => closeAllSockets());
  afterAll(() => sut.close());

  it('should register a workstation with a 365-day kiosk token, list it, and keep it to admins', async () => {
    const res = await api.post('/api/v1/kiosk/workstations', {
      token: admin.token,
      body: { name: '  Front desk ', ipAddress: '10.0.0.7', extra: 'ignored' },
    });
    expect(res.status).toBe(201);
    expect(res.body.workstation).toEqual({
      id: expect.any(String),
      name: 'Front desk',
      ipAddress: '10.0.0.7',
      status: 'offline',
      lastSeenAt: null,
    });
    const claims = decode(res.body.token);
    expect(claims).toMatchObject({ sub: res.body.workstation.id, role: 'kiosk', tv: 0 });
    expect(claims.exp - claims.iat).toBe(365 * 86400);

    const list = await api.get('/api/v1/kiosk/workstations?limit=100', { token: admin.token });
    expect(list.status).toBe(200);
    expect(list.body.items).toContainEqual(res.body.workstation);
    expect(list.body).toHaveProperty('nextCursor');

    const bad = await api.post('/api/v1/kiosk/workstations', { token: admin.token, body: { ipAddress: 'nope' } });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('VALIDATION_FAILED');
    const user = await registerUser(sut);
    expect((await api.get('/api/v1/kiosk/workstations', { token: user.token })).status).toBe(403);
    expect(
      (await api.post('/api/v1/kiosk/sessions', { token: user.token, body: { durationSeconds: 60 } })).status,
    ).toBe(403);
    // A kiosk token is no account.
    expect((await api.get('/api/v1/auth/me', { token: res.body.token })).status).toBe(403);
    expect((await api.get('/api/v1/kiosk/sessions', { token: res.body.token })).status).toBe(403);
  });

  it('should create sessions with a fresh 6-character code, validate them, and page through them', async () => {
    for (const durationSeconds of [0, 86401, 1.5, '60']) {
      const res = await api.post('/api/v1/kiosk/sessions', { token: admin.token, body: { durationSeconds } });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
    }
    const created = await newSession(120, 'Ada');
    expect(created).toEqual({
      id: expect.any(String),
      accessCode: expect.stringMatching(/^[A-Z0-9]{6}$/),
      holderName: 'Ada',
      workstationId: null,
      durationSeconds: 120,
      remainingSeconds: 120,
      status: 'pending',
      startedAt: null,
      endsAt: null,
      endedAt: null,
      endReason: null,
    });
    const codes = new Set(
      (await Promise.all(Array.from({ length: 20 }, () => newSession(60)))).map((s) => s.accessCode),
    );
    expect(codes.size).toBe(20);

    expect((await api.get(`/api/v1/kiosk/sessions/${created.id}`, { token: admin.token })).body).toEqual(created);
    expect((await api.get('/api/v1/kiosk/sessions/not-a-uuid', { token: admin.token })).status).toBe(400);
    const missing = await api.get('/api/v1/kiosk/sessions/00000000-0000-4000-8000-000000000000', {
      token: admin.token,
    });
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('NOT_FOUND');

    const first = await api.get('/api/v1/kiosk/sessions?status=pending&limit=2', { token: admin.token });
    expect(first.body.items).toHaveLength(2);
    expect(first.body.items.every((s: any) => s.status === 'pending')).toBe(true);
    const second = await api.get(`/api/v1/kiosk/sessions?status=pending&limit=2&cursor=${first.body.nextCursor}`, {
      token: admin.token,
    });
    expect(second.body.items).toHaveLength(2);
    const ids = [...first.body.items, ...second.body.items].map((s: any) => s.id);
    expect(new Set(ids).size).toBe(4);
    expect((await api.get('/api/v1/kiosk/sessions?status=gone', { token: admin.token })).status).toBe(400);
    expect((await api.get('/api/v1/kiosk/sessions?cursor=garbage', { token: admin.token })).status).toBe(400);
  });

  it('should run the whole path from code to expiry with every event once and in order', async () => {
    const kiosk = await newKiosk('Path');
    const session = await newSession(5, 'Visitor');
    const watcher = await adminSocket('kiosk:sessions', 'kiosk:workstations', `kiosk:session:${session.id}`);
    const adminLog = record(watcher);
    const socket = await connect(sut.url, kiosk.token);
    const log = record(socket);

    const valid = await emitAck(socket, 'validate_code', {
      code: session.accessCode.toLowerCase(),
      ipAddress: '192.168.1.20',
    });
    expect(valid).toEqual({
      ok: true,
      data: { session: { ...session, workstationId: kiosk.id } },
    });
    const started = await emitAck(socket, 'start_session', { sessionId: session.id });
    expect(started).toMatchObject({ ok: true, data: { session: { status: 'active', remainingSeconds: 5 } } });
    const { startedAt, endsAt } = (started as any).data.session;
    expect(Date.parse(endsAt) - Date.parse(startedAt)).toBe(5000);

    await waitFor(socket, 'session_terminated', () => true, 15_000);
    // Nothing may follow the end. Anything late would come from a later scheduler pass: one runs whole, then
    // barriers on both sockets: the kiosk tries the ended code (code_invalid, then the refusal's error, come to its
    // socket), and another workstation comes online for the admin's.
    await passesBegunNow([sut], KioskScheduler);
    const refused = Promise.all([
      waitFor(socket, 'code_invalid'),
      waitFor(socket, 'error', (e) => e.event === 'validate_code'),
    ]);
    expect(await emitAck(socket, 'validate_code', { code: session.accessCode })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_CODE', details: { reason: 'ended' } },
    });
    expect((await refused)[0]).toEqual({ reason: 'ended' });
    await workstationsBarrier([sut], admin, watcher);

    const names = log.map((l) => l.event).filter((e) => e !== 'subscribed');
    expect(names[0]).toBe('code_valid');
    expect(names[1]).toBe('session_started');
    expect(names.slice(-3)).toEqual(['session_terminated', 'code_invalid', 'error']);
    expect(names.filter((e) => e === 'session_started')).toHaveLength(1);
    expect(names.filter((e) => e === 'session_terminated')).toHaveLength(1);
    expect(log[0].payload).toEqual({ session: { ...session, workstationId: kiosk.id } });
    expect(log.find((l) => l.event === 'session_terminated')!.payload).toEqual({
      sessionId: session.id,
      reason: 'expired',
      message: expect.any(String),
    });

    const warnings = log.filter((l) => l.event === 'session_warning').map((l) => l.payload);
    expect(warnings.map((w) => w.sessionId)).toEqual([session.id, session.id]);
    const [early, late] = warnings.map((w) => w.remainingSeconds);
    expect(early).toBeLessThanOrEqual(3);
    expect(early).toBeGreaterThan(1);
    expect(late).toBe(1);

    const ticks = log.filter((l) => l.event === 'time_update').map((l) => l.payload);
    expect(ticks.length).toBeGreaterThan(0);
    for (const tick of ticks) {
      expect(tick).toEqual({
        sessionId: session.id,
        remainingSeconds: expect.any(Number),
        remainingMinutes: 1,
        percentUsed: expect.any(Number),
        status: 'active',
      });
      expect(tick.percentUsed).toBe(Math.floor(((5 - tick.remainingSeconds) / 5) * 100));
    }
    const remaining = ticks.map((t) => t.remainingSeconds);
    expect(remaining).toEqual([...remaining].sort((a, b) => b - a));
    expect(new Set(remaining).size).toBe(remaining.length);
    expect(Math.min(...remaining)).toBeGreaterThanOrEqual(1);

    // The admin heard the same channel events, and each change of the session once, in order.
    const adminTerminated = adminLog.filter((l) => l.event === 'session_terminated');
    expect(adminTerminated).toHaveLength(1);
    const updates = adminLog.filter((l) => l.event === 'session:update').map((l) => l.payload.session);
    expect(updates.map((s) => [s.status, s.workstationId])).toEqual([
      ['pending', kiosk.id],
      ['active', kiosk.id],
      ['ended', kiosk.id],
    ]);
    expect(updates[2]).toMatchObject({ endReason: 'expired', endedAt: endsAt, remainingSeconds: 0 });
    const statuses = adminLog
      .filter((l) => l.event === 'workstation:update' && l.payload.workstation.id === kiosk.id)
      .map((l) => l.payload.workstation.status);
    expect(statuses).toEqual(['available', 'available', 'occupied', 'available']);
    const ws = (await api.get('/api/v1/kiosk/workstations?limit=100', { token: admin.token })).body.items.find(
      (w: any) => w.id === kiosk.id,
    );
    expect(ws).toMatchObject({ status: 'available', ipAddress: '192.168.1.20', lastSeenAt: expect.any(String) });

    const after = (await api.get(`/api/v1/kiosk/sessions/${session.id}`, { token: admin.token })).body;
    expect(after).toMatchObject({ status: 'ended', endReason: 'expired', remainingSeconds: 0, endedAt: endsAt });
  }, 40_000);

  it('should answer get_time and heartbeat, and close a session on request', async () => {
    const kiosk = await newKiosk();
    const session = await newSession(600);
    const socket = await connect(sut.url, kiosk.token);
    await emitAck(socket, 'validate_code', { code: session.accessCode });

    const pendingTime = await emitAck(socket, 'get_time', { sessionId: session.id });
    expect(pendingTime).toEqual({
      ok: true,
      data: { sessionId: session.id, remainingSeconds: 600, remainingMinutes: 10, percentUsed: 0, status: 'pending' },
    });
    await emitAck(socket, 'start_session', { sessionId: session.id });
    const pushed = waitFor(socket, 'time_update');
    const time = await emitAck(socket, 'get_time', { sessionId: session.id });
    expect(time).toMatchObject({ ok: true, data: { sessionId: session.id, status: 'active', remainingMinutes: 10 } });
    expect(await pushed).toEqual((time as any).data);

    const beat = await emitAck(socket, 'heartbeat', {});
    expect(beat.ok).toBe(true);
    expect(Math.abs(Date.parse((beat as any).data.serverTime) - Date.now())).toBeLessThan(60_000);

    const terminated = waitFor(socket, 'session_terminated');
    const ended = await emitAck(socket, 'end_session', { sessionId: session.id });
    expect(ended).toMatchObject({
      ok: true,
      data: { session: { id: session.id, status: 'ended', endReason: 'closed', remainingSeconds: 0 } },
    });
    expect(await terminated).toEqual({ sessionId: session.id, reason: 'closed', message: expect.any(String) });
    expect(await emitAck(socket, 'end_session', { sessionId: session.id })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_TRANSITION' },
    });
    expect(await emitAck(socket, 'start_session', { sessionId: session.id })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_TRANSITION' },
    });
    for (const [event, payload] of [
      ['start_session', { sessionId: 'nope' }],
      ['get_time', {}],
      ['validate_code', { code: 42 }],
      ['validate_code', { code: 'ABCDEF', ipAddress: 'not-an-ip' }],
    ] as const) {
      expect(await emitAck(socket, event, payload)).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    }
    expect(await emitAck(socket, 'get_time', { sessionId: '00000000-0000-4000-8000-000000000000' })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    });
  });

  it('should refuse codes that are unknown, in use elsewhere or ended, with their reason', async () => {
    const [a, b] = [await newKiosk('A'), await newKiosk('B')];
    const session = await newSession(60);
    const socketA = await connect(sut.url, a.token);
    const socketB = await connect(sut.url, b.token);
    expect(await emitAck(socketA, 'validate_code', { code: session.accessCode })).toMatchObject({ ok: true });

    const inUse = waitFor(socketB, 'code_invalid');
    const refused = await emitAck(socketB, 'validate_code', { code: session.accessCode });
    expect(refused).toMatchObject({ ok: false, error: { code: 'INVALID_CODE', details: { reason: 'in_use' } } });
    expect(await inUse).toEqual({ reason: 'in_use' });

    const unknown = waitFor(socketB, 'code_invalid');
    expect(await emitAck(socketB, 'validate_code', { code: 'not a code' })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_CODE' },
    });
    expect(await unknown).toEqual({ reason: 'unknown' });

    await api.post(`/api/v1/kiosk/sessions/${session.id}/terminate`, { token: admin.token });
    const ended = waitFor(socketB, 'code_invalid');
    await emitAck(socketB, 'validate_code', { code: session.accessCode });
    expect(await ended).toEqual({ reason: 'ended' });
  });

  it('should tell a kiosk of a terminate sent while its code was being bound, after code_valid', async () => {
    const kiosk = await newKiosk('Racing');
    const session = await newSession(60);
    const socket = await connect(sut.url, kiosk.token);
    const log = record(socket);
    // The admin's terminate leaves right after the bind statement, before validate_code goes on: it must wait for the
    // bind's commit, and what it publishes must reach the socket, which joined the session's channel by then.
    const repository = sut.app.get(KioskSessionsRepository);
    const bind = Object.getPrototypeOf(repository).bindByCode as KioskSessionsRepository['bindByCode'];
    let terminated: Promise<unknown> | undefined;
    repository.bindByCode = async (...args: Parameters<KioskSessionsRepository['bindByCode']>) => {
      delete (repository as Partial<KioskSessionsRepository>).bindByCode;
      const row = await bind.apply(repository, args);
      terminated = api.post(`/api/v1/kiosk/sessions/${session.id}/terminate`, { token: admin.token });
      await sleep(200);
      return row;
    };
    const heard = waitFor(socket, 'session_terminated', (t) => t.sessionId === session.id, 5000);
    expect(await emitAck(socket, 'validate_code', { code: session.accessCode })).toMatchObject({ ok: true });
    expect(await terminated).toMatchObject({ status: 200, body: { status: 'ended', endReason: 'admin' } });
    await heard;
    expect(log.map((l) => l.event).filter((e) => e !== 'subscribed')).toEqual(['code_valid', 'session_terminated']);
  });

  it('should refuse the sixth attempt within a minute after five wrong codes, right or wrong', async () => {
    const [attacker, other] = [await newKiosk('Attacker'), await newKiosk('Other')];
    const session = await newSession(60);
    const socket = await connect(sut.url, attacker.token);
    const wrong = session.accessCode === 'AAAAAA' ? 'BBBBBB' : 'AAAAAA';
    for (let i = 0; i < 5; i += 1) {
      expect(await emitAck(socket, 'validate_code', { code: wrong })).toMatchObject({
        ok: false,
        error: { code: 'INVALID_CODE' },
      });
    }
    expect(await emitAck(socket, 'validate_code', { code: session.accessCode })).toMatchObject({
      ok: false,
      error: { code: 'RATE_LIMITED' },
    });
    // Counted per workstation: another one is not held back.
    const otherSocket = await connect(sut.url, other.token);
    expect(await emitAck(otherSocket, 'validate_code', { code: session.accessCode })).toMatchObject({ ok: true });
  });

  it("should keep a kiosk to its own workstation's sessions and users out of kiosk events", async () => {
    const [owner, stranger] = [await newKiosk('Owner'), await newKiosk('Stranger')];
    const session = await newSession(60);
    const ownerSocket = await connect(sut.url, owner.token);
    const strangerSocket = await connect(sut.url, stranger.token);
    await emitAck(ownerSocket, 'validate_code', { code: session.accessCode });

    for (const event of ['start_session', 'get_time', 'end_session']) {
      expect(await emitAck(strangerSocket, event, { sessionId: session.id })).toMatchObject({
        ok: false,
        error: { code: 'FORBIDDEN' },
      });
    }
    expect(await emitAck(strangerSocket, 'subscribe', { channel: `kiosk:session:${session.id}` })).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN' },
    });
    expect(await emitAck(strangerSocket, 'subscribe', { channel: 'kiosk:sessions' })).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN' },
    });
    const own = await emitAck(ownerSocket, 'subscribe', { channel: `kiosk:session:${session.id}` });
    expect(own).toMatchObject({ ok: true, data: { snapshot: { id: session.id, workstationId: owner.id } } });

    const user = await registerUser(sut);
    const userSocket = await connect(sut.url, user.token);
    for (const event of ['validate_code', 'start_session', 'get_time', 'end_session', 'heartbeat']) {
      expect(await emitAck(userSocket, event, { code: session.accessCode, sessionId: session.id })).toMatchObject({
        ok: false,
        error: { code: 'FORBIDDEN' },
      });
    }
    for (const channel of ['kiosk:sessions', 'kiosk:workstations', `kiosk:session:${session.id}`]) {
      expect(await emitAck(userSocket, 'subscribe', { channel })).toMatchObject({
        ok: false,
        error: { code: 'FORBIDDEN' },
      });
    }
    const adminSock = await connect(sut.url, admin.token);
    expect(await emitAck(adminSock, 'validate_code', { code: session.accessCode })).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN' },
    });
    expect(await emitAck(adminSock, 'subscribe', { channel: 'kiosk:session:not-a-uuid' })).toMatchObject({
      ok: false,
      error: { code: 'VALIDATION_FAILED' },
    });
    expect(
      await emitAck(adminSock, 'subscribe', { channel: 'kiosk:session:00000000-0000-4000-8000-000000000000' }),
    ).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  });

  it('should extend and terminate at once, planning warnings again when an extend moves them ahead', async () => {
    const kiosk = await newKiosk('Extend');
    const session = await newSession(4);
    const watcher = await adminSocket(`kiosk:session:${session.id}`);
    const warnings = collect(watcher, 'session_warning');
    const socket = await connect(sut.url, kiosk.token);
    await emitAck(socket, 'validate_code', { code: session.accessCode });

    // A pending session gets a longer duration.
    const pending = await api.post(`/api/v1/kiosk/sessions/${session.id}/extend`, {
      token: admin.token,
      body: { seconds: 1 },
    });
    expect(pending.status).toBe(200);
    expect(pending.body).toMatchObject({ status: 'pending', durationSeconds: 5, remainingSeconds: 5, endsAt: null });

    const started = (await emitAck(socket, 'start_session', { sessionId: session.id })) as any;
    await waitFor(watcher, 'session_warning', (w) => w.remainingSeconds <= 3, 10_000);
    const update = waitFor(watcher, 'time_update', (t) => t.remainingSeconds > 5);
    const extended = await api.post(`/api/v1/kiosk/sessions/${session.id}/extend`, {
      token: admin.token,
      body: { seconds: 6 },
    });
    expect(extended.status).toBe(200);
    expect(extended.body).toMatchObject({ status: 'active', durationSeconds: 11 });
    expect(Date.parse(extended.body.endsAt) - Date.parse(started.data.session.endsAt)).toBe(6000);
    expect(await update).toMatchObject({ sessionId: session.id, status: 'active' });

    // The 3-second threshold is ahead again: it warns a second time.
    await waitFor(watcher, 'session_warning', (w) => w.remainingSeconds <= 3 && warnings.length >= 2, 15_000);
    expect(warnings.filter((w) => w.remainingSeconds > 1).length).toBe(2);

    const terminated = waitFor(watcher, 'session_terminated');
    const ended = await api.post(`/api/v1/kiosk/sessions/${session.id}/terminate`, { token: admin.token });
    expect(ended.status).toBe(200);
    expect(ended.body).toMatchObject({ status: 'ended', endReason: 'admin', remainingSeconds: 0 });
    expect(await terminated).toEqual({ sessionId: session.id, reason: 'admin', message: expect.any(String) });

    for (const action of ['terminate', 'extend']) {
      const res = await api.post(`/api/v1/kiosk/sessions/${session.id}/${action}`, {
        token: admin.token,
        body: { seconds: 10 },
      });
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('INVALID_TRANSITION');
    }
    const invalid = await api.post(`/api/v1/kiosk/sessions/${session.id}/extend`, {
      token: admin.token,
      body: { seconds: 0 },
    });
    expect(invalid.status).toBe(400);
  }, 40_000);

  it('should refuse a second active session on one workstation', async () => {
    const kiosk = await newKiosk('Busy');
    const [first, second] = [await newSession(60), await newSession(60)];
    const socket = await connect(sut.url, kiosk.token);
    await emitAck(socket, 'validate_code', { code: first.accessCode });
    await emitAck(socket, 'validate_code', { code: second.accessCode });
    expect(await emitAck(socket, 'start_session', { sessionId: first.id })).toMatchObject({ ok: true });
    expect(await emitAck(socket, 'start_session', { sessionId: second.id })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_TRANSITION' },
    });
    await emitAck(socket, 'end_session', { sessionId: first.id });
    expect(await emitAck(socket, 'start_session', { sessionId: second.id })).toMatchObject({ ok: true });
  });

  it('should rotate a workstation token: older tokens fail at once and their sockets are disconnected', async () => {
    const kiosk = await newKiosk('Rotate');
    const socket = await connect(sut.url, kiosk.token);
    const gone = waitDisconnect(socket);
    const rotated = await api.post(`/api/v1/kiosk/workstations/${kiosk.id}/token`, { token: admin.token });
    expect(rotated.status).toBe(201);
    expect(decode(rotated.body.token)).toMatchObject({ sub: kiosk.id, role: 'kiosk', tv: 1 });
    expect(await gone).toBe('io server disconnect');
    expect(await connectError(sut.url, kiosk.token)).toBe('Authentication failed');
    const fresh = await connect(sut.url, rotated.body.token);
    expect(await emitAck(fresh, 'heartbeat', {})).toMatchObject({ ok: true });
    const missing = await api.post('/api/v1/kiosk/workstations/00000000-0000-4000-8000-000000000000/token', {
      token: admin.token,
    });
    expect(missing.status).toBe(404);
  });

  it('should mark a workstation offline after its last socket leaves, and available when it is back', async () => {
    const kiosk = await newKiosk('Presence');
    const watcher = await adminSocket('kiosk:workstations');
    const updates = collect(watcher, 'workstation:update');
    const statusOf = () => updates.filter((u) => u.workstation.id === kiosk.id).map((u) => u.workstation.status);

    const first = await connect(sut.url, kiosk.token);
    const second = await connect(sut.url, kiosk.token);
    await eventually(() => expect(statusOf()).toEqual(['available']));
    const handled = kioskLeaveHandled(sut, kiosk.id);
    first.close();
    // One socket is still there. Had the leave started the offline countdown anyway, it would have run out by
    // then, and a scheduler pass begun after would have taken the workstation offline.
    await sleep((await handled) + KIOSK_OFFLINE_MS - Date.now());
    await passesBegunNow([sut], KioskScheduler);
    await workstationsBarrier([sut], admin, watcher);
    expect(statusOf()).toEqual(['available']);
    second.close();
    await eventually(() => expect(statusOf()).toEqual(['available', 'offline']));
    await connect(sut.url, kiosk.token);
    await eventually(() => expect(statusOf()).toEqual(['available', 'offline', 'available']));
  }, 30_000);

  it('should keep online a workstation whose kiosk came back while its offline check was looking for its sockets', async () => {
    const kiosk = await newKiosk('Flapping');
    const watcher = await adminSocket('kiosk:workstations');
    const updates = collect(watcher, 'workstation:update');
    const statusOf = () => updates.filter((u) => u.workstation.id === kiosk.id).map((u) => u.workstation.status);
    const first = await connect(sut.url, kiosk.token);
    await eventually(() => expect(statusOf()).toEqual(['available']));
    const handled = kioskLeaveHandled(sut, kiosk.id);
    first.close();
    await handled;

    // The offline pass claims the moment and looks for the workstation's sockets: none. The kiosk connects again
    // right after that look (and is marked connected) before the pass acts on what it found.
    const rooms = sut.app.get(ChannelService);
    const workstations = sut.app.get(WorkstationsService);
    const lookUp = Object.getPrototypeOf(rooms).principalsIn as ChannelService['principalsIn'];
    const markConnected = Object.getPrototypeOf(workstations).connected as WorkstationsService['connected'];
    let back: Promise<void> | undefined;
    const checked = new Promise<void>((resolve, reject) => {
      rooms.principalsIn = async (asked: string | string[]): Promise<Principal[]> => {
        if (asked !== workstationRoom(kiosk.id)) return lookUp.call(rooms, asked);
        delete (rooms as Partial<Pick<ChannelService, 'principalsIn'>>).principalsIn;
        try {
          const found = await lookUp.call(rooms, asked);
          const connected = new Promise<void>((done) => {
            workstations.connected = async (actor: Principal): Promise<void> => {
              await markConnected.call(workstations, actor);
              if (actor.id !== kiosk.id) return;
              delete (workstations as Partial<Pick<WorkstationsService, 'connected'>>).connected;
              done();
            };
          });
          back = connect(sut.url, kiosk.token).then(() => undefined);
          await Promise.all([back, connected]);
          resolve();
          return found;
        } catch (err) {
          reject(err as Error);
          throw err;
        }
      };
    });
    await checked;
    await back;
    await passesBegunNow([sut], KioskScheduler);
    await workstationsBarrier([sut], admin, watcher);
    expect(statusOf()).toEqual(['available']);
    const [row] = await sut.app.get(DataSource).query(`SELECT status FROM workstations WHERE id = $1`, [kiosk.id]);
    expect(row).toEqual({ status: 'available' });
  }, 30_000);

  it('should take offline a workstation left online by an instance that died, and keep one with a socket', async () => {
    const [orphan, live] = [await newKiosk('Orphaned'), await newKiosk('Alive')];
    const watcher = await adminSocket('kiosk:workstations');
    const updates = collect(watcher, 'workstation:update');
    const statusOf = (id: string) => updates.filter((u) => u.workstation.id === id).map((u) => u.workstation.status);
    await connect(sut.url, live.token);
    await eventually(() => expect(statusOf(live.id)).toEqual(['available']));
    // What a crash leaves: online, not heard from for a while, no socket anywhere, no disconnect ever ran.
    const dataSource = sut.app.get(DataSource);
    await dataSource.query(
      `UPDATE workstations SET status = 'available', offline_at = NULL, last_seen_at = now() - interval '1 hour'
       WHERE id = ANY($1::uuid[])`,
      [[orphan.id, live.id]],
    );
    await eventually(() => expect(statusOf(orphan.id)).toEqual(['offline']), 15_000);
    expect(statusOf(live.id)).toEqual(['available']);
    const [row] = await dataSource.query(
      `SELECT status, last_seen_at > now() - interval '1 minute' AS seen FROM workstations WHERE id = $1`,
      [live.id],
    );
    expect(row).toEqual({ status: 'available', seen: true });
  }, 30_000);
});

describeE2E('Kiosk sessions across a restart', () => {
  afterEach(() => closeAllSockets());

  it('should end a session that ran out while down once (expired) and keep the deadline of a running one', async () => {
    const backend = await createBackend();
    let instance = await startInstance(backend, KIOSK_ENV);
    try {
      let api = client(instance.url);
      let admin = await loginAdmin(instance);
      const kiosks = [await createKiosk(instance, admin, 'Short'), await createKiosk(instance, admin, 'Long')];
      const sessions: any[] = [];
      // The long one must outlast the restart, which takes several seconds on a busy machine.
      for (const [i, durationSeconds] of [2, 20].entries()) {
        const session = (await api.post('/api/v1/kiosk/sessions', { token: admin.token, body: { durationSeconds } }))
          .body;
        const socket = await connect(instance.url, kiosks[i].token);
        await emitAck(socket, 'validate_code', { code: session.accessCode });
        sessions.push(((await emitAck(socket, 'start_session', { sessionId: session.id })) as any).data.session);
      }
      closeAllSockets();
      await instance.close();
      await sleep(3000); // past the short session's deadline

      instance = await startInstance(backend, KIOSK_ENV);
      api = client(instance.url);
      admin = await loginAdmin(instance);
      const [short, long] = sessions;
      await eventually(async () => {
        const res = await api.get(`/api/v1/kiosk/sessions/${short.id}`, { token: admin.token });
        expect(res.body.status).toBe('ended');
      });
      const watcher = await connect(instance.url, admin.token);
      const terminated = collect(watcher, 'session_terminated');
      const snapshot = await emitAck(watcher, 'subscribe', { channel: `kiosk:session:${short.id}` });
      expect(snapshot).toMatchObject({
        ok: true,
        data: { snapshot: { status: 'ended', endReason: 'expired', endedAt: short.endsAt, remainingSeconds: 0 } },
      });
      const running = await emitAck(watcher, 'subscribe', { channel: `kiosk:session:${long.id}` });
      expect(running).toMatchObject({ ok: true, data: { snapshot: { status: 'active', endsAt: long.endsAt } } });

      await waitFor(watcher, 'session_terminated', (t) => t.sessionId === long.id, 30_000);
      // A second end would come from a later scheduler pass: one runs whole, then a barrier.
      await passesBegunNow([instance], KioskScheduler);
      expect(await emitAck(watcher, 'subscribe', { channel: 'kiosk:workstations' })).toMatchObject({ ok: true });
      await workstationsBarrier([instance], admin, watcher);
      expect(terminated.filter((t) => t.sessionId === long.id)).toEqual([
        { sessionId: long.id, reason: 'expired', message: expect.any(String) },
      ]);
      // The short session's one termination may still reach a watcher that joined between its commit and its
      // publication (the snapshot already said "ended"); never twice.
      expect(terminated.filter((t) => t.sessionId === short.id).length).toBeLessThanOrEqual(1);
      const ended = (await api.get(`/api/v1/kiosk/sessions/${long.id}`, { token: admin.token })).body;
      expect(ended).toMatchObject({ status: 'ended', endReason: 'expired', endedAt: long.endsAt });
    } finally {
      closeAllSockets();
      await instance.close();
      await backend.dispose();
    }
  }, 90_000);
});
