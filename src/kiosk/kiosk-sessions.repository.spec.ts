// The statements that carry the kiosk's exactly-once rules, on a real database: Postgres with TEST_DATABASE_URL
// (concurrent claims wait on each other's row locks), else embedded PGlite (see test/helpers/test-database.ts).
// Times are moved with plain UPDATEs here (a session "started 560 s ago"), since every claim compares with now().
import { randomBytes } from 'node:crypto';
import { openTestDatabase, type TestDatabase, testDatabaseKind } from '../../test/helpers/test-database.js';
import { isUniqueViolation } from '../database/query-results.js';
import {
  KioskSessionsRepository,
  LIVE_CODE_INDEX,
  ONE_ACTIVE_INDEX,
  type SessionRow,
} from './kiosk-sessions.repository.js';
import { WorkstationsRepository } from './workstations.repository.js';

/** A code no other session of this file holds (6 of A-Z0-9, as the service draws them). */
const freshCode = (): string => randomBytes(6).toString('hex').slice(0, 6).toUpperCase();

describe(`${KioskSessionsRepository.name} [${testDatabaseKind}]`, () => {
  let db: TestDatabase;
  let sut: KioskSessionsRepository;
  let workstations: WorkstationsRepository;

  beforeAll(async () => {
    db = await openTestDatabase(4);
    sut = new KioskSessionsRepository();
    workstations = new WorkstationsRepository();
  }, 120_000);

  afterAll(() => db?.close());

  // The claims act on every due row of the table: each case starts from an empty one.
  beforeEach(async () => {
    await db.dataSource.query(`DELETE FROM kiosk_sessions`);
    await db.dataSource.query(`DELETE FROM workstations`);
  });

  const manager = () => db.dataSource.manager;

  async function workstation(): Promise<string> {
    return (await workstations.insert(manager(), `Desk ${freshCode()}`, null)).id;
  }

  async function pending(durationSeconds = 600, code = freshCode()): Promise<SessionRow> {
    return sut.insert(manager(), code, null, durationSeconds);
  }

  /** A session bound to `workstationId` and started as the service starts it: locked, then started. */
  async function active(workstationId: string, durationSeconds = 600, armed: number[] = []): Promise<SessionRow> {
    const session = await pending(durationSeconds);
    expect(await sut.bindByCode(manager(), session.access_code, workstationId)).toBeDefined();
    return db.uow.run(async ({ manager: m }) => {
      expect((await sut.lock(m, session.id))?.status).toBe('pending');
      return sut.start(m, session.id, 5, armed);
    });
  }

  /** Moves a session's whole timeline `seconds` into the past. */
  async function shiftBack(sessionId: string, seconds: number): Promise<void> {
    await db.dataSource.query(
      `UPDATE kiosk_sessions SET started_at = started_at - make_interval(secs => $2),
         ends_at = ends_at - make_interval(secs => $2), next_tick_at = next_tick_at - make_interval(secs => $2),
         next_warning_at = next_warning_at - make_interval(secs => $2)
       WHERE id = $1`,
      [sessionId, seconds],
    );
  }

  async function moments(sessionId: string) {
    const rows: {
      warnings_left: number[];
      next_warning_at: Date | null;
      next_tick_at: Date | null;
      started_at: Date;
      ends_at: Date;
      now: Date;
    }[] = await db.dataSource.query(
      `SELECT warnings_left, next_warning_at, next_tick_at, started_at, ends_at, now() AS now
       FROM kiosk_sessions WHERE id = $1`,
      [sessionId],
    );
    return rows[0];
  }

  const ids = (rows: SessionRow[]) => rows.map((r) => r.id).sort();

  describe('due', () => {
    const nothing = { sessions: false, offline: false };
    const sessionsDue = { sessions: true, offline: false };

    it('should tell when an end, a warning or a tick of an active session is due, and not once it is claimed', async () => {
      const [w1, w2] = [await workstation(), await workstation()];
      await pending();
      const ticking = await active(w1, 600);
      expect(await sut.due(manager())).toEqual(nothing);

      await shiftBack(ticking.id, 6);
      expect(await sut.due(manager())).toEqual(sessionsDue);
      expect(ids(await sut.tickDue(manager(), 5))).toEqual([ticking.id]);
      expect(await sut.due(manager())).toEqual(nothing);

      const warned = await active(w2, 600, [60]);
      await shiftBack(warned.id, 541);
      expect(await sut.due(manager())).toEqual(sessionsDue);
      expect(ids(await sut.warnDue(manager()))).toEqual([warned.id]);
      await sut.tickDue(manager(), 5);
      expect(await sut.due(manager())).toEqual(nothing);

      await shiftBack(ticking.id, 600);
      expect(await sut.due(manager())).toEqual(sessionsDue);
      expect(ids(await sut.expireDue(manager()))).toEqual([ticking.id]);
      await sut.tickDue(manager(), 5);
      expect(await sut.due(manager())).toEqual(nothing);
    });

    it("should tell when a workstation's offline moment has come, and not once it is claimed", async () => {
      const id = await workstation();
      await workstations.retryOffline(manager(), id);
      expect(await sut.due(manager())).toEqual({ sessions: false, offline: true });
      expect((await workstations.claimOfflineDue(manager())).map((c) => c.id)).toEqual([id]);
      expect(await sut.due(manager())).toEqual(nothing);
    });
  });

  describe('expireDue', () => {
    it('should end each active session past its end once, at its deadline, and leave the others', async () => {
      const [w1, w2, w3] = [await workstation(), await workstation(), await workstation()];
      const due1 = await active(w1);
      const due2 = await active(w2);
      const running = await active(w3);
      const waiting = await pending();
      await shiftBack(due1.id, 601);
      await shiftBack(due2.id, 700);
      await shiftBack(running.id, 300);
      const { ends_at: deadline } = await moments(due1.id);

      // Two passes at once (two instances): each due session comes back from exactly one of them.
      const [first, second] = await Promise.all([sut.expireDue(manager()), sut.expireDue(manager())]);
      expect(ids([...first, ...second])).toEqual([due1.id, due2.id].sort());

      const ended = [...first, ...second].find((r) => r.id === due1.id)!;
      expect(ended).toMatchObject({
        status: 'ended',
        end_reason: 'expired',
        version: due1.version + 1,
        event_seq: due1.event_seq + 1,
      });
      expect(ended.ended_at!.getTime()).toBe(deadline.getTime());
      expect(await sut.expireDue(manager())).toEqual([]);
      expect((await sut.find(manager(), running.id))?.status).toBe('active');
      expect((await sut.find(manager(), waiting.id))?.status).toBe('pending');
      // Nothing of an ended session is due any more.
      expect(await moments(due1.id)).toMatchObject({ warnings_left: [], next_warning_at: null, next_tick_at: null });
    });
  });

  describe('warnDue', () => {
    it('should send the thresholds that came due as one warning, once, and plan the next one ahead', async () => {
      const session = await active(await workstation(), 600, [300, 60, 30]);
      expect(await moments(session.id)).toMatchObject({ warnings_left: [300, 60, 30] });
      // 40 s left: the 300 s and 60 s moments have passed (one warning stands for both), the 30 s one is ahead.
      await shiftBack(session.id, 560);

      const [first, second] = await Promise.all([sut.warnDue(manager()), sut.warnDue(manager())]);
      expect(ids([...first, ...second])).toEqual([session.id]);
      const warned = [...first, ...second][0];
      expect(warned).toMatchObject({ version: session.version, event_seq: session.event_seq + 1 });

      const after = await moments(session.id);
      expect(after.warnings_left).toEqual([30]);
      expect(after.next_warning_at!.getTime()).toBe(after.ends_at.getTime() - 30_000);
      expect(await sut.warnDue(manager())).toEqual([]);

      // The last threshold comes due: warned once more, and nothing is planned after it.
      await shiftBack(session.id, 15);
      expect(ids(await sut.warnDue(manager()))).toEqual([session.id]);
      expect(await moments(session.id)).toMatchObject({ warnings_left: [], next_warning_at: null });
      expect(await sut.warnDue(manager())).toEqual([]);
    });

    it('should not warn a session whose end has come (expiry has it)', async () => {
      const session = await active(await workstation(), 600, [60]);
      await shiftBack(session.id, 600);
      expect(await sut.warnDue(manager())).toEqual([]);
      expect(ids(await sut.expireDue(manager()))).toEqual([session.id]);
    });
  });

  describe('tickDue', () => {
    it('should claim a due tick once and move it to the next multiple of the period after now', async () => {
      const session = await active(await workstation());
      // Started 12.5 s ago with a 5 s period: the ticks at 5 s and 10 s were missed; the next is at 15 s.
      await shiftBack(session.id, 12.5);

      const [first, second] = await Promise.all([sut.tickDue(manager(), 5), sut.tickDue(manager(), 5)]);
      expect(ids([...first, ...second])).toEqual([session.id]);
      expect([...first, ...second][0]).toMatchObject({ version: session.version, event_seq: session.event_seq + 1 });

      const after = await moments(session.id);
      expect(after.next_tick_at!.getTime()).toBe(after.started_at.getTime() + 15_000);
      expect(after.next_tick_at!.getTime()).toBeGreaterThan(after.now.getTime());
      expect(await sut.tickDue(manager(), 5)).toEqual([]);
    });

    it('should not tick a pending session nor one whose end has come', async () => {
      await pending();
      const over = await active(await workstation(), 30);
      await shiftBack(over.id, 31);
      expect(await sut.tickDue(manager(), 5)).toEqual([]);
    });
  });

  describe('end', () => {
    it('should end now for a reason, and at the deadline for `expired`', async () => {
      const closed = await active(await workstation());
      const ranOut = await active(await workstation());
      await shiftBack(ranOut.id, 601);
      const { ends_at: deadline } = await moments(ranOut.id);

      const first = await sut.end(manager(), closed.id, 'closed');
      expect(first).toMatchObject({ status: 'ended', end_reason: 'closed', event_seq: closed.event_seq + 1 });
      expect(first.ended_at!.getTime()).toBe(first.db_now.getTime());
      const second = await sut.end(manager(), ranOut.id, 'expired');
      expect(second).toMatchObject({ status: 'ended', end_reason: 'expired' });
      expect(second.ended_at!.getTime()).toBe(deadline.getTime());
      expect(await moments(ranOut.id)).toMatchObject({ warnings_left: [], next_warning_at: null, next_tick_at: null });
    });
  });

  describe('claims scoped to some workstations (an instance cut off from the others)', () => {
    it('should take the moments of those workstations, and of the others only once overdue by the grace', async () => {
      const mine = await active(await workstation(), 600, [60]);
      const fresh = await active(await workstation(), 600, [60]);
      const stale = await active(await workstation(), 600, [60]);
      const scope = { workstationIds: [mine.workstation_id!], overdueSeconds: 2 };
      const step = async (seconds: number) => {
        for (const id of [mine.id, fresh.id]) await shiftBack(id, seconds);
        // The third session's moments have been due for 3 s longer.
        await shiftBack(stale.id, seconds === 5.5 ? seconds + 3 : seconds);
      };

      // Ticks of a 5 s period: due 0.5 s ago, and 3.5 s ago on the third.
      await step(5.5);
      expect(ids(await sut.tickDue(manager(), 5, scope))).toEqual([mine.id, stale.id].sort());
      expect(ids(await sut.tickDue(manager(), 5))).toEqual([fresh.id]);
      // The 60 s warning: due 0.5 s ago.
      await step(535);
      expect(ids(await sut.warnDue(manager(), scope))).toEqual([mine.id, stale.id].sort());
      expect(ids(await sut.warnDue(manager()))).toEqual([fresh.id]);
      // The end: 0.5 s ago.
      await step(60);
      expect(ids(await sut.expireDue(manager(), scope))).toEqual([mine.id, stale.id].sort());
      expect(ids(await sut.expireDue(manager(), { workstationIds: [], overdueSeconds: 2 }))).toEqual([]);
      expect(ids(await sut.expireDue(manager()))).toEqual([fresh.id]);
    });
  });

  describe('the partial unique indexes', () => {
    it('should refuse a second active session on one workstation, and allow it once the first ended', async () => {
      const desk = await workstation();
      const first = await active(desk);
      const second = await pending();
      expect(await sut.bindByCode(manager(), second.access_code, desk)).toBeDefined();

      const refused = await db.uow
        .run(async ({ manager: m }) => {
          await sut.lock(m, second.id);
          return sut.start(m, second.id, 5, []);
        })
        .catch((err: unknown) => err);
      expect(isUniqueViolation(refused, ONE_ACTIVE_INDEX)).toBe(true);
      expect((await sut.find(manager(), second.id))?.status).toBe('pending');

      await db.uow.run(({ manager: m }) => sut.end(m, first.id, 'admin'));
      const started = await db.uow.run(({ manager: m }) => sut.start(m, second.id, 5, []));
      expect(started.status).toBe('active');
    });

    it('should keep an access code to one live session, and free it when the session ends', async () => {
      const held = await pending(600, 'ABC123');
      const refused = await pending(600, 'ABC123').catch((err: unknown) => err);
      expect(isUniqueViolation(refused, LIVE_CODE_INDEX)).toBe(true);

      await db.uow.run(({ manager: m }) => sut.end(m, held.id, 'admin'));
      const reused = await pending(600, 'ABC123');
      expect(reused.id).not.toBe(held.id);
    });
  });

  describe('bindByCode', () => {
    it('should bind a free session once, answer its own workstation again, and refuse another', async () => {
      const [desk, other] = [await workstation(), await workstation()];
      const session = await pending();

      const bound = await sut.bindByCode(manager(), session.access_code, desk);
      expect(bound).toMatchObject({ id: session.id, workstation_id: desk, previous_workstation_id: null });
      expect(bound!.version).toBe(session.version + 1);

      const again = await sut.bindByCode(manager(), session.access_code, desk);
      expect(again).toMatchObject({ id: session.id, previous_workstation_id: desk, version: bound!.version });

      expect(await sut.bindByCode(manager(), session.access_code, other)).toBeUndefined();
      expect(await sut.statusOfCode(manager(), session.access_code)).toBe('pending');
    });

    it('should not bind an ended session, and name the live holder of a reused code first', async () => {
      const desk = await workstation();
      const old = await pending(600, 'ZZ9ZZ9');
      await db.uow.run(({ manager: m }) => sut.end(m, old.id, 'admin'));
      expect(await sut.bindByCode(manager(), 'ZZ9ZZ9', desk)).toBeUndefined();
      expect(await sut.statusOfCode(manager(), 'ZZ9ZZ9')).toBe('ended');

      await pending(600, 'ZZ9ZZ9');
      expect(await sut.statusOfCode(manager(), 'ZZ9ZZ9')).toBe('pending');
      expect(await sut.statusOfCode(manager(), 'NOSUCH')).toBeUndefined();
    });
  });

  describe('page', () => {
    it('should page newest first, by status, with cursors that keep microseconds', async () => {
      const made: SessionRow[] = [];
      for (let i = 0; i < 5; i += 1) made.push(await pending());
      await db.uow.run(({ manager: m }) => sut.end(m, made[1].id, 'admin'));
      // The list's order, newest first and then by id: two inserts within one tick of the database's clock (PGlite's
      // can be a millisecond) share created_at, and go by id.
      const ordered: { id: string }[] = await manager().query(
        `SELECT id FROM kiosk_sessions WHERE id = ANY($1::uuid[]) ORDER BY created_at DESC, id DESC`,
        [made.map((row) => row.id)],
      );
      const newestFirst = ordered.map((row) => row.id);
      expect(new Set(newestFirst)).toEqual(new Set(made.map((row) => row.id)));

      const firstPage = await sut.page(manager(), { take: 3 });
      expect(firstPage.map((r) => r.id)).toEqual(newestFirst.slice(0, 3));
      const last = firstPage[2];
      const rest = await sut.page(manager(), { take: 3, before: { createdAt: last.cursor_created_at, id: last.id } });
      expect(rest.map((r) => r.id)).toEqual(newestFirst.slice(3));

      const ended = await sut.page(manager(), { take: 10, status: 'ended' });
      expect(ended.map((r) => r.id)).toEqual([made[1].id]);
    });
  });
});
