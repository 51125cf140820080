// The kiosk's rows (as its repositories return them, with the database clock `db_now` on session rows) in their
// contract shapes. Times come from the database clock so that every instance counts down alike.
import type { KioskSessionPayload, TimeUpdatePayload, WorkstationPayload } from '../realtime/client-events.js';
import type { SessionRow } from './kiosk-sessions.repository.js';
import { remainingSeconds, timeUpdate } from './session-state.js';
import type { WorkstationRow } from './workstations.repository.js';

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
