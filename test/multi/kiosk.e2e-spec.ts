import { DataSource } from 'typeorm';
import { KioskScheduler } from '../../src/kiosk/kiosk.scheduler.js';
import { type TestApp } from '../helpers/app.js';
import { useTwoInstances } from '../helpers/cluster.js';
import { loginAdmin, type TestUser } from '../helpers/factories.js';
import { client } from '../helpers/http.js';
import {
  createKiosk,
  KIOSK_ENV,
  KIOSK_OFFLINE_MS,
  type Kiosk,
  type Logged,
  record,
  workstationsBarrier,
} from '../helpers/kiosk.js';
import { kioskLeaveHandled } from '../helpers/kiosk-hooks.js';
import { describeMultiInstance } from '../helpers/mode.js';
import { passesBegunNow } from '../helpers/scheduler-passes.js';
import { collect, connect, emitAck, eventually, sleep, waitDisconnect, waitFor } from '../helpers/sockets.js';

const SESSION_EVENTS = ['session_started', 'time_update', 'session_warning', 'session_terminated'];

describeMultiInstance('Kiosk sessions across instances', () => {
  let a: TestApp;
  let b: TestApp;
  let admin: TestUser;

  const newKiosk = (name: string): Promise<Kiosk> => createKiosk(a, admin, name);
  const newSession = async (durationSeconds: number): Promise<any> =>
    (await client(b.url).post('/api/v1/kiosk/sessions', { token: admin.token, body: { durationSeconds } })).body;

  useTwoInstances(async (x, y) => {
    [a, b] = [x, y];
    admin = await loginAdmin(a);
  }, KIOSK_ENV);

  it('should emit each due event exactly once, to subscribers on both instances', async () => {
    const kiosk = await newKiosk('Shared');
    const session = await newSession(5);
    const watchers = [await connect(a.url, admin.token), await connect(b.url, admin.token)];
    const logs = watchers.map((watcher) => record(watcher, SESSION_EVENTS));
    for (const watcher of watchers) {
      expect(await emitAck(watcher, 'subscribe', { channel: `kiosk:session:${session.id}` })).toMatchObject({
        ok: true,
      });
    }
    const socket = await connect(a.url, kiosk.token);
    expect(await emitAck(socket, 'validate_code', { code: session.accessCode })).toMatchObject({ ok: true });
    expect(await emitAck(socket, 'start_session', { sessionId: session.id })).toMatchObject({ ok: true });

    await Promise.all(watchers.map((w) => waitFor(w, 'session_terminated', () => true, 15_000)));
    // Anything after the end would come from a later scheduler pass: one runs whole on each instance, then a barrier
    // on both watchers.
    await passesBegunNow([a, b], KioskScheduler);
    for (const watcher of watchers) {
      expect(await emitAck(watcher, 'subscribe', { channel: 'kiosk:workstations' })).toMatchObject({ ok: true });
    }
    await workstationsBarrier([a, b], admin, ...watchers);

    for (const log of logs) {
      const names = log.map((l) => l.event);
      expect(names[0]).toBe('session_started');
      expect(names[names.length - 1]).toBe('session_terminated');
      expect(names.filter((n) => n === 'session_started')).toHaveLength(1);
      expect(names.filter((n) => n === 'session_terminated')).toHaveLength(1);
      const warnings = log.filter((l) => l.event === 'session_warning').map((l) => l.payload.remainingSeconds);
      expect(warnings).toHaveLength(2);
      expect(warnings[0]).toBeGreaterThan(warnings[1]);
      // A tick sent by both instances would show the same time left twice.
      const ticks = log.filter((l) => l.event === 'time_update').map((l) => l.payload.remainingSeconds);
      expect(ticks.length).toBeGreaterThan(0);
      expect(new Set(ticks).size).toBe(ticks.length);
      expect(ticks).toEqual([...ticks].sort((x, y) => y - x));
    }
    // Both subscribers heard the same events.
    const summary = (log: Logged[]) =>
      log.map((l) => `${l.event}:${l.payload.remainingSeconds ?? l.payload.reason ?? ''}`).sort();
    expect(summary(logs[1])).toEqual(summary(logs[0]));
  }, 40_000);

  it('should count wrong codes per workstation across instances', async () => {
    const kiosk = await newKiosk('Guessing');
    const session = await newSession(60);
    const onA = await connect(a.url, kiosk.token);
    const onB = await connect(b.url, kiosk.token);
    const wrong = session.accessCode === 'AAAAAA' ? 'BBBBBB' : 'AAAAAA';
    for (const socket of [onA, onB, onA, onB, onA]) {
      expect(await emitAck(socket, 'validate_code', { code: wrong })).toMatchObject({
        ok: false,
        error: { code: 'INVALID_CODE' },
      });
    }
    expect(await emitAck(onB, 'validate_code', { code: session.accessCode })).toMatchObject({
      ok: false,
      error: { code: 'RATE_LIMITED' },
    });
  });

  it('should disconnect the sockets of a rotated token on every instance', async () => {
    const kiosk = await newKiosk('Rotated');
    const sockets = [await connect(a.url, kiosk.token), await connect(b.url, kiosk.token)];
    const gone = sockets.map((s) => waitDisconnect(s));
    const res = await client(b.url).post(`/api/v1/kiosk/workstations/${kiosk.id}/token`, { token: admin.token });
    expect(res.status).toBe(201);
    expect(await Promise.all(gone)).toEqual(['io server disconnect', 'io server disconnect']);
  });

  it('should keep a workstation online while it has a socket on any instance', async () => {
    const kiosk = await newKiosk('Roaming');
    const watcher = await connect(a.url, admin.token);
    const updates = collect(watcher, 'workstation:update');
    await emitAck(watcher, 'subscribe', { channel: 'kiosk:workstations' });
    const statuses = () => updates.filter((u) => u.workstation.id === kiosk.id).map((u) => u.workstation.status);
    const online = waitFor(watcher, 'workstation:update', (u) => u.workstation.id === kiosk.id);
    const onA = await connect(a.url, kiosk.token);
    const onB = await connect(b.url, kiosk.token);
    expect((await online).workstation.status).toBe('available');
    const handled = kioskLeaveHandled(a, kiosk.id);
    onA.close();
    // Its socket on B keeps it online. Had the leave on A started the offline countdown anyway, it would have run
    // out by then, and a scheduler pass begun after, on either instance, would have taken the workstation offline.
    await sleep((await handled) + KIOSK_OFFLINE_MS - Date.now());
    await passesBegunNow([a, b], KioskScheduler);
    await workstationsBarrier([a, b], admin, watcher);
    expect(statuses()).toEqual(['available']);
    const offline = waitFor(watcher, 'workstation:update', (u) => u.workstation.id === kiosk.id);
    onB.close();
    expect((await offline).workstation.status).toBe('offline');
  }, 30_000);

  it('should look for a silent workstation’s sockets on every instance before taking it offline', async () => {
    const [remote, orphan] = [await newKiosk('Silent on B'), await newKiosk('Silent, gone')];
    const watcher = await connect(a.url, admin.token);
    const updates = collect(watcher, 'workstation:update');
    await emitAck(watcher, 'subscribe', { channel: 'kiosk:workstations' });
    const statusOf = (id: string) => updates.filter((u) => u.workstation.id === id).map((u) => u.workstation.status);
    await connect(b.url, remote.token);
    await eventually(() => expect(statusOf(remote.id)).toEqual(['available']));
    // Both look silent; only the orphan has no socket (as when the instance that held it died).
    await a.app.get(DataSource).query(
      `UPDATE workstations SET status = 'available', offline_at = NULL, last_seen_at = now() - interval '1 hour'
         WHERE id = ANY($1::uuid[])`,
      [[remote.id, orphan.id]],
    );
    await eventually(() => expect(statusOf(orphan.id)).toEqual(['offline']), 15_000);
    // The remote one has been claimed by a silent look too (which moves last_seen_at on). Two whole passes on each
    // instance: the first ends the pass that claimed it (had it found no socket, it would have planned the offline
    // moment for now), the second runs an offline pass after that (which would have taken it offline).
    await eventually(async () => {
      const [row] = await a.app
        .get(DataSource)
        .query(`SELECT last_seen_at > now() - interval '1 minute' AS claimed FROM workstations WHERE id = $1`, [
          remote.id,
        ]);
      expect(row).toEqual({ claimed: true });
    });
    await passesBegunNow([a, b], KioskScheduler);
    await passesBegunNow([a, b], KioskScheduler);
    await workstationsBarrier([a, b], admin, watcher);
    expect(statusOf(remote.id)).toEqual(['available']);
  }, 30_000);
});
