// Everything the kiosk module sends, in one place: what admins see on `kiosk:sessions` / `kiosk:workstations`,
// what a session's channel hears, and the dashboard's change signal. Called after the commit.
import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { channels } from '@realtime-hub/protocol';
import { DashboardEvents } from '../dashboard/dashboard-events.js';
import type { ServerEventName, ServerEvents } from '../realtime/client-events.js';
import { principalRoom } from '../realtime/principal-rooms.js';
import { RealtimePublisher } from '../realtime/realtime.publisher.js';
import { ChannelService } from '../realtime/channel.service.js';
import type { SessionRow } from './kiosk-sessions.repository.js';
import { toSessionPayload, toWorkstationPayload } from './kiosk.mapper.js';
import type { WorkstationRow } from './workstations.repository.js';

export const SESSIONS_CHANNEL = channels.kioskSessions();
export const WORKSTATIONS_CHANNEL = channels.kioskWorkstations();
export const sessionChannel = (sessionId: string): string => channels.kioskSession(sessionId);
export const workstationRoom = (workstationId: string): string => channels.kioskWorkstation(workstationId);

type SessionEventName = 'session_started' | 'time_update' | 'session_warning' | 'session_terminated';

/**
 * After `session_terminated`, the workstation's sockets leave the ended session's channel this much later: past the
 * publisher's reorder wait, so the event itself reaches them first. Nothing is published on an ended session.
 */
const LEAVE_ENDED_SESSION_MS = 1000;

@Injectable()
export class KioskEvents implements OnModuleDestroy {
  private readonly leaving = new Set<NodeJS.Timeout>();

  constructor(
    private readonly publisher: RealtimePublisher,
    private readonly dashboard: DashboardEvents,
    private readonly rooms: ChannelService,
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
    if (event === 'session_terminated' && row.workstation_id) this.leaveEndedSession(row.id, row.workstation_id);
  }

  /** The workstation's sockets, on every instance, leave the channel of a session that ended. */
  private leaveEndedSession(sessionId: string, workstationId: string): void {
    const timer = setTimeout(() => {
      this.leaving.delete(timer);
      this.rooms.leave(principalRoom('kiosk', workstationId), sessionChannel(sessionId));
    }, LEAVE_ENDED_SESSION_MS).unref();
    this.leaving.add(timer);
  }

  onModuleDestroy(): void {
    for (const timer of this.leaving) clearTimeout(timer);
    this.leaving.clear();
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
