// Everything the kiosk module sends, in one place: what admins see on `kiosk:sessions` / `kiosk:workstations`,
// what a session's channel hears, and the dashboard's change signal. Called after the commit.
import { Injectable } from '@nestjs/common';
import { channels } from '@realtime-hub/protocol';
import { DashboardEvents } from '../dashboard/dashboard-events.js';
import type { ServerEventName, ServerEvents } from '../realtime/client-events.js';
import { RealtimePublisher } from '../realtime/realtime.publisher.js';
import { type SessionRow, toSessionPayload, toWorkstationPayload, type WorkstationRow } from './kiosk.mapper.js';

export const SESSIONS_CHANNEL = channels.kioskSessions();
export const WORKSTATIONS_CHANNEL = channels.kioskWorkstations();
export const sessionChannel = (sessionId: string): string => channels.kioskSession(sessionId);
export const workstationRoom = (workstationId: string): string => channels.kioskWorkstation(workstationId);

type SessionEventName = 'session_started' | 'time_update' | 'session_warning' | 'session_terminated';

@Injectable()
export class KioskEvents {
  constructor(
    private readonly publisher: RealtimePublisher,
    private readonly dashboard: DashboardEvents,
  ) {}

  /** `session:update` to admins, in the session's version order; `countsMoved` also tells the dashboard. */
  sessionChanged(row: SessionRow, countsMoved: boolean): void {
    this.publisher.publish(
      SESSIONS_CHANNEL,
      'session:update',
      { session: toSessionPayload(row) },
      { order: { key: `kiosk:sessions:${row.id}`, seq: row.version } },
    );
    if (countsMoved) this.dashboard.changed();
  }

  /** An event on `kiosk:session:{id}`, in the order of the session's `event_seq`. */
  sessionEvent<E extends SessionEventName>(row: SessionRow, event: E, payload: ServerEvents[E]): void {
    this.publisher.publish(sessionChannel(row.id), event, payload, {
      order: { key: sessionChannel(row.id), seq: row.event_seq },
    });
  }

  /** `workstation:update` to admins for each changed row; a status change (`countsMoved`) also tells the dashboard. */
  workstationsChanged(rows: WorkstationRow[], countsMoved = true): void {
    for (const row of rows) {
      this.publisher.publish(WORKSTATIONS_CHANNEL, 'workstation:update', { workstation: toWorkstationPayload(row) });
    }
    if (rows.length > 0 && countsMoved) this.dashboard.changed();
  }

  /** An answer to one socket's request (`code_valid`, `code_invalid`, the `time_update` answering `get_time`). */
  toSocket<E extends ServerEventName>(socketId: string, event: E, payload: ServerEvents[E]): void {
    this.publisher.publish(socketId, event, payload);
  }
}
