// The kiosk's timed work, run by every instance a few times a second. Each due moment is CLAIMED in Postgres with
// one `UPDATE ... WHERE due <= now() ... RETURNING` that also moves the moment on, so exactly one instance emits
// it: with two instances each event leaves once, a missed tick is skipped (the next one is the next future
// multiple of the tick period), and after a restart a session that ran out while the server was down ends at once.
import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { SingleFlightInterval } from '../common/single-flight-interval.js';
import { AppConfig } from '../config/app-config.js';
import { rowsOf } from '../database/query-results.js';
import { ChannelService } from '../realtime/channel.service.js';
import { KioskEvents, workstationRoom } from './kiosk-events.js';
import { sessionColumns, type SessionRow, toTimeUpdate } from './kiosk.mapper.js';
import { TERMINATION_MESSAGES } from './session-state.js';
import { WorkstationsService } from './workstations.service.js';

const INTERVAL_NAME = 'kiosk:scheduler';
/** How often each instance looks for due work; events leave at most this late. */
export const SCHEDULER_PERIOD_MS = 250;
/** Every this many passes, an instance also looks for silent workstations (see `silent`). */
const SILENT_EVERY_PASSES = 20;

/** Sessions whose time is over end, reason `expired` (at their deadline, even when claimed later). */
export const EXPIRE_SQL = `
  UPDATE kiosk_sessions SET status = 'ended', end_reason = 'expired', ended_at = ends_at,
    next_tick_at = NULL, next_warning_at = NULL, warnings_left = '{}',
    version = version + 1, event_seq = event_seq + 1
  WHERE status = 'active' AND ends_at <= now()
  RETURNING ${sessionColumns()}`;

/**
 * Due warnings: the thresholds whose moment has come leave `warnings_left` (several at once when the server was
 * away: one warning stands for them), and `next_warning_at` moves to the largest threshold still ahead.
 */
export const WARN_SQL = `
  UPDATE kiosk_sessions s SET
    warnings_left = ARRAY(
      SELECT t FROM unnest(s.warnings_left) AS t WHERE s.ends_at - make_interval(secs => t) > now() ORDER BY t DESC),
    next_warning_at = s.ends_at - make_interval(secs => (
      SELECT max(t) FROM unnest(s.warnings_left) AS t WHERE s.ends_at - make_interval(secs => t) > now())),
    event_seq = s.event_seq + 1
  WHERE s.status = 'active' AND s.next_warning_at <= now() AND s.ends_at > now()
  RETURNING ${sessionColumns('s')}`;

/** Due ticks; `next_tick_at` jumps to the next multiple of the period (from the start) after now. $1 = period. */
export const TICK_SQL = `
  UPDATE kiosk_sessions s SET
    next_tick_at = s.started_at + make_interval(secs => ($1::int * (
      floor(extract(epoch FROM now() - s.started_at) / $1::int) + 1))::double precision),
    event_seq = s.event_seq + 1
  WHERE s.status = 'active' AND s.next_tick_at <= now() AND s.ends_at > now()
  RETURNING ${sessionColumns('s')}`;

@Injectable()
export class KioskScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('KioskScheduler');
  private readonly loop = new SingleFlightInterval({
    name: INTERVAL_NAME,
    run: () => this.runOnce(),
    failure: 'Kiosk scheduler pass failed',
    logger: this.logger,
    // Events of a pass need the socket server up to carry them.
    ready: () => this.rooms.ready,
  });
  private passes = 0;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfig,
    private readonly rooms: ChannelService,
    private readonly workstations: WorkstationsService,
    private readonly events: KioskEvents,
    private readonly scheduler: SchedulerRegistry,
  ) {}

  onApplicationBootstrap(): void {
    this.loop.start(this.scheduler, SCHEDULER_PERIOD_MS);
  }

  /** One pass, unless the previous one is still running (or the socket server is not up to carry events). */
  tick(): Promise<void> {
    return this.loop.tick();
  }

  /** Expiry first, so that a session ending now gets neither a warning nor a tick at its end. */
  async runOnce(): Promise<void> {
    await this.expire();
    await this.warn();
    await this.tickSessions();
    this.passes += 1;
    if (this.passes % SILENT_EVERY_PASSES === 0) await this.silent();
    await this.offline();
  }

  async expire(): Promise<void> {
    const { sessions, workstations } = await this.dataSource.transaction(async (m) => {
      const ended = rowsOf<SessionRow>(await m.query(EXPIRE_SQL));
      const ids = [...new Set(ended.map((r) => r.workstation_id).filter((id): id is string => id !== null))];
      return { sessions: ended, workstations: await this.workstations.followSessions(m, ids) };
    });
    for (const row of sessions) {
      this.events.sessionChanged(row, true);
      this.events.sessionEvent(row, 'session_terminated', {
        sessionId: row.id,
        reason: 'expired',
        message: TERMINATION_MESSAGES.expired,
      });
    }
    this.events.workstationsChanged(workstations);
  }

  async warn(): Promise<void> {
    for (const row of rowsOf<SessionRow>(await this.dataSource.query(WARN_SQL))) {
      this.events.sessionEvent(row, 'session_warning', {
        sessionId: row.id,
        remainingSeconds: toTimeUpdate(row).remainingSeconds,
      });
    }
  }

  async tickSessions(): Promise<void> {
    for (const row of rowsOf<SessionRow>(await this.dataSource.query(TICK_SQL, [this.config.kiosk.tickSeconds]))) {
      this.events.sessionEvent(row, 'time_update', toTimeUpdate(row));
    }
  }

  /** Workstations whose last socket left KIOSK_OFFLINE_SECONDS ago go offline, unless a socket came back. */
  async offline(): Promise<void> {
    for (const id of await this.workstations.claimOfflineDue()) {
      try {
        const sockets = await this.rooms.principalsIn(workstationRoom(id));
        if (sockets.length === 0) await this.workstations.goOffline(id);
      } catch (err) {
        this.logger.warn({ err, workstationId: id }, 'Could not check the sockets of a workstation; retrying');
        await this.workstations.retryOffline(id);
      }
    }
  }

  /**
   * Workstations that seem online but have no socket on any instance (the instance that held it died before its
   * disconnect ran) are handed to the offline pass. One cluster-wide socket lookup for all of them.
   */
  async silent(): Promise<void> {
    const ids = await this.workstations.claimSilent();
    if (ids.length === 0) return;
    try {
      const present = new Set((await this.rooms.principalsIn(ids.map(workstationRoom))).map((p) => p.id));
      const gone = ids.filter((id) => !present.has(id));
      if (gone.length > 0) await this.workstations.offlineNow(gone);
    } catch (err) {
      // Claimed for this period only: the next period looks again.
      this.logger.warn({ err, workstations: ids.length }, 'Could not look for the sockets of silent workstations');
    }
  }

  onModuleDestroy(): Promise<void> {
    return this.loop.stop(this.scheduler);
  }
}
