// The SQL of workstations. Every method takes the EntityManager to run on: inside a transaction, that
// transaction's manager (embedded PGlite has one backend; any other connection would wait forever); outside, the
// DataSource's. The claims (offline due, silent) are single statements that clear or move the due moment as they
// claim it, so that one instance acts on each workstation.
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { rowsOf } from '../database/query-results.js';
import type { WorkstationStatus } from './workstation.entity.js';

/** A `workstations` row as its statements return it. */
export interface WorkstationRow {
  id: string;
  name: string;
  ip_address: string | null;
  status: WorkstationStatus;
  last_seen_at: Date | null;
  token_version: number;
}

/** A workstation whose status a statement set, with the status it had before. */
export type StatusChangeRow = WorkstationRow & { previous_status: WorkstationStatus };

/** A workstation whose offline moment a pass claimed, and the database clock at the claim (timestamptz text). */
export interface OfflineClaim {
  id: string;
  claimedAt: string;
}

/** A row of the admins' list, with its `created_at` as text for the cursor (a JS Date drops microseconds). */
export type ListedWorkstationRow = WorkstationRow & { cursor_created_at: string };

export interface WorkstationPageSpec {
  /** Rows strictly after this (created_at, id), in the list's order (oldest first). */
  after?: { createdAt: string; id: string };
  /** Rows to fetch (the page size plus one, to learn whether there is more). */
  take: number;
}

/** The columns of WorkstationRow, for SELECT and RETURNING lists; `alias` qualifies them when a statement joins. */
function workstationColumns(alias = 'workstations'): string {
  return ['id', 'name', 'ip_address', 'status', 'last_seen_at', 'token_version'].map((c) => `${alias}.${c}`).join(', ');
}

@Injectable()
export class WorkstationsRepository {
  /** A new workstation, offline, token version 0. */
  async insert(manager: EntityManager, name: string, ipAddress: string | null): Promise<WorkstationRow> {
    const rows: WorkstationRow[] = await manager.query(
      `INSERT INTO workstations (name, ip_address) VALUES ($1, $2) RETURNING ${workstationColumns()}`,
      [name, ipAddress],
    );
    return rows[0];
  }

  /** Moves the token version on (older tokens stop matching); undefined when there is no such workstation. */
  async rotateToken(manager: EntityManager, workstationId: string): Promise<WorkstationRow | undefined> {
    const rows = rowsOf<WorkstationRow>(
      await manager.query(
        `UPDATE workstations SET token_version = token_version + 1 WHERE id = $1 RETURNING ${workstationColumns()}`,
        [workstationId],
      ),
    );
    return rows[0];
  }

  /** The token version tokens of this workstation must carry; undefined when there is no such workstation. */
  async tokenVersion(manager: EntityManager, workstationId: string): Promise<number | undefined> {
    const rows: { token_version: number }[] = await manager.query(
      `SELECT token_version FROM workstations WHERE id = $1`,
      [workstationId],
    );
    return rows[0]?.token_version;
  }

  /** One page of the admins' list: oldest first. */
  async page(manager: EntityManager, spec: WorkstationPageSpec): Promise<ListedWorkstationRow[]> {
    const params: unknown[] = [spec.take];
    let where = '';
    if (spec.after) {
      where = `WHERE (created_at, id) > ($2::timestamptz, $3::uuid)`;
      params.push(spec.after.createdAt, spec.after.id);
    }
    return manager.query(
      `SELECT ${workstationColumns()}, created_at::text AS cursor_created_at FROM workstations ${where}
       ORDER BY created_at, id LIMIT $1`,
      params,
    );
  }

  /**
   * A socket of the workstation connected: no offline moment is pending, it was seen now, and its status is
   * `occupied` when it runs an active session, else `available`. Answers the row (empty when there is none) with
   * the status it had before, under its row lock.
   */
  async markConnected(manager: EntityManager, workstationId: string): Promise<StatusChangeRow[]> {
    return rowsOf<StatusChangeRow>(
      await manager.query(
        `UPDATE workstations w
         SET offline_at = NULL, last_seen_at = now(),
             status = CASE WHEN EXISTS (SELECT 1 FROM kiosk_sessions s WHERE s.workstation_id = w.id AND s.status = 'active')
                      THEN 'occupied' ELSE 'available' END
         FROM (SELECT id, status FROM workstations WHERE id = $1 FOR UPDATE) old
         WHERE w.id = old.id
         RETURNING ${workstationColumns('w')}, old.status AS previous_status`,
        [workstationId],
      ),
    );
  }

  /** The workstation's last socket left: its offline moment is `offlineSeconds` from now. */
  async markLastSocketLeft(manager: EntityManager, workstationId: string, offlineSeconds: number): Promise<void> {
    await manager.query(
      `UPDATE workstations SET offline_at = now() + make_interval(secs => $2), last_seen_at = now() WHERE id = $1`,
      [workstationId, offlineSeconds],
    );
  }

  /** The workstation was heard from now; answers the database clock (undefined when there is no workstation). */
  async markSeen(manager: EntityManager, workstationId: string): Promise<Date | undefined> {
    const rows = rowsOf<{ now: Date }>(
      await manager.query(`UPDATE workstations SET last_seen_at = now() WHERE id = $1 RETURNING now()`, [
        workstationId,
      ]),
    );
    return rows[0]?.now;
  }

  /** Records the address; answers the row only when the address changed. */
  async setAddress(manager: EntityManager, workstationId: string, ipAddress: string): Promise<WorkstationRow[]> {
    return rowsOf<WorkstationRow>(
      await manager.query(
        `UPDATE workstations SET ip_address = $2 WHERE id = $1 AND ip_address IS DISTINCT FROM $2
         RETURNING ${workstationColumns()}`,
        [workstationId, ipAddress],
      ),
    );
  }

  /**
   * Claims the workstations whose offline moment has come, clearing it in the same statement: each once. Each claim
   * carries the database clock it was made at (as text: a JS Date drops microseconds), for `goOffline`.
   */
  async claimOfflineDue(manager: EntityManager): Promise<OfflineClaim[]> {
    const rows = rowsOf<{ id: string; claimed_at: string }>(
      await manager.query(
        `UPDATE workstations SET offline_at = NULL WHERE offline_at <= now() RETURNING id, now()::text AS claimed_at`,
      ),
    );
    return rows.map((r) => ({ id: r.id, claimedAt: r.claimed_at }));
  }

  /**
   * Sets the status `offline`, unless it is already, an offline moment was planned again meanwhile, or the
   * workstation was heard from since the claim (a socket connected, or a heartbeat came, after the look for its
   * sockets: it is back).
   */
  async goOffline(manager: EntityManager, claim: OfflineClaim): Promise<WorkstationRow[]> {
    return rowsOf<WorkstationRow>(
      await manager.query(
        `UPDATE workstations SET status = 'offline'
         WHERE id = $1 AND status <> 'offline' AND offline_at IS NULL
           AND (last_seen_at IS NULL OR last_seen_at <= $2::timestamptz)
         RETURNING ${workstationColumns()}`,
        [claim.id, claim.claimedAt],
      ),
    );
  }

  /**
   * Claims the workstations that seem online but were not heard from for `offlineSeconds`, moving `last_seen_at`
   * on in the same statement, so that each is claimed once per such period.
   */
  async claimSilent(manager: EntityManager, offlineSeconds: number): Promise<string[]> {
    const rows = rowsOf<{ id: string }>(
      await manager.query(
        `UPDATE workstations SET last_seen_at = now()
         WHERE status <> 'offline' AND offline_at IS NULL
           AND (last_seen_at IS NULL OR last_seen_at <= now() - make_interval(secs => $1))
         RETURNING id`,
        [offlineSeconds],
      ),
    );
    return rows.map((r) => r.id);
  }

  /** The offline moment of these workstations (not offline, none planned) is now. */
  async offlineNow(manager: EntityManager, workstationIds: string[]): Promise<void> {
    await manager.query(
      `UPDATE workstations SET offline_at = now()
       WHERE id = ANY($1::uuid[]) AND offline_at IS NULL AND status <> 'offline'`,
      [workstationIds],
    );
  }

  /** Plans the offline moment now again, unless one is planned already (a claim put back). */
  async retryOffline(manager: EntityManager, workstationId: string): Promise<void> {
    await manager.query(`UPDATE workstations SET offline_at = now() WHERE id = $1 AND offline_at IS NULL`, [
      workstationId,
    ]);
  }

  /**
   * The workstations' status follows their sessions: `occupied` while one runs an active session, `available`
   * after; an offline one stays offline (its status follows its sockets). Answers the rows that changed.
   */
  async followSessions(manager: EntityManager, workstationIds: string[]): Promise<WorkstationRow[]> {
    if (workstationIds.length === 0) return [];
    return rowsOf<WorkstationRow>(
      await manager.query(
        `UPDATE workstations w SET status = t.next
         FROM (
           SELECT id, CASE WHEN EXISTS (
               SELECT 1 FROM kiosk_sessions s WHERE s.workstation_id = workstations.id AND s.status = 'active'
             ) THEN 'occupied' ELSE 'available' END AS next
           FROM workstations WHERE id = ANY($1::uuid[])
         ) t
         WHERE w.id = t.id AND w.status <> 'offline' AND w.status <> t.next
         RETURNING ${workstationColumns('w')}`,
        [workstationIds],
      ),
    );
  }
}
