import { Logger } from '@nestjs/common';
import type { SchedulerRegistry } from '@nestjs/schedule';
import type { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import type { ChannelService } from '../realtime/channel.service.js';
import type { KioskEvents } from './kiosk-events.js';
import type { SessionRow, WorkstationRow } from './kiosk.mapper.js';
import { EXPIRE_SQL, KioskScheduler, TICK_SQL, WARN_SQL } from './kiosk.scheduler.js';
import type { WorkstationsService } from './workstations.service.js';

const { jest } = import.meta;

const S1 = '0a000000-0000-4000-8000-000000000001';
const S2 = '0a000000-0000-4000-8000-000000000002';
const W1 = '0b000000-0000-4000-8000-000000000001';
const W2 = '0b000000-0000-4000-8000-000000000002';
const NOW = new Date('2025-11-22T10:00:00.000Z');

function session(id: string, overrides: Partial<SessionRow> = {}): SessionRow {
  return {
    id,
    access_code: 'ABC123',
    holder_name: null,
    workstation_id: W1,
    duration_seconds: 600,
    status: 'active',
    started_at: new Date(NOW.getTime() - 300_000),
    ends_at: new Date(NOW.getTime() + 300_000),
    ended_at: null,
    end_reason: null,
    version: 3,
    event_seq: 7,
    db_now: NOW,
    ...overrides,
  };
}

const workstation: WorkstationRow = {
  id: W1,
  name: 'Desk',
  ip_address: null,
  status: 'available',
  last_seen_at: null,
  token_version: 0,
};

describe(KioskScheduler.name, () => {
  let sut: KioskScheduler;
  let due: Map<string, SessionRow[]>;
  let query: jest.Mock;
  let manager: { query: jest.Mock };
  let events: { sessionChanged: jest.Mock; sessionEvent: jest.Mock; workstationsChanged: jest.Mock };
  let workstations: {
    followSessions: jest.Mock;
    claimOfflineDue: jest.Mock;
    goOffline: jest.Mock;
    retryOffline: jest.Mock;
  };
  let sockets: Map<string, unknown[] | Error>;
  let rooms: { ready: boolean; principalsIn: jest.Mock };

  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(['log', 'error', 'warn', 'debug', 'verbose']));

  beforeEach(() => {
    due = new Map();
    // Claims answer like TypeORM answers an UPDATE: [rows, affected].
    query = jest.fn(async (sql: string) => {
      const rows = due.get(sql) ?? [];
      due.delete(sql);
      return [rows, rows.length];
    });
    manager = { query };
    const dataSource = {
      query,
      transaction: jest.fn(async (work: (m: typeof manager) => Promise<unknown>) => work(manager)),
    };
    events = { sessionChanged: jest.fn(), sessionEvent: jest.fn(), workstationsChanged: jest.fn() };
    workstations = {
      followSessions: jest.fn(async () => []),
      claimOfflineDue: jest.fn(async () => []),
      goOffline: jest.fn(async () => undefined),
      retryOffline: jest.fn(async () => undefined),
    };
    sockets = new Map();
    rooms = {
      ready: true,
      principalsIn: jest.fn(async (room: string) => {
        const answer = sockets.get(room) ?? [];
        if (answer instanceof Error) throw answer;
        return answer;
      }),
    };
    sut = new KioskScheduler(
      dataSource as unknown as DataSource,
      new AppConfig({ KIOSK_TICK_SECONDS: '5' }),
      rooms as unknown as ChannelService,
      workstations as unknown as WorkstationsService,
      events as unknown as KioskEvents,
      {} as SchedulerRegistry,
    );
  });

  it('should claim expiry, then warnings, then ticks, each with one UPDATE of the due rows', async () => {
    await sut.runOnce();
    expect(query.mock.calls.map(([sql]) => sql)).toEqual([EXPIRE_SQL, WARN_SQL, TICK_SQL]);
    expect(query).toHaveBeenLastCalledWith(TICK_SQL, [5]);
    expect(workstations.claimOfflineDue).toHaveBeenCalledTimes(1);
  });

  it('should claim only due, active rows and move the due moments on in the same statement', () => {
    expect(EXPIRE_SQL).toMatch(/SET status = 'ended', end_reason = 'expired'/);
    expect(EXPIRE_SQL).toMatch(/WHERE status = 'active' AND ends_at <= now\(\)\s+RETURNING/);
    expect(WARN_SQL).toMatch(/WHERE s\.status = 'active' AND s\.next_warning_at <= now\(\) AND s\.ends_at > now\(\)/);
    expect(WARN_SQL).toMatch(/next_warning_at = s\.ends_at - make_interval/);
    expect(TICK_SQL).toMatch(/WHERE s\.status = 'active' AND s\.next_tick_at <= now\(\) AND s\.ends_at > now\(\)/);
    // The next tick is the next multiple of the period after now: missed ticks are skipped.
    expect(TICK_SQL).toMatch(/next_tick_at = s\.started_at \+ make_interval\(secs => \(\$1::int \* \(\s+floor\(/);
    for (const sql of [EXPIRE_SQL, WARN_SQL, TICK_SQL]) expect(sql).toMatch(/event_seq = (s\.)?event_seq \+ 1/);
  });

  it('should publish nothing when nothing is due', async () => {
    await sut.runOnce();
    expect(events.sessionChanged).not.toHaveBeenCalled();
    expect(events.sessionEvent).not.toHaveBeenCalled();
    expect(events.workstationsChanged).toHaveBeenCalledWith([]);
  });

  it('should end each claimed session once, reason expired, and free its workstation in the same transaction', async () => {
    const ended = [
      session(S1, { status: 'ended', end_reason: 'expired', event_seq: 8 }),
      session(S2, { status: 'ended', end_reason: 'expired', workstation_id: W1 }),
    ];
    due.set(EXPIRE_SQL, ended);
    workstations.followSessions.mockResolvedValueOnce([workstation]);

    await sut.expire();

    expect(workstations.followSessions).toHaveBeenCalledWith(manager, [W1]);
    expect(events.sessionChanged.mock.calls).toEqual([
      [ended[0], true],
      [ended[1], true],
    ]);
    expect(events.sessionEvent).toHaveBeenCalledWith(ended[0], 'session_terminated', {
      sessionId: S1,
      reason: 'expired',
      message: expect.any(String),
    });
    expect(events.sessionEvent).toHaveBeenCalledTimes(2);
    expect(events.workstationsChanged).toHaveBeenCalledWith([workstation]);

    // Claimed once: the next pass finds nothing.
    events.sessionEvent.mockClear();
    await sut.expire();
    expect(events.sessionEvent).not.toHaveBeenCalled();
  });

  it('should send one warning per claimed row with the time left', async () => {
    const row = session(S1, { ends_at: new Date(NOW.getTime() + 59_400) });
    due.set(WARN_SQL, [row]);
    await sut.warn();
    expect(events.sessionEvent).toHaveBeenCalledWith(row, 'session_warning', { sessionId: S1, remainingSeconds: 60 });
  });

  it('should send a time_update per claimed tick', async () => {
    const row = session(S1);
    due.set(TICK_SQL, [row]);
    await sut.tickSessions();
    expect(events.sessionEvent).toHaveBeenCalledWith(row, 'time_update', {
      sessionId: S1,
      remainingSeconds: 300,
      remainingMinutes: 5,
      percentUsed: 50,
      status: 'active',
    });
  });

  it('should take a claimed workstation offline only when none of its sockets came back', async () => {
    workstations.claimOfflineDue.mockResolvedValueOnce([W1, W2]);
    sockets.set(`kiosk:workstation:${W2}`, [{ id: 'socket' }]);
    await sut.offline();
    expect(workstations.goOffline).toHaveBeenCalledWith(W1);
    expect(workstations.goOffline).toHaveBeenCalledTimes(1);
  });

  it('should put the claim back when the socket check fails', async () => {
    workstations.claimOfflineDue.mockResolvedValueOnce([W1]);
    sockets.set(`kiosk:workstation:${W1}`, new Error('timeout'));
    await sut.offline();
    expect(workstations.goOffline).not.toHaveBeenCalled();
    expect(workstations.retryOffline).toHaveBeenCalledWith(W1);
  });

  it('should not start a pass while the previous one runs, nor before the socket server is up', async () => {
    let release!: () => void;
    workstations.claimOfflineDue.mockImplementationOnce(
      () => new Promise<string[]>((resolve) => (release = () => resolve([]))),
    );
    const first = sut.tick();
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    const second = sut.tick();
    release();
    await Promise.all([first, second]);
    expect(workstations.claimOfflineDue).toHaveBeenCalledTimes(1);

    rooms.ready = false;
    await sut.tick();
    expect(workstations.claimOfflineDue).toHaveBeenCalledTimes(1);
  });
});
