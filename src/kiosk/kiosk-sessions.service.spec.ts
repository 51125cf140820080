import type { DataSource } from 'typeorm';
import { QueryFailedError } from 'typeorm';
import type { Principal } from '../auth/principal.js';
import { DomainException } from '../common/domain.exception.js';
import { ErrorCode } from '../common/error-codes.js';
import { AppConfig } from '../config/app-config.js';
import type { ChannelRegistry } from '../realtime/channel-registry.js';
import type { AttemptLimiter } from '../redis/attempt-limiter.js';
import type { KioskEvents } from './kiosk-events.js';
import type { SessionRow } from './kiosk.mapper.js';
import { CODE_FAILURES_PER_WORKSTATION, KioskSessionsService } from './kiosk-sessions.service.js';
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
  let query: jest.Mock;
  let limiter: { reserve: jest.Mock };
  let refund: jest.Mock;
  let events: { sessionChanged: jest.Mock; sessionEvent: jest.Mock; workstationsChanged: jest.Mock };
  let workstations: { reportAddress: jest.Mock; followSessions: jest.Mock };

  beforeEach(() => {
    query = jest.fn();
    refund = jest.fn(async () => undefined);
    limiter = { reserve: jest.fn(async () => ({ refund })) };
    events = { sessionChanged: jest.fn(), sessionEvent: jest.fn(), workstationsChanged: jest.fn() };
    workstations = { reportAddress: jest.fn(async () => undefined), followSessions: jest.fn(async () => []) };
    sut = new KioskSessionsService(
      { query } as unknown as DataSource,
      new AppConfig({ KIOSK_MIN_DURATION_SECONDS: '30' }),
      limiter as unknown as AttemptLimiter,
      {} as ChannelRegistry,
      workstations as unknown as WorkstationsService,
      events as unknown as KioskEvents,
    );
  });

  describe('validateCode', () => {
    it('should reserve an attempt of the workstation before looking at the code, and stop when refused', async () => {
      limiter.reserve.mockRejectedValueOnce(new DomainException(ErrorCode.RATE_LIMITED, 'Too many'));
      const err = await rejection(sut.validateCode(kiosk, { code: 'K7Q2ZP' }));
      expect(err.code).toBe(ErrorCode.RATE_LIMITED);
      expect(limiter.reserve).toHaveBeenCalledWith(expect.any(String), [CODE_FAILURES_PER_WORKSTATION, WS]);
      expect(query).not.toHaveBeenCalled();
    });

    it('should bind a free session to the workstation and tell admins once', async () => {
      query.mockResolvedValueOnce([[{ ...row(), previous_workstation_id: null }], 1]);
      const check = await sut.validateCode(kiosk, { code: 'K7Q2ZP', ipAddress: '10.0.0.1' });
      expect(check).toEqual({ valid: true, session: expect.objectContaining({ id: SESSION, workstationId: WS }) });
      expect(query).toHaveBeenCalledWith(expect.stringContaining('UPDATE kiosk_sessions s SET workstation_id = $2'), [
        'K7Q2ZP',
        WS,
      ]);
      expect(events.sessionChanged).toHaveBeenCalledTimes(1);
      expect(workstations.reportAddress).toHaveBeenCalledWith(kiosk, '10.0.0.1');
      expect(refund).toHaveBeenCalledTimes(1);
    });

    it('should not announce a session that was already bound to this workstation', async () => {
      query.mockResolvedValueOnce([[{ ...row({ status: 'active' }), previous_workstation_id: WS }], 1]);
      expect((await sut.validateCode(kiosk, { code: 'K7Q2ZP' })).valid).toBe(true);
      expect(events.sessionChanged).not.toHaveBeenCalled();
    });

    it.each([
      [[], 'unknown'],
      [[{ status: 'ended' }], 'ended'],
      [[{ status: 'pending' }], 'in_use'],
    ])('should count a failure and give its reason when the lookup finds %j', async (found, reason) => {
      query.mockResolvedValueOnce([[], 0]).mockResolvedValueOnce(found);
      expect(await sut.validateCode(kiosk, { code: 'K7Q2ZP' })).toEqual({ valid: false, reason });
      expect(limiter.reserve).toHaveBeenCalledWith(expect.any(String), [CODE_FAILURES_PER_WORKSTATION, WS]);
      expect(refund).not.toHaveBeenCalled();
    });

    it('should count a string that cannot be a code as unknown without a query', async () => {
      expect(await sut.validateCode(kiosk, { code: 'NOPE!' })).toEqual({ valid: false, reason: 'unknown' });
      expect(query).not.toHaveBeenCalled();
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
      query
        .mockRejectedValueOnce(uniqueViolation('kiosk_sessions_access_code_live_key'))
        .mockResolvedValueOnce([row({ workstation_id: null })]);
      const session = await sut.create({ durationSeconds: 60 });
      expect(session.id).toBe(SESSION);
      expect(query).toHaveBeenCalledTimes(2);
      const [first, second] = query.mock.calls.map((call) => (call[1] as unknown[])[0]);
      expect(first).toMatch(/^[A-Z0-9]{6}$/);
      expect(second).toMatch(/^[A-Z0-9]{6}$/);
      expect(events.sessionChanged).toHaveBeenCalledTimes(1);
    });

    it('should not retry other failures', async () => {
      query.mockRejectedValueOnce(uniqueViolation('another_index'));
      await expect(sut.create({ durationSeconds: 60 })).rejects.toBeInstanceOf(QueryFailedError);
      expect(query).toHaveBeenCalledTimes(1);
    });
  });
});
