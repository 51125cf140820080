// Kiosk sessions: created by admins with an access code; a kiosk validates the code (binding the session to its
// workstation), starts, reads and ends it; admins terminate and extend. Every change is one transaction under the
// session's row lock, published after the commit. The timed part (ticks, warnings, expiry) is KioskScheduler's.
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { CHANNEL_PATTERNS } from '@realtime-hub/protocol';
import type { Principal } from '../auth/principal.js';
import { DomainException } from '../common/domain.exception.js';
import { ErrorCode } from '../common/error-codes.js';
import { cursorField, decodeCursor, type Page, pageLimit, toPage } from '../common/pagination.js';
import { AppConfig } from '../config/app-config.js';
import { isUniqueViolation, rowsOf } from '../database/query-results.js';
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
import { KioskEvents, SESSIONS_CHANNEL } from './kiosk-events.js';
import {
  sessionColumns,
  type SessionRow,
  toSessionPayload,
  toTimeUpdate,
  type WorkstationRow,
} from './kiosk.mapper.js';
import { armedWarnings, canTransition, type KioskSessionAction, TERMINATION_MESSAGES } from './session-state.js';
import { WorkstationsService } from './workstations.service.js';

/** Failed codes per workstation within this window; the attempt after the fifth failure is refused. */
/** Wrong codes per workstation: 5 within 60 s; the next attempt, right or wrong, is refused. */
export const CODE_FAILURES_PER_WORKSTATION: LimitRule = { name: 'kiosk-codes', points: 5, durationSeconds: 60 };
/** A session's whole time, extensions included, stays under this (7 days). */
export const MAX_TOTAL_SECONDS = 7 * 86400;
const CODE_ATTEMPTS = 10;
const LIVE_CODE_INDEX = 'kiosk_sessions_access_code_live_key';
const ONE_ACTIVE_INDEX = 'kiosk_sessions_workstation_active_key';

export type CodeInvalidReason = 'unknown' | 'ended' | 'in_use';
export type CodeCheck = { valid: true; session: KioskSessionPayload } | { valid: false; reason: CodeInvalidReason };

@Injectable()
export class KioskSessionsService implements OnModuleInit {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
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
        return undefined;
      },
    });
    this.channels.register({
      pattern: CHANNEL_PATTERNS.kioskSession,
      authorize: async (principal, { sessionId }) => {
        if (principal.role !== 'admin' && principal.role !== 'kiosk') throw DomainException.forbidden();
        const row = await this.find(this.dataSource.manager, sessionId);
        this.assertRunsOn(principal, row);
        return toSessionPayload(row);
      },
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
        const rows: SessionRow[] = await this.dataSource.query(
          `INSERT INTO kiosk_sessions (access_code, holder_name, duration_seconds) VALUES ($1, $2, $3)
           RETURNING ${sessionColumns()}`,
          [generateAccessCode(), dto.holderName ?? null, dto.durationSeconds],
        );
        this.events.sessionChanged(rows[0], true);
        return toSessionPayload(rows[0]);
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
    const params: unknown[] = [limit + 1];
    const where: string[] = [];
    if (query.status) {
      params.push(query.status);
      where.push(`status = $${params.length}`);
    }
    if (cursor) {
      const [createdAt, id] = cursor;
      params.push(createdAt, id);
      where.push(`(created_at, id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
    }
    // The cursor keeps the timestamp's microseconds, which a JS Date would drop.
    const rows: (SessionRow & { cursor_created_at: string })[] = await this.dataSource.query(
      `SELECT ${sessionColumns()}, created_at::text AS cursor_created_at FROM kiosk_sessions
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY created_at DESC, id DESC LIMIT $1`,
      params,
    );
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
    const row = await this.dataSource.transaction(async (m) => {
      const current = await this.find(m, sessionId, true);
      this.assertTransition(current, 'extend');
      if (current.duration_seconds + dto.seconds > MAX_TOTAL_SECONDS) {
        throw DomainException.validation(`seconds: a session lasts at most ${MAX_TOTAL_SECONDS} seconds in all`, [
          { field: 'seconds', errors: [`the session's whole duration must not exceed ${MAX_TOTAL_SECONDS}`] },
        ]);
      }
      if (current.status === 'pending') {
        return this.updateOne(
          m,
          `UPDATE kiosk_sessions SET duration_seconds = duration_seconds + $2::int,
             version = version + 1, event_seq = event_seq + 1
           WHERE id = $1 RETURNING ${sessionColumns()}`,
          [sessionId, dto.seconds],
        );
      }
      const endsAtMs = current.ends_at!.getTime();
      if (endsAtMs <= current.db_now.getTime()) {
        // Its expiry is due and about to be claimed by the scheduler.
        throw new DomainException(ErrorCode.INVALID_TRANSITION, 'The session has already run out', {
          status: current.status,
        });
      }
      const remainingMs = endsAtMs + dto.seconds * 1000 - current.db_now.getTime();
      const armed = armedWarnings(this.config.kiosk.warningSeconds, remainingMs);
      return this.updateOne(
        m,
        `UPDATE kiosk_sessions SET duration_seconds = duration_seconds + $2::int,
           ends_at = ends_at + make_interval(secs => $2::int),
           warnings_left = $3::int[],
           next_warning_at = CASE WHEN $4::int IS NULL THEN NULL
                             ELSE ends_at + make_interval(secs => $2::int - $4::int) END,
           version = version + 1, event_seq = event_seq + 1
         WHERE id = $1 RETURNING ${sessionColumns()}`,
        [sessionId, dto.seconds, armed, armed[0] ?? null],
      );
    });
    this.events.sessionChanged(row, false);
    this.events.sessionEvent(row, 'time_update', toTimeUpdate(row));
    return toSessionPayload(row);
  }

  // ---- kiosk

  /**
   * Checks a code typed on a kiosk. A live session that is free (or already this workstation's) is bound to the
   * workstation; anything else is a failure, counted per workstation within a 60 s window across instances.
   */
  async validateCode(actor: Principal, dto: ValidateCodeDto): Promise<CodeCheck> {
    // Reserved before the lookup, so a burst counts as it arrives; a right code gives its point back.
    const reservation = await this.limiter.reserve('Too many wrong codes; wait a minute', [
      CODE_FAILURES_PER_WORKSTATION,
      actor.id,
    ]);
    const refuse = (reason: CodeInvalidReason): CodeCheck => ({ valid: false, reason });
    if (!ACCESS_CODE_PATTERN.test(dto.code)) return refuse('unknown');
    const rows = rowsOf<SessionRow & { previous_workstation_id: string | null }>(
      await this.dataSource.query(
        `UPDATE kiosk_sessions s SET workstation_id = $2,
           version = s.version + CASE WHEN old.workstation_id IS NULL THEN 1 ELSE 0 END
         FROM (SELECT id, workstation_id FROM kiosk_sessions WHERE access_code = $1 AND status <> 'ended' FOR UPDATE) old
         WHERE s.id = old.id AND (old.workstation_id IS NULL OR old.workstation_id = $2)
         RETURNING ${sessionColumns('s')}, old.workstation_id AS previous_workstation_id`,
        [dto.code, actor.id],
      ),
    );
    if (rows.length === 0) {
      const known: { status: string }[] = await this.dataSource.query(
        `SELECT status FROM kiosk_sessions WHERE access_code = $1 ORDER BY (status <> 'ended') DESC LIMIT 1`,
        [dto.code],
      );
      if (known.length === 0) return refuse('unknown');
      return refuse(known[0].status === 'ended' ? 'ended' : 'in_use');
    }
    await reservation.refund();
    const row = rows[0];
    if (row.previous_workstation_id === null) this.events.sessionChanged(row, false);
    if (dto.ipAddress) await this.workstations.reportAddress(actor, dto.ipAddress);
    return { valid: true, session: toSessionPayload(row) };
  }

  /** Starts a pending session bound to this workstation: the countdown, ticks and warnings begin. */
  async start(actor: Principal, sessionId: string): Promise<KioskSessionPayload> {
    let result: { row: SessionRow; workstations: WorkstationRow[] };
    try {
      result = await this.dataSource.transaction(async (m) => {
        const current = await this.find(m, sessionId, true);
        this.assertRunsOn(actor, current);
        this.assertTransition(current, 'start');
        const armed = armedWarnings(this.config.kiosk.warningSeconds, current.duration_seconds * 1000);
        const row = await this.updateOne(
          m,
          `UPDATE kiosk_sessions SET status = 'active', started_at = now(),
             ends_at = now() + make_interval(secs => duration_seconds),
             next_tick_at = now() + make_interval(secs => $2::int),
             warnings_left = $3::int[],
             next_warning_at = CASE WHEN $4::int IS NULL THEN NULL
                               ELSE now() + make_interval(secs => duration_seconds - $4::int) END,
             version = version + 1, event_seq = event_seq + 1
           WHERE id = $1 RETURNING ${sessionColumns()}`,
          [sessionId, this.config.kiosk.tickSeconds, armed, armed[0] ?? null],
        );
        return { row, workstations: await this.workstations.followSessions(m, [actor.id]) };
      });
    } catch (err) {
      if (isUniqueViolation(err, ONE_ACTIVE_INDEX)) {
        throw new DomainException(ErrorCode.INVALID_TRANSITION, 'This workstation already runs a session');
      }
      throw err;
    }
    const session = toSessionPayload(result.row);
    this.events.sessionChanged(result.row, true);
    this.events.sessionEvent(result.row, 'session_started', { session });
    this.events.workstationsChanged(result.workstations);
    return session;
  }

  /** The kiosk closes its session (reason `closed`). */
  close(actor: Principal, sessionId: string): Promise<KioskSessionPayload> {
    return this.end(actor, sessionId, 'closed');
  }

  /** The countdown of a session this workstation runs. */
  async timeOf(actor: Principal, sessionId: string): Promise<TimeUpdatePayload> {
    const row = await this.find(this.dataSource.manager, sessionId);
    this.assertRunsOn(actor, row);
    return toTimeUpdate(row);
  }

  // ---- shared

  /** Ends a pending or active session; `actor` is the kiosk for `closed`, undefined for an admin. */
  private async end(
    actor: Principal | undefined,
    sessionId: string,
    reason: Exclude<KioskEndReason, 'expired'>,
  ): Promise<KioskSessionPayload> {
    const { row, workstations } = await this.dataSource.transaction(async (m) => {
      const current = await this.find(m, sessionId, true);
      if (actor) this.assertRunsOn(actor, current);
      this.assertTransition(current, 'end');
      const ended = await this.updateOne(
        m,
        `UPDATE kiosk_sessions SET status = 'ended', end_reason = $2, ended_at = now(),
           next_tick_at = NULL, next_warning_at = NULL, warnings_left = '{}',
           version = version + 1, event_seq = event_seq + 1
         WHERE id = $1 RETURNING ${sessionColumns()}`,
        [sessionId, reason],
      );
      const changed = current.workstation_id ? await this.workstations.followSessions(m, [current.workstation_id]) : [];
      return { row: ended, workstations: changed };
    });
    this.events.sessionChanged(row, true);
    this.events.sessionEvent(row, 'session_terminated', {
      sessionId: row.id,
      reason,
      message: TERMINATION_MESSAGES[reason],
    });
    this.events.workstationsChanged(workstations);
    return toSessionPayload(row);
  }

  private async find(m: EntityManager, sessionId: string, lock = false): Promise<SessionRow> {
    const rows: SessionRow[] = await m.query(
      `SELECT ${sessionColumns()} FROM kiosk_sessions WHERE id = $1${lock ? ' FOR UPDATE' : ''}`,
      [sessionId],
    );
    if (rows.length === 0) throw DomainException.notFound('Kiosk session');
    return rows[0];
  }

  private async updateOne(m: EntityManager, sql: string, params: unknown[]): Promise<SessionRow> {
    return rowsOf<SessionRow>(await m.query(sql, params))[0];
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
