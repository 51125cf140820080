// The dashboard's one read: every count in one statement (read-only; the tables belong to auth and kiosk).
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

export interface CountsRow {
  users_total: number;
  users_active: number;
  users_new_this_month: number;
  sessions_total: number;
  sessions_active: number;
  sessions_pending: number;
  sessions_ended_today: number;
  workstations_total: number;
  workstations_available: number;
  workstations_occupied: number;
  workstations_offline: number;
  db_now: Date;
}

// Each count uses an index (users: created_at, last_seen_at; kiosk tables: status and the partial indexes);
// months and days are UTC.
const COUNTS_SQL = `
  SELECT
    (SELECT count(*) FROM users)::int AS users_total,
    (SELECT count(*) FROM users
      WHERE last_seen_at >= now() - interval '24 hours' OR id = ANY($1::uuid[]))::int AS users_active,
    (SELECT count(*) FROM users WHERE created_at >= date_trunc('month', now(), 'UTC'))::int AS users_new_this_month,
    (SELECT count(*) FROM kiosk_sessions)::int AS sessions_total,
    (SELECT count(*) FROM kiosk_sessions WHERE status = 'active')::int AS sessions_active,
    (SELECT count(*) FROM kiosk_sessions WHERE status = 'pending')::int AS sessions_pending,
    (SELECT count(*) FROM kiosk_sessions
      WHERE status = 'ended' AND ended_at >= date_trunc('day', now(), 'UTC'))::int AS sessions_ended_today,
    (SELECT count(*) FROM workstations)::int AS workstations_total,
    (SELECT count(*) FROM workstations WHERE status = 'available')::int AS workstations_available,
    (SELECT count(*) FROM workstations WHERE status = 'occupied')::int AS workstations_occupied,
    (SELECT count(*) FROM workstations WHERE status = 'offline')::int AS workstations_offline,
    now() AS db_now`;

@Injectable()
export class DashboardRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The counts; `onlineUserIds` count as active whatever their last-seen time. */
  async counts(onlineUserIds: string[]): Promise<CountsRow> {
    const rows: CountsRow[] = await this.dataSource.query(COUNTS_SQL, [onlineUserIds]);
    return rows[0];
  }
}
