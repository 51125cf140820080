// Kiosk sessions: created by admins with an access code; a kiosk validates the code (binding the session to its
// workstation), starts, reads and ends it; admins terminate and extend. Every change is one transaction under the
// session's row lock (a UnitOfWork), published after the commit. The timed part (ticks, warnings, expiry) is
// KioskScheduler's; the SQL is KioskSessionsRepository's (and WorkstationsRepository's for the workstation's status).
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { CHANNEL_PATTERNS } from '@realtime-hub/protocol';
import type { Principal } from '../auth/principal.js';
import { DomainException } from '../common/domain.exception.js';
import { ErrorCode } from '../common/error-codes.js';
import { cursorField, decodeCursor, type Page, pageLimit, toPage } from '../common/pagination.js';
import { AppConfig } from '../config/app-config.js';
import { isUniqueViolation } from '../database/query-results.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { ChannelRegistry } from '../realtime/channel-registry.js';
import type { KioskEndReason, KioskSessionPayload, TimeUpdatePayload } from '../realtime/client-events.js';
import { AttemptLimiter, type LimitRule } from '../redis/attempt-limiter.js';
import { ACCESS_CODE_PATTERN, generateAccessCode } from './access-code.js';
import type {
  CreateKioskSessionDto,
  ExtendKioskSessionDto,
  KioskSessionListQueryDto,
  ValidateCodeDto,
} from './dto/kiosk.dto.js';
import { KioskEvents, SESSIONS_CHANNEL, sessionChannel } from './kiosk-events.js';
import {
  type BoundSessionRow,
  KioskSessionsRepository,
  LIVE_CODE_INDEX,
  ONE_ACTIVE_INDEX,
  type SessionRow,
} from './kiosk-sessions.repository.js';
import { toSessionPayload, toTimeUpdate } from './kiosk.mapper.js';
import { armedWarnings, canTransition, type KioskSessionAction, TERMINATION_MESSAGES } from './session-state.js';
import { WorkstationsRepository } from './workstations.repository.js';
import { WorkstationsService } from './workstations.service.js';

/** Wrong codes per workstation: 5 within 60 s; the next attempt, right or wrong, is refused. */
export const CODE_FAILURES_PER_WORKSTATION: LimitRule = { name: 'kiosk-codes', points: 5, durationSeconds: 60 };
/** A session's whole time, extensions included, stays under this (7 days). */
export const MAX_TOTAL_SECONDS = 7 * 86400;
const CODE_ATTEMPTS = 10;

export type CodeInvalidReason = 'unknown' | 'ended' | 'in_use';
export type CodeCheck = { valid: true; session: KioskSessionPayload } | { valid: false; reason: CodeInvalidReason };

/** The kiosk socket that typed a code: a valid one makes it join the session's channel and tells it `code_valid`. */
export interface CodeHolder {
  join(channel: string): Promise<void> | void;
  leave(channel: string): Promise<void> | void;
  announce(session: KioskSessionPayload): void;
}

@Injectable()
export class KioskSessionsService implements OnModuleInit {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly uow: UnitOfWork,
    private readonly repository: KioskSessionsRepository,
    private readonly workstationRows: WorkstationsRepository,
    private readonly config: AppConfig,
    private readonly limiter: AttemptLimiter,
    private readonly channels: ChannelRegistry,
    private readonly workstations: WorkstationsService,
    private readonly events: KioskEvents,
  ) {}

  onModuleInit(): void {
    this.channels.register({
      pattern: SESSIONS_CHANNEL,
      authorize: async (principal) => {
        if (principal.role !== 'admin') throw DomainException.forbidden();
      },
    });
    this.channels.register({
      pattern: CHANNEL_PATTERNS.kioskSession,
      authorize: async (principal, { sessionId }) => void (await this.watchable(principal, sessionId)),
      snapshot: async (principal, { sessionId }) => toSessionPayload(await this.watchable(principal, sessionId)),
    });
  }

  // ---- admin

  async create(dto: CreateKioskSessionDto): Promise<KioskSessionPayload> {
    const min = this.config.kiosk.minDurationSeconds;
    if (dto.durationSeconds < min) {
      throw DomainException.validation(`durationSeconds: must not be less than ${min}`, [
        { field: 'durationSeconds', errors: [`durationSeconds must not be less than ${min}`] },
      ]);
    }
    for (let attempt = 0; attempt < CODE_ATTEMPTS; attempt += 1) {
      try {
        const row = await this.repository.insert(
          this.dataSource.manager,
          generateAccessCode(),
          dto.holderName ?? null,
          dto.durationSeconds,
        );
        this.events.sessionChanged(row, true);
        return toSessionPayload(row);
      } catch (err) {
        // The code is held by a live session: draw another (the partial unique index decides, not a lookup).
        if (!isUniqueViolation(err, LIVE_CODE_INDEX)) throw err;
      }
    }
    throw new DomainException(ErrorCode.SERVICE_UNAVAILABLE, 'Could not draw a free access code; try again');
  }

  /** Newest first, optionally of one status. */
  async list(query: KioskSessionListQueryDto): Promise<Page<KioskSessionPayload>> {
    const limit = pageLimit(query);
    const cursor = decodeCursor(query.cursor, [cursorField.timestamp, cursorField.uuid]);
    const rows = await this.repository.page(this.dataSource.manager, {
      status: query.status,
      before: cursor && { createdAt: cursor[0], id: cursor[1] },
      take: limit + 1,
    });
    // The cursor keeps the timestamp's microseconds, which a JS Date would drop.
    return toPage(rows, limit, (r) => [r.cursor_created_at, r.id], toSessionPayload);
  }

  async get(sessionId: string): Promise<KioskSessionPayload> {
    return toSessionPayload(await this.find(this.dataSource.manager, sessionId));
  }

  /** Ends the session at once, reason `admin`. */
  terminate(sessionId: string): Promise<KioskSessionPayload> {
    return this.end(undefined, sessionId, 'admin');
  }

  /**
   * Adds time: a pending session gets a longer duration; an active one a later end, and its warnings are planned
   * again from the new time left (a threshold that moved ahead warns again). A `time_update` follows.
   */
  async extend(sessionId: string, dto: ExtendKioskSessionDto): Promise<KioskSessionPayload> {
    return this.uow.run(async ({ manager, afterCommit }) => {
      const current = await this.lock(manager, sessionId);
      this.assertTransition(current, 'extend');
      if (current.duration_seconds + dto.seconds > MAX_TOTAL_SECONDS) {
        throw DomainException.validation(`seconds: a session lasts at most ${MAX_TOTAL_SECONDS} seconds in all`, [
          { field: 'seconds', errors: [`the session's whole duration must not exceed ${MAX_TOTAL_SECONDS}`] },
        ]);
      }
      let row: SessionRow;
      if (current.status === 'pending') {
        row = await this.repository.extendPending(manager, sessionId, dto.seconds);
      } else {
        const endsAtMs = current.ends_at!.getTime();
        if (endsAtMs <= current.db_now.getTime()) {
          // Its expiry is due and about to be claimed by the scheduler.
          throw new DomainException(ErrorCode.INVALID_TRANSITION, 'The session has already run out', {
            status: current.status,
          });
        }
        const remainingMs = endsAtMs + dto.seconds * 1000 - current.db_now.getTime();
        const armed = armedWarnings(this.config.kiosk.warningSeconds, remainingMs);
        row = await this.repository.extendActive(manager, sessionId, dto.seconds, armed);
      }
      afterCommit(() => {
        this.events.sessionChanged(row, false);
        this.events.sessionEvent(row, 'time_update', toTimeUpdate(row));
      });
      return toSessionPayload(row);
    });
  }

  // ---- kiosk

  /**
   * Checks a code typed on a kiosk. A live session that is free (or already this workstation's) is bound to the
   * workstation; anything else is a failure, counted per workstation over a sliding 60 s across instances.
   */
  async validateCode(actor: Principal, dto: ValidateCodeDto, holder: CodeHolder): Promise<CodeCheck> {
    // Reserved before the lookup, so a burst counts as it arrives; a right code gives its point back.
    const reservation = await this.limiter.reserve('Too many wrong codes; wait a minute', [
      CODE_FAILURES_PER_WORKSTATION,
      actor.id,
    ]);
    const refuse = (reason: CodeInvalidReason): CodeCheck => ({ valid: false, reason });
    if (!ACCESS_CODE_PATTERN.test(dto.code)) return refuse('unknown');
    let row: BoundSessionRow | undefined;
    let status: Awaited<ReturnType<KioskSessionsRepository['statusOfCode']>>;
    try {
      row = await this.bindAndJoin(actor, dto.code, holder);
      if (!row) status = await this.repository.statusOfCode(this.dataSource.manager, dto.code);
    } catch (err) {
      // Not a wrong code (the database is unreachable, say): it must not count against the workstation.
      await reservation.refund();
      throw err;
    }
    if (!row) {
      if (status === undefined) return refuse('unknown');
      return refuse(status === 'ended' ? 'ended' : 'in_use');
    }
    await reservation.refund();
    if (dto.ipAddress) await this.workstations.reportAddress(actor, dto.ipAddress);
    return { valid: true, session: toSessionPayload(row) };
  }

  /**
   * Binds the session holding `code` to the workstation, with the holder's socket joined to its channel before the
   * COMMIT and told `code_valid` right after it. The bind keeps the session's row locked until the COMMIT, so a
   * terminate, extend or start of that session waits for it: what they publish reaches the socket after `code_valid`,
   * and never before its join (the socket used to join once the bind had returned, and missed a terminate in between).
   */
  private async bindAndJoin(actor: Principal, code: string, holder: CodeHolder): Promise<BoundSessionRow | undefined> {
    let joined: string | undefined;
    try {
      return await this.uow.run(async ({ manager, afterCommit }) => {
        const bound = await this.repository.bindByCode(manager, code, actor.id);
        if (!bound) return undefined;
        joined = sessionChannel(bound.id);
        await holder.join(joined);
        afterCommit(() => {
          holder.announce(toSessionPayload(bound));
          if (bound.previous_workstation_id === null) this.events.sessionChanged(bound, false);
        });
        return bound;
      });
    } catch (err) {
      if (joined) await holder.leave(joined);
      throw err;
    }
  }

  /** Starts a pending session bound to this workstation: the countdown, ticks and warnings begin. */
  async start(actor: Principal, sessionId: string): Promise<KioskSessionPayload> {
    try {
      return await this.uow.run(async ({ manager, afterCommit }) => {
        const current = await this.lock(manager, sessionId);
        this.assertRunsOn(actor, current);
        this.assertTransition(current, 'start');
        const armed = armedWarnings(this.config.kiosk.warningSeconds, current.duration_seconds * 1000);
        const row = await this.repository.start(manager, sessionId, this.config.kiosk.tickSeconds, armed);
        const workstations = await this.workstationRows.followSessions(manager, [actor.id]);
        const session = toSessionPayload(row);
        afterCommit(() => {
          this.events.sessionChanged(row, true);
          this.events.sessionEvent(row, 'session_started', { session });
          this.events.workstationsChanged(workstations);
        });
        return session;
      });
    } catch (err) {
      if (isUniqueViolation(err, ONE_ACTIVE_INDEX)) {
        throw new DomainException(ErrorCode.INVALID_TRANSITION, 'This workstation already runs a session');
      }
      throw err;
    }
  }

  /** The kiosk closes its session (reason `closed`). */
  close(actor: Principal, sessionId: string): Promise<KioskSessionPayload> {
    return this.end(actor, sessionId, 'closed');
  }

  /** The countdown of a session this workstation runs. */
  async timeOf(actor: Principal, sessionId: string): Promise<TimeUpdatePayload> {
    return toTimeUpdate(await this.watchable(actor, sessionId));
  }

  // ---- shared

  /** Ends a pending or active session; `actor` is the kiosk for `closed`, undefined for an admin. */
  private async end(
    actor: Principal | undefined,
    sessionId: string,
    reason: Exclude<KioskEndReason, 'expired'>,
  ): Promise<KioskSessionPayload> {
    return this.uow.run(async ({ manager, afterCommit }) => {
      const current = await this.lock(manager, sessionId);
      if (actor) this.assertRunsOn(actor, current);
      this.assertTransition(current, 'end');
      // Past its deadline, the session has run out, whoever asks to end it before the scheduler claims its expiry:
      // it ends as the expiry would have ended it, reason `expired`, at its deadline.
      const ranOut = current.ends_at !== null && current.ends_at.getTime() <= current.db_now.getTime();
      const endReason: KioskEndReason = ranOut ? 'expired' : reason;
      const row = await this.repository.end(manager, sessionId, endReason);
      const workstations = current.workstation_id
        ? await this.workstationRows.followSessions(manager, [current.workstation_id])
        : [];
      afterCommit(() => {
        this.events.sessionChanged(row, true);
        this.events.sessionEvent(row, 'session_terminated', {
          sessionId: row.id,
          reason: endReason,
          message: TERMINATION_MESSAGES[endReason],
        });
        this.events.workstationsChanged(workstations);
      });
      return toSessionPayload(row);
    });
  }

  private async find(manager: EntityManager, sessionId: string): Promise<SessionRow> {
    const row = await this.repository.find(manager, sessionId);
    if (!row) throw DomainException.notFound('Kiosk session');
    return row;
  }

  /** The session when the principal may watch it: an admin, or the kiosk of the workstation it runs on. */
  private async watchable(principal: Principal, sessionId: string): Promise<SessionRow> {
    if (principal.role !== 'admin' && principal.role !== 'kiosk') throw DomainException.forbidden();
    const row = await this.find(this.dataSource.manager, sessionId);
    this.assertRunsOn(principal, row);
    return row;
  }

  /** The session under its row lock, for the rest of the transaction. */
  private async lock(manager: EntityManager, sessionId: string): Promise<SessionRow> {
    const row = await this.repository.lock(manager, sessionId);
    if (!row) throw DomainException.notFound('Kiosk session');
    return row;
  }

  /** A kiosk acts only on sessions bound to its own workstation; admins on any. */
  private assertRunsOn(principal: Principal, row: SessionRow): void {
    if (principal.role === 'admin') return;
    if (principal.role !== 'kiosk' || row.workstation_id !== principal.id) {
      throw DomainException.forbidden('This session does not run on this workstation');
    }
  }

  private assertTransition(row: SessionRow, action: KioskSessionAction): void {
    if (!canTransition(row.status, action)) {
      throw new DomainException(ErrorCode.INVALID_TRANSITION, `Cannot ${action} a ${row.status} session`, {
        status: row.status,
      });
    }
  }
}
