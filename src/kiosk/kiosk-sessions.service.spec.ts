import type { DataSource, EntityManager } from 'typeorm';
import { QueryFailedError } from 'typeorm';
import type { Principal } from '../auth/principal.js';
import { DomainException } from '../common/domain.exception.js';
import { ErrorCode } from '../common/error-codes.js';
import { AppConfig } from '../config/app-config.js';
import { unitOfWorkOver } from '../../test/helpers/unit-of-work.js';
import type { ChannelRegistry } from '../realtime/channel-registry.js';
import type { AttemptLimiter } from '../redis/attempt-limiter.js';
import type { KioskEvents } from './kiosk-events.js';
import type { KioskSessionsRepository, SessionRow } from './kiosk-sessions.repository.js';
import { CODE_FAILURES_PER_WORKSTATION, KioskSessionsService } from './kiosk-sessions.service.js';
import type { WorkstationRow, WorkstationsRepository } from './workstations.repository.js';
import type { WorkstationsService } from './workstations.service.js';

const { jest } = import.meta;

const WS = '0b000000-0000-4000-8000-000000000001';
const SESSION = '0a000000-0000-4000-8000-000000000001';
const NOW = new Date('2025-11-22T10:00:00.000Z');

const kiosk: Principal = { id: WS, role: 'kiosk', tokenVersion: 0, expiresAt: Date.now() + 3_600_000 };

function row(overrides: Partial<SessionRow> = {}): SessionRow {
  return {
    id: SESSION,
    access_code: 'K7Q2ZP',
    holder_name: null,
    workstation_id: WS,
    duration_seconds: 60,
    status: 'pending',
    started_at: null,
    ends_at: null,
    ended_at: null,
    end_reason: null,
    version: 2,
    event_seq: 0,
    db_now: NOW,
    ...overrides,
  };
}

function uniqueViolation(constraint: string): QueryFailedError {
  return new QueryFailedError('INSERT', [], Object.assign(new Error('duplicate key'), { code: '23505', constraint }));
}

async function rejection(promise: Promise<unknown>): Promise<DomainException> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof DomainException) return err;
    throw err;
  }
  throw new Error('Expected a rejection');
}

describe(KioskSessionsService.name, () => {
  let sut: KioskSessionsService;
  let repository: {
    insert: jest.Mock;
    bindByCode: jest.Mock;
    statusOfCode: jest.Mock;
    lock: jest.Mock;
    start: jest.Mock;
    end: jest.Mock;
  };
  let workstationRows: { followSessions: jest.Mock };
  let committed: boolean;
  let limiter: { reserve: jest.Mock };
  let refund: jest.Mock;
  let events: { sessionChanged: jest.Mock; sessionEvent: jest.Mock; workstationsChanged: jest.Mock };
  let workstations: { reportAddress: jest.Mock };
  let holder: { join: jest.Mock; leave: jest.Mock; announce: jest.Mock };
  const outside = { name: 'outside' } as unknown as EntityManager;
  const manager = { name: 'tx' } as unknown as EntityManager;

  beforeEach(() => {
    repository = {
      insert: jest.fn(),
      bindByCode: jest.fn(),
      statusOfCode: jest.fn(),
      lock: jest.fn(),
      start: jest.fn(),
      end: jest.fn(),
    };
    workstationRows = { followSessions: jest.fn(async () => []) };
    committed = false;
    refund = jest.fn(async () => undefined);
    limiter = { reserve: jest.fn(async () => ({ refund })) };
    events = { sessionChanged: jest.fn(), sessionEvent: jest.fn(), workstationsChanged: jest.fn() };
    workstations = { reportAddress: jest.fn(async () => undefined) };
    holder = { join: jest.fn(), leave: jest.fn(), announce: jest.fn() };
    sut = new KioskSessionsService(
      { manager: outside } as unknown as DataSource,
      unitOfWorkOver(manager, () => {
        committed = true;
      }),
      repository as unknown as KioskSessionsRepository,
      workstationRows as unknown as WorkstationsRepository,
      new AppConfig({ KIOSK_MIN_DURATION_SECONDS: '30', KIOSK_TICK_SECONDS: '5', KIOSK_WARNING_SECONDS: '300,60,30' }),
      limiter as unknown as AttemptLimiter,
      {} as ChannelRegistry,
      workstations as unknown as WorkstationsService,
      events as unknown as KioskEvents,
    );
  });

  describe('validateCode', () => {
    it('should reserve an attempt of the workstation before looking at the code, and stop when refused', async () => {
      limiter.reserve.mockRejectedValueOnce(new DomainException(ErrorCode.RATE_LIMITED, 'Too many'));
      const err = await rejection(sut.validateCode(kiosk, { code: 'K7Q2ZP' }, holder));
      expect(err.code).toBe(ErrorCode.RATE_LIMITED);
      expect(limiter.reserve).toHaveBeenCalledWith(expect.any(String), [CODE_FAILURES_PER_WORKSTATION, WS]);
      expect(repository.bindByCode).not.toHaveBeenCalled();
    });

    it('should bind a free session to the workstation and tell admins once', async () => {
      repository.bindByCode.mockResolvedValueOnce({ ...row(), previous_workstation_id: null });
      // The socket joins the session's channel before the bind commits, and hears code_valid after it.
      holder.join.mockImplementationOnce(() => expect(committed).toBe(false));
      holder.announce.mockImplementationOnce(() => expect(committed).toBe(true));
      const check = await sut.validateCode(kiosk, { code: 'K7Q2ZP', ipAddress: '10.0.0.1' }, holder);
      expect(check).toEqual({ valid: true, session: expect.objectContaining({ id: SESSION, workstationId: WS }) });
      expect(repository.bindByCode).toHaveBeenCalledWith(manager, 'K7Q2ZP', WS);
      expect(holder.join).toHaveBeenCalledWith(`kiosk:session:${SESSION}`);
      expect(holder.announce).toHaveBeenCalledWith(check.valid && check.session);
      expect(events.sessionChanged).toHaveBeenCalledTimes(1);
      expect(workstations.reportAddress).toHaveBeenCalledWith(kiosk, '10.0.0.1');
      expect(refund).toHaveBeenCalledTimes(1);
    });

    it('should not announce a session that was already bound to this workstation', async () => {
      repository.bindByCode.mockResolvedValueOnce({ ...row({ status: 'active' }), previous_workstation_id: WS });
      expect((await sut.validateCode(kiosk, { code: 'K7Q2ZP' }, holder)).valid).toBe(true);
      expect(events.sessionChanged).not.toHaveBeenCalled();
    });

    it.each([
      [undefined, 'unknown'],
      ['ended', 'ended'],
      ['pending', 'in_use'],
      ['active', 'in_use'],
    ])('should count a failure and give its reason when the code is held by a session %s', async (found, reason) => {
      repository.bindByCode.mockResolvedValueOnce(undefined);
      repository.statusOfCode.mockResolvedValueOnce(found);
      expect(await sut.validateCode(kiosk, { code: 'K7Q2ZP' }, holder)).toEqual({ valid: false, reason });
      expect(repository.statusOfCode).toHaveBeenCalledWith(outside, 'K7Q2ZP');
      expect(holder.join).not.toHaveBeenCalled();
      expect(holder.announce).not.toHaveBeenCalled();
      expect(limiter.reserve).toHaveBeenCalledWith(expect.any(String), [CODE_FAILURES_PER_WORKSTATION, WS]);
      expect(refund).not.toHaveBeenCalled();
    });

    it('should give the attempt back when the code cannot be looked up (an outage is not a wrong code)', async () => {
      const outage = new Error('Connection terminated unexpectedly');
      repository.bindByCode.mockRejectedValueOnce(outage);
      await expect(sut.validateCode(kiosk, { code: 'K7Q2ZP' }, holder)).rejects.toBe(outage);
      expect(refund).toHaveBeenCalledTimes(1);
      expect(holder.announce).not.toHaveBeenCalled();
    });

    it('should count a string that cannot be a code as unknown without a query', async () => {
      expect(await sut.validateCode(kiosk, { code: 'NOPE!' }, holder)).toEqual({ valid: false, reason: 'unknown' });
      expect(repository.bindByCode).not.toHaveBeenCalled();
      expect(repository.statusOfCode).not.toHaveBeenCalled();
      expect(limiter.reserve).toHaveBeenCalledTimes(1);
      expect(refund).not.toHaveBeenCalled();
    });
  });

  describe('create', () => {
    it('should refuse a duration below KIOSK_MIN_DURATION_SECONDS', async () => {
      const err = await rejection(sut.create({ durationSeconds: 29 }));
      expect(err.code).toBe(ErrorCode.VALIDATION_FAILED);
      expect(err.details).toEqual([{ field: 'durationSeconds', errors: [expect.stringContaining('30')] }]);
    });

    it('should draw another code when the partial unique index refuses one', async () => {
      repository.insert
        .mockRejectedValueOnce(uniqueViolation('kiosk_sessions_access_code_live_key'))
        .mockResolvedValueOnce(row({ workstation_id: null }));
      const session = await sut.create({ durationSeconds: 60, holderName: 'Ada' });
      expect(session.id).toBe(SESSION);
      expect(repository.insert).toHaveBeenCalledTimes(2);
      expect(repository.insert).toHaveBeenLastCalledWith(outside, expect.any(String), 'Ada', 60);
      const [first, second] = repository.insert.mock.calls.map((call) => call[1] as string);
      expect(first).toMatch(/^[A-Z0-9]{6}$/);
      expect(second).toMatch(/^[A-Z0-9]{6}$/);
      expect(events.sessionChanged).toHaveBeenCalledTimes(1);
    });

    it('should not retry other failures', async () => {
      repository.insert.mockRejectedValueOnce(uniqueViolation('another_index'));
      await expect(sut.create({ durationSeconds: 60 })).rejects.toBeInstanceOf(QueryFailedError);
      expect(repository.insert).toHaveBeenCalledTimes(1);
      expect(events.sessionChanged).not.toHaveBeenCalled();
    });

    it('should give up after ten codes that are all taken', async () => {
      repository.insert.mockRejectedValue(uniqueViolation('kiosk_sessions_access_code_live_key'));
      const err = await rejection(sut.create({ durationSeconds: 60 }));
      expect(err.code).toBe(ErrorCode.SERVICE_UNAVAILABLE);
      expect(repository.insert).toHaveBeenCalledTimes(10);
    });
  });

  describe('start', () => {
    const started = row({ status: 'active', version: 3, event_seq: 1, ends_at: new Date(NOW.getTime() + 60_000) });
    const desk: WorkstationRow = {
      id: WS,
      name: 'Desk',
      ip_address: null,
      status: 'occupied',
      last_seen_at: null,
      token_version: 0,
    };

    it('should start under the row lock, occupy the workstation, and publish once committed', async () => {
      repository.lock.mockResolvedValueOnce(row());
      repository.start.mockResolvedValueOnce(started);
      workstationRows.followSessions.mockResolvedValueOnce([desk]);
      events.sessionChanged.mockImplementation(() => expect(committed).toBe(true));

      const session = await sut.start(kiosk, SESSION);

      expect(session).toEqual(expect.objectContaining({ id: SESSION, status: 'active', remainingSeconds: 60 }));
      expect(repository.lock).toHaveBeenCalledWith(manager, SESSION);
      // 60 s arm only the thresholds below them (a 60 s warning would be due at once), ticks every 5 s.
      expect(repository.start).toHaveBeenCalledWith(manager, SESSION, 5, [30]);
      expect(workstationRows.followSessions).toHaveBeenCalledWith(manager, [WS]);
      expect(events.sessionChanged).toHaveBeenCalledWith(started, true);
      expect(events.sessionEvent).toHaveBeenCalledWith(started, 'session_started', { session });
      expect(events.workstationsChanged).toHaveBeenCalledWith([desk]);
    });

    it('should refuse a second active session on the workstation (the index) and publish nothing', async () => {
      repository.lock.mockResolvedValueOnce(row());
      repository.start.mockRejectedValueOnce(uniqueViolation('kiosk_sessions_workstation_active_key'));
      const err = await rejection(sut.start(kiosk, SESSION));
      expect(err.code).toBe(ErrorCode.INVALID_TRANSITION);
      expect(events.sessionChanged).not.toHaveBeenCalled();
      expect(events.sessionEvent).not.toHaveBeenCalled();
      expect(events.workstationsChanged).not.toHaveBeenCalled();
    });

    it('should refuse a session bound to another workstation before writing', async () => {
      repository.lock.mockResolvedValueOnce(row({ workstation_id: '0b000000-0000-4000-8000-000000000002' }));
      const err = await rejection(sut.start(kiosk, SESSION));
      expect(err.code).toBe(ErrorCode.FORBIDDEN);
      expect(repository.start).not.toHaveBeenCalled();
    });

    it('should answer NOT_FOUND for an unknown session', async () => {
      repository.lock.mockResolvedValueOnce(undefined);
      expect((await rejection(sut.start(kiosk, SESSION))).code).toBe(ErrorCode.NOT_FOUND);
    });
  });

  describe('close', () => {
    it('should end the session, free the workstation and publish the termination after the commit', async () => {
      const ended = row({ status: 'ended', end_reason: 'closed', version: 4, event_seq: 2 });
      repository.lock.mockResolvedValueOnce(row({ status: 'active' }));
      repository.end.mockResolvedValueOnce(ended);
      events.sessionEvent.mockImplementation(() => expect(committed).toBe(true));

      await sut.close(kiosk, SESSION);

      expect(repository.end).toHaveBeenCalledWith(manager, SESSION, 'closed');
      expect(workstationRows.followSessions).toHaveBeenCalledWith(manager, [WS]);
      expect(events.sessionEvent).toHaveBeenCalledWith(ended, 'session_terminated', {
        sessionId: SESSION,
        reason: 'closed',
        message: expect.any(String),
      });
    });

    it('should end a session past its deadline as expired, at its deadline: its expiry came first', async () => {
      const deadline = new Date(NOW.getTime() - 100);
      const ended = row({ status: 'ended', end_reason: 'expired', ends_at: deadline, ended_at: deadline });
      repository.lock.mockResolvedValueOnce(row({ status: 'active', ends_at: deadline }));
      repository.end.mockResolvedValueOnce(ended);

      await sut.close(kiosk, SESSION);

      expect(repository.end).toHaveBeenCalledWith(manager, SESSION, 'expired');
      expect(events.sessionEvent).toHaveBeenCalledWith(ended, 'session_terminated', {
        sessionId: SESSION,
        reason: 'expired',
        message: 'The session time is over',
      });
    });

    it('should refuse to end an ended session', async () => {
      repository.lock.mockResolvedValueOnce(row({ status: 'ended' }));
      const err = await rejection(sut.close(kiosk, SESSION));
      expect(err.code).toBe(ErrorCode.INVALID_TRANSITION);
      expect(repository.end).not.toHaveBeenCalled();
    });
  });
});
