import { Logger } from '@nestjs/common';
import type { SchedulerRegistry } from '@nestjs/schedule';
import type { DataSource, EntityManager } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import type { ChannelService } from '../realtime/channel.service.js';
import type { KioskEvents } from './kiosk-events.js';
import type { KioskSessionsRepository, SessionRow } from './kiosk-sessions.repository.js';
import { CUT_OFF_GRACE_MS, HOLDER_GRACE_MS, KioskScheduler } from './kiosk.scheduler.js';
import type { OfflineClaim, WorkstationRow, WorkstationsRepository } from './workstations.repository.js';
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
  let due: Map<'expire' | 'warn' | 'tick', SessionRow[]>;
  let claims: string[];
  let committed: boolean;
  let sessions: { due: jest.Mock; expireDue: jest.Mock; warnDue: jest.Mock; tickDue: jest.Mock };
  let workstationRows: { followSessions: jest.Mock };
  let dataSource: { manager: EntityManager; transaction: jest.Mock };
  const manager = { name: 'tx' } as unknown as EntityManager;
  const outside = { name: 'outside' } as unknown as EntityManager;
  let events: { sessionChanged: jest.Mock; sessionEvent: jest.Mock; workstationsChanged: jest.Mock };
  let workstations: {
    claimOfflineDue: jest.Mock;
    goOffline: jest.Mock;
    retryOffline: jest.Mock;
  };
  let sockets: Map<string, unknown[] | Error>;
  let rooms: {
    ready: boolean;
    clustered: boolean;
    reachesOtherInstances: boolean;
    localRooms: jest.Mock;
    principalsIn: jest.Mock;
  };

  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(['log', 'error', 'warn', 'debug', 'verbose']));

  beforeEach(() => {
    due = new Map();
    claims = [];
    committed = false;
    // Each claim answers its due rows once, like the repository's single-statement claims.
    const claim = (kind: 'expire' | 'warn' | 'tick') =>
      jest.fn(async () => {
        claims.push(kind);
        const rows = due.get(kind) ?? [];
        due.delete(kind);
        return rows;
      });
    sessions = {
      // The read that tells whether the claims have anything to take: yes, unless a case says otherwise.
      due: jest.fn(async () => ({ sessions: true, offline: true })),
      expireDue: claim('expire'),
      warnDue: claim('warn'),
      tickDue: claim('tick'),
    };
    workstationRows = { followSessions: jest.fn(async () => []) };
    dataSource = {
      manager: outside,
      transaction: jest.fn(async (work: (m: EntityManager) => Promise<unknown>) => {
        committed = false;
        const result = await work(manager);
        committed = true;
        return result;
      }),
    };
    events = {
      // What expiry publishes must leave after its transaction committed.
      sessionChanged: jest.fn(() => expect(committed).toBe(true)),
      sessionEvent: jest.fn(),
      workstationsChanged: jest.fn(),
    };
    workstations = {
      claimOfflineDue: jest.fn(async () => []),
      goOffline: jest.fn(async () => undefined),
      retryOffline: jest.fn(async () => undefined),
    };
    sockets = new Map();
    rooms = {
      ready: true,
      clustered: false,
      reachesOtherInstances: true,
      localRooms: jest.fn(() => new Set()),
      principalsIn: jest.fn(async (room: string) => {
        const answer = sockets.get(room) ?? [];
        if (answer instanceof Error) throw answer;
        return answer;
      }),
    };
    sut = new KioskScheduler(
      dataSource as unknown as DataSource,
      new UnitOfWork(dataSource as unknown as DataSource),
      sessions as unknown as KioskSessionsRepository,
      workstationRows as unknown as WorkstationsRepository,
      new AppConfig({ KIOSK_TICK_SECONDS: '5' }),
      rooms as unknown as ChannelService,
      workstations as unknown as WorkstationsService,
      events as unknown as KioskEvents,
      {} as SchedulerRegistry,
    );
  });

  // What the claims themselves do (due rows only, once each, moments moved on) is kiosk-sessions.repository.spec.ts's.
  it('should claim expiry (in its transaction), then warnings, then ticks of the configured period', async () => {
    await sut.runOnce();
    expect(claims).toEqual(['expire', 'warn', 'tick']);
    expect(sessions.expireDue).toHaveBeenCalledWith(manager, undefined);
    expect(sessions.warnDue).toHaveBeenCalledWith(outside, undefined);
    expect(sessions.tickDue).toHaveBeenCalledWith(outside, 5, undefined);
    expect(workstations.claimOfflineDue).toHaveBeenCalledTimes(1);
    expect(rooms.localRooms).not.toHaveBeenCalled();
  });

  it('should claim at once for the workstations whose socket it holds, late for the others, beside other instances', async () => {
    rooms.clustered = true;
    rooms.localRooms.mockReturnValue(new Set([`principal:workstation:${W1}`, 'principal:workstation:not-a-uuid']));
    await sut.runOnce();
    const scope = { workstationIds: [W1], overdueSeconds: HOLDER_GRACE_MS / 1000 };
    expect(rooms.localRooms).toHaveBeenCalledWith('principal:workstation:');
    expect(sessions.expireDue).toHaveBeenCalledWith(manager, scope);
    expect(sessions.warnDue).toHaveBeenCalledWith(outside, scope);
    expect(sessions.tickDue).toHaveBeenCalledWith(outside, 5, scope);
    expect(workstations.claimOfflineDue).toHaveBeenCalledTimes(1);
  });

  it('should leave the moments of workstations held elsewhere for longer while cut off from the other instances', async () => {
    rooms.clustered = true;
    rooms.reachesOtherInstances = false;
    rooms.localRooms.mockReturnValue(new Set([`principal:workstation:${W1}`]));
    await sut.runOnce();
    const scope = { workstationIds: [W1], overdueSeconds: CUT_OFF_GRACE_MS / 1000 };
    expect(sessions.expireDue).toHaveBeenCalledWith(manager, scope);
    expect(sessions.warnDue).toHaveBeenCalledWith(outside, scope);
    expect(sessions.tickDue).toHaveBeenCalledWith(outside, 5, scope);
    // The offline checks ask every instance for its sockets: they wait for the link to come back.
    expect(workstations.claimOfflineDue).not.toHaveBeenCalled();

    rooms.reachesOtherInstances = true;
    await sut.runOnce();
    expect(sessions.tickDue).toHaveBeenLastCalledWith(outside, 5, { ...scope, overdueSeconds: HOLDER_GRACE_MS / 1000 });
    expect(workstations.claimOfflineDue).toHaveBeenCalledTimes(1);
  });

  it('should claim nothing, open no transaction and publish nothing when the read finds nothing due', async () => {
    sessions.due.mockResolvedValue({ sessions: false, offline: false });
    await sut.runOnce();
    expect(sessions.due).toHaveBeenCalledWith(outside);
    expect(claims).toEqual([]);
    expect(dataSource.transaction).not.toHaveBeenCalled();
    expect(workstations.claimOfflineDue).not.toHaveBeenCalled();
    expect(events.sessionChanged).not.toHaveBeenCalled();
    expect(events.sessionEvent).not.toHaveBeenCalled();
    expect(events.workstationsChanged).not.toHaveBeenCalled();
  });

  it('should run only the claims of what the read finds due', async () => {
    sessions.due.mockResolvedValue({ sessions: false, offline: true });
    await sut.runOnce();
    expect(claims).toEqual([]);
    expect(workstations.claimOfflineDue).toHaveBeenCalledTimes(1);

    sessions.due.mockResolvedValue({ sessions: true, offline: false });
    await sut.runOnce();
    expect(claims).toEqual(['expire', 'warn', 'tick']);
    expect(workstations.claimOfflineDue).toHaveBeenCalledTimes(1);
  });

  it('should publish nothing when the claims find nothing', async () => {
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
    due.set('expire', ended);
    workstationRows.followSessions.mockResolvedValueOnce([workstation]);

    await sut.expire();

    expect(workstationRows.followSessions).toHaveBeenCalledWith(manager, [W1]);
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

  it('should publish no expiry when its transaction rolls back', async () => {
    due.set('expire', [session(S1, { status: 'ended', end_reason: 'expired' })]);
    workstationRows.followSessions.mockRejectedValueOnce(new Error('deadlock'));
    await expect(sut.expire()).rejects.toThrow('deadlock');
    expect(events.sessionChanged).not.toHaveBeenCalled();
    expect(events.sessionEvent).not.toHaveBeenCalled();
    expect(events.workstationsChanged).not.toHaveBeenCalled();
  });

  it('should send one warning per claimed row with the time left', async () => {
    const row = session(S1, { ends_at: new Date(NOW.getTime() + 59_400) });
    due.set('warn', [row]);
    await sut.warn();
    expect(events.sessionEvent).toHaveBeenCalledWith(row, 'session_warning', { sessionId: S1, remainingSeconds: 60 });
  });

  it('should send a time_update per claimed tick', async () => {
    const row = session(S1);
    due.set('tick', [row]);
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
    const claims = [W1, W2].map((id) => ({ id, claimedAt: '2026-01-01 00:00:00+00' }));
    workstations.claimOfflineDue.mockResolvedValueOnce(claims);
    sockets.set(`kiosk:workstation:${W2}`, [{ id: 'socket' }]);
    await sut.offline();
    expect(workstations.goOffline).toHaveBeenCalledWith(claims[0]);
    expect(workstations.goOffline).toHaveBeenCalledTimes(1);
  });

  it('should put the claim back when the socket check fails', async () => {
    workstations.claimOfflineDue.mockResolvedValueOnce([{ id: W1, claimedAt: '2026-01-01 00:00:00+00' }]);
    sockets.set(`kiosk:workstation:${W1}`, new Error('timeout'));
    await sut.offline();
    expect(workstations.goOffline).not.toHaveBeenCalled();
    expect(workstations.retryOffline).toHaveBeenCalledWith(W1);
  });

  it('should not start a pass while the previous one runs, nor before the socket server is up', async () => {
    let release!: () => void;
    workstations.claimOfflineDue.mockImplementationOnce(
      () => new Promise<OfflineClaim[]>((resolve) => (release = () => resolve([]))),
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
