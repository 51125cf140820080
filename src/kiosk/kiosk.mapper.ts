// Rows as the kiosk's SQL returns them (every statement also returns the database clock, `db_now`), and their
// contract shapes. Times come from the database clock so that every instance counts down alike.
import type { KioskSessionPayload, TimeUpdatePayload, WorkstationPayload } from '../realtime/client-events.js';
import type { KioskSession } from './kiosk-session.entity.js';
import { remainingSeconds, timeUpdate } from './session-state.js';
import type { WorkstationStatus } from './workstation.entity.js';

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

export interface WorkstationRow {
  id: string;
  name: string;
  ip_address: string | null;
  status: WorkstationStatus;
  last_seen_at: Date | null;
  token_version: number;
}

/** The columns of SessionRow, for SELECT and RETURNING lists; `alias` qualifies them when a statement joins. */
export function sessionColumns(alias = 'kiosk_sessions'): string {
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

export function workstationColumns(alias = 'workstations'): string {
  return ['id', 'name', 'ip_address', 'status', 'last_seen_at', 'token_version'].map((c) => `${alias}.${c}`).join(', ');
}

const iso = (value: Date | null): string | null => (value ? value.toISOString() : null);

export function toSessionPayload(row: SessionRow): KioskSessionPayload {
  return {
    id: row.id,
    accessCode: row.access_code,
    holderName: row.holder_name,
    workstationId: row.workstation_id,
    durationSeconds: row.duration_seconds,
    remainingSeconds: remainingSeconds(
      { status: row.status, durationSeconds: row.duration_seconds, endsAt: row.ends_at },
      row.db_now,
    ),
    status: row.status,
    startedAt: iso(row.started_at),
    endsAt: iso(row.ends_at),
    endedAt: iso(row.ended_at),
    endReason: row.end_reason,
  };
}

export function toTimeUpdate(row: SessionRow): TimeUpdatePayload {
  return timeUpdate(
    { id: row.id, status: row.status, durationSeconds: row.duration_seconds, endsAt: row.ends_at },
    row.db_now,
  );
}

export function toWorkstationPayload(row: WorkstationRow): WorkstationPayload {
  return {
    id: row.id,
    name: row.name,
    ipAddress: row.ip_address,
    status: row.status,
    lastSeenAt: iso(row.last_seen_at),
  };
}
