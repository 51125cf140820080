// The SQL of kiosk sessions. Every method takes the EntityManager to run on: inside a transaction, that
// transaction's manager (embedded PGlite has one backend; any other connection would wait forever); outside, the
// DataSource's. Every statement also returns the database clock (`db_now`), so that every instance counts down
// alike. The rules (which transition is allowed, which warnings a session arms, what a failure means) are the
// service's; the scheduler's claims are single statements that move the due moment on as they claim it.
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { rowsOf } from '../database/query-results.js';
import type { KioskEndReason } from '../realtime/client-events.js';
import type { KioskSession } from './kiosk-session.entity.js';

/** A `kiosk_sessions` row as its statements return it, with the database clock. */
export interface SessionRow {
  id: string;
  access_code: string;
  holder_name: string | null;
  workstation_id: string | null;
  duration_seconds: number;
  status: KioskSession['status'];
  started_at: Date | null;
  ends_at: Date | null;
  ended_at: Date | null;
  end_reason: KioskSession['endReason'];
  version: number;
  event_seq: number;
  db_now: Date;
}

/** A session just bound to a workstation by its code, and the workstation it was bound to before (or null). */
export type BoundSessionRow = SessionRow & { previous_workstation_id: string | null };

/** A row of the admins' list, with its `created_at` as text for the cursor (a JS Date drops microseconds). */
export type ListedSessionRow = SessionRow & { cursor_created_at: string };

export interface SessionPageSpec {
  status?: KioskSession['status'];
  /** Rows strictly before this (created_at, id), in the list's order (newest first). */
  before?: { createdAt: string; id: string };
  /** Rows to fetch (the page size plus one, to learn whether there is more). */
  take: number;
}

/** The partial unique index that keeps an access code to one live (not ended) session. */
export const LIVE_CODE_INDEX = 'kiosk_sessions_access_code_live_key';
/** The partial unique index that keeps a workstation to one active session. */
export const ONE_ACTIVE_INDEX = 'kiosk_sessions_workstation_active_key';

/** The columns of SessionRow, for SELECT and RETURNING lists; `alias` qualifies them when a statement joins. */
function sessionColumns(alias = 'kiosk_sessions'): string {
  return [
    'id',
    'access_code',
    'holder_name',
    'workstation_id',
    'duration_seconds',
    'status',
    'started_at',
    'ends_at',
    'ended_at',
    'end_reason',
    'version',
    'event_seq',
  ]
    .map((c) => `${alias}.${c}`)
    .concat('now() AS db_now')
    .join(', ');
}

/**
 * Which due moments a claim takes: every one (no scope: one instance alone), or those of sessions on `workstationIds`
 * (the workstations whose socket the claiming instance holds) and the others overdue by more than `overdueSeconds`.
 */
export interface ClaimScope {
  workstationIds: string[];
  overdueSeconds: number;
}

/** A claim's scope condition on its due column `due` of the row `s`; its two values are `$first` and the next. */
function inScope(due: string, first: number): string {
  const ids = `$${first}::uuid[]`;
  const grace = `make_interval(secs => $${first + 1}::float8)`;
  return `(${ids} IS NULL OR s.workstation_id = ANY(${ids}) OR s.${due} <= now() - ${grace})`;
}

function scopeValues(scope: ClaimScope | undefined): unknown[] {
  return scope ? [scope.workstationIds, scope.overdueSeconds] : [null, 0];
}

/**
 * The SET list that ends a session for `reason` (an SQL text expression): at its deadline when `expired` (even when
 * claimed later), else now; nothing of it is due any more.
 */
function endedSet(reason: string): string {
  return `status = 'ended', end_reason = ${reason},
    ended_at = CASE WHEN ${reason} = 'expired' THEN ends_at ELSE now() END,
    next_tick_at = NULL, next_warning_at = NULL, warnings_left = '{}',
    version = version + 1, event_seq = event_seq + 1`;
}

/** Sessions whose time is over end, reason `expired`. $1, $2 = scope. */
const EXPIRE_DUE = `
  UPDATE kiosk_sessions s SET ${endedSet(`'expired'`)}
  WHERE s.status = 'active' AND s.ends_at <= now() AND ${inScope('ends_at', 1)}
  RETURNING ${sessionColumns('s')}`;

/**
 * Due warnings: the thresholds whose moment has come leave `warnings_left` (several at once when the server was
 * away: one warning stands for them), and `next_warning_at` moves to the largest threshold still ahead. $1, $2 = scope.
 */
const WARN_DUE = `
  UPDATE kiosk_sessions s SET
    warnings_left = ARRAY(
      SELECT t FROM unnest(s.warnings_left) AS t WHERE s.ends_at - make_interval(secs => t) > now() ORDER BY t DESC),
    next_warning_at = s.ends_at - make_interval(secs => (
      SELECT max(t) FROM unnest(s.warnings_left) AS t WHERE s.ends_at - make_interval(secs => t) > now())),
    event_seq = s.event_seq + 1
  WHERE s.status = 'active' AND s.next_warning_at <= now() AND s.ends_at > now() AND ${inScope('next_warning_at', 1)}
  RETURNING ${sessionColumns('s')}`;

/**
 * Due ticks; `next_tick_at` jumps to the next multiple of the period (from the start) after now. $1 = period, $2 and
 * $3 = scope.
 */
const TICK_DUE = `
  UPDATE kiosk_sessions s SET
    next_tick_at = s.started_at + make_interval(secs => ($1::int * (
      floor(extract(epoch FROM now() - s.started_at) / $1::int) + 1))::double precision),
    event_seq = s.event_seq + 1
  WHERE s.status = 'active' AND s.next_tick_at <= now() AND s.ends_at > now() AND ${inScope('next_tick_at', 2)}
  RETURNING ${sessionColumns('s')}`;

/**
 * Whether any active session has a moment due (its end, a warning, a tick), whichever instance's it is, and whether
 * a workstation's offline moment has come (WorkstationsRepository's claim): a superset of what the claims would take,
 * in one read. Each EXISTS is a probe of one of their partial indexes.
 */
const DUE = `
  SELECT EXISTS (SELECT 1 FROM kiosk_sessions WHERE status = 'active' AND ends_at <= now())
      OR EXISTS (SELECT 1 FROM kiosk_sessions WHERE status = 'active' AND next_warning_at <= now())
      OR EXISTS (SELECT 1 FROM kiosk_sessions WHERE status = 'active' AND next_tick_at <= now()) AS sessions,
    EXISTS (SELECT 1 FROM workstations WHERE offline_at <= now()) AS offline`;

/** What `due` finds: a moment of a session, a workstation to take offline. */
export interface DueWork {
  sessions: boolean;
  offline: boolean;
}

@Injectable()
export class KioskSessionsRepository {
  /** A new pending session; a code held by a live session fails on LIVE_CODE_INDEX (a unique violation). */
  async insert(
    manager: EntityManager,
    accessCode: string,
    holderName: string | null,
    durationSeconds: number,
  ): Promise<SessionRow> {
    const rows: SessionRow[] = await manager.query(
      `INSERT INTO kiosk_sessions (access_code, holder_name, duration_seconds) VALUES ($1, $2, $3)
           RETURNING ${sessionColumns()}`,
      [accessCode, holderName, durationSeconds],
    );
    return rows[0];
  }

  /** One page of the admins' list: newest first, optionally of one status. */
  async page(manager: EntityManager, spec: SessionPageSpec): Promise<ListedSessionRow[]> {
    const params: unknown[] = [spec.take];
    const where: string[] = [];
    if (spec.status) {
      params.push(spec.status);
      where.push(`status = $${params.length}`);
    }
    if (spec.before) {
      params.push(spec.before.createdAt, spec.before.id);
      where.push(`(created_at, id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
    }
    return manager.query(
      `SELECT ${sessionColumns()}, created_at::text AS cursor_created_at FROM kiosk_sessions
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY created_at DESC, id DESC LIMIT $1`,
      params,
    );
  }

  async find(manager: EntityManager, sessionId: string): Promise<SessionRow | undefined> {
    const rows: SessionRow[] = await manager.query(`SELECT ${sessionColumns()} FROM kiosk_sessions WHERE id = $1`, [
      sessionId,
    ]);
    return rows[0];
  }

  /** The session under its row lock, for the rest of the transaction; undefined when there is none. */
  async lock(manager: EntityManager, sessionId: string): Promise<SessionRow | undefined> {
    const rows: SessionRow[] = await manager.query(
      `SELECT ${sessionColumns()} FROM kiosk_sessions WHERE id = $1 FOR UPDATE`,
      [sessionId],
    );
    return rows[0];
  }

  /**
   * Binds the live session holding `accessCode` to the workstation, in one statement under the session's row
   * lock, when it is free or already that workstation's (the version moves only when it was free). Undefined when
   * no live session holds the code or another workstation holds it.
   */
  async bindByCode(
    manager: EntityManager,
    accessCode: string,
    workstationId: string,
  ): Promise<BoundSessionRow | undefined> {
    const rows = rowsOf<BoundSessionRow>(
      await manager.query(
        `UPDATE kiosk_sessions s SET workstation_id = $2,
           version = s.version + CASE WHEN old.workstation_id IS NULL THEN 1 ELSE 0 END
         FROM (SELECT id, workstation_id FROM kiosk_sessions WHERE access_code = $1 AND status <> 'ended' FOR UPDATE) old
         WHERE s.id = old.id AND (old.workstation_id IS NULL OR old.workstation_id = $2)
         RETURNING ${sessionColumns('s')}, old.workstation_id AS previous_workstation_id`,
        [accessCode, workstationId],
      ),
    );
    return rows[0];
  }

  /** The status of the session that holds (or last held) the code, a live one first; undefined when none did. */
  async statusOfCode(manager: EntityManager, accessCode: string): Promise<KioskSession['status'] | undefined> {
    const rows: { status: KioskSession['status'] }[] = await manager.query(
      `SELECT status FROM kiosk_sessions WHERE access_code = $1 ORDER BY (status <> 'ended') DESC LIMIT 1`,
      [accessCode],
    );
    return rows[0]?.status;
  }

  /** A pending session (locked by the caller) lasts `seconds` longer. */
  async extendPending(manager: EntityManager, sessionId: string, seconds: number): Promise<SessionRow> {
    return this.updateOne(
      manager,
      `UPDATE kiosk_sessions SET duration_seconds = duration_seconds + $2::int,
             version = version + 1, event_seq = event_seq + 1
           WHERE id = $1 RETURNING ${sessionColumns()}`,
      [sessionId, seconds],
    );
  }

  /**
   * An active session (locked by the caller) ends `seconds` later, with `armed` (the warning thresholds still to
   * come, largest first) as its warnings and the next one planned from the new end.
   */
  async extendActive(manager: EntityManager, sessionId: string, seconds: number, armed: number[]): Promise<SessionRow> {
    return this.updateOne(
      manager,
      `UPDATE kiosk_sessions SET duration_seconds = duration_seconds + $2::int,
           ends_at = ends_at + make_interval(secs => $2::int),
           warnings_left = $3::int[],
           next_warning_at = CASE WHEN $4::int IS NULL THEN NULL
                             ELSE ends_at + make_interval(secs => $2::int - $4::int) END,
           version = version + 1, event_seq = event_seq + 1
         WHERE id = $1 RETURNING ${sessionColumns()}`,
      [sessionId, seconds, armed, armed[0] ?? null],
    );
  }

  /**
   * A pending session (locked by the caller) becomes active now: it ends after its duration, ticks every
   * `tickSeconds` and warns at `armed` (largest first). A second active session on its workstation fails on
   * ONE_ACTIVE_INDEX (a unique violation).
   */
  async start(manager: EntityManager, sessionId: string, tickSeconds: number, armed: number[]): Promise<SessionRow> {
    return this.updateOne(
      manager,
      `UPDATE kiosk_sessions SET status = 'active', started_at = now(),
             ends_at = now() + make_interval(secs => duration_seconds),
             next_tick_at = now() + make_interval(secs => $2::int),
             warnings_left = $3::int[],
             next_warning_at = CASE WHEN $4::int IS NULL THEN NULL
                               ELSE now() + make_interval(secs => duration_seconds - $4::int) END,
             version = version + 1, event_seq = event_seq + 1
           WHERE id = $1 RETURNING ${sessionColumns()}`,
      [sessionId, tickSeconds, armed, armed[0] ?? null],
    );
  }

  /**
   * Ends a session (locked by the caller) for `reason`, now, or at its deadline for `expired` (as the scheduler's
   * claim would); nothing of it is due any more.
   */
  async end(manager: EntityManager, sessionId: string, reason: KioskEndReason): Promise<SessionRow> {
    return this.updateOne(
      manager,
      `UPDATE kiosk_sessions SET ${endedSet('$2::text')} WHERE id = $1 RETURNING ${sessionColumns()}`,
      [sessionId, reason],
    );
  }

  /** Whether the scheduler's claims have anything to take now (a read: it claims nothing). */
  async due(manager: EntityManager): Promise<DueWork> {
    return rowsOf<DueWork>(await manager.query(DUE))[0];
  }

  /** Claims and ends every active session whose time is over, in one statement: each is answered once. */
  async expireDue(manager: EntityManager, scope?: ClaimScope): Promise<SessionRow[]> {
    return rowsOf<SessionRow>(await manager.query(EXPIRE_DUE, scopeValues(scope)));
  }

  /** Claims every due warning in one statement, moving `next_warning_at` on: each is answered once. */
  async warnDue(manager: EntityManager, scope?: ClaimScope): Promise<SessionRow[]> {
    return rowsOf<SessionRow>(await manager.query(WARN_DUE, scopeValues(scope)));
  }

  /** Claims every due tick of period `tickSeconds` in one statement, moving `next_tick_at` on past now. */
  async tickDue(manager: EntityManager, tickSeconds: number, scope?: ClaimScope): Promise<SessionRow[]> {
    return rowsOf<SessionRow>(await manager.query(TICK_DUE, [tickSeconds, ...scopeValues(scope)]));
  }

  private async updateOne(manager: EntityManager, sql: string, params: unknown[]): Promise<SessionRow> {
    return rowsOf<SessionRow>(await manager.query(sql, params))[0];
  }
}
