// The kiosk's timed work, run by every instance a few times a second. Each due moment is CLAIMED in Postgres with
// one `UPDATE ... WHERE due <= now() ... RETURNING` that also moves the moment on (KioskSessionsRepository's
// expireDue, warnDue, tickDue; WorkstationsRepository's claims), so exactly one instance emits it: with two
// instances each event leaves once, a missed tick is skipped (the next one is the next future multiple of the tick
// period), and after a restart a session that ran out while the server was down ends at once. This class holds
// the timing and what each claim publishes.
//
// With other instances beside it, an instance claims at once the moments of sessions on workstations whose socket it
// holds, and the others' only once HOLDER_GRACE_MS overdue, so a kiosk hears its moments from the instance its socket
// is on whenever that instance is up to claim them: a link between the instances that breaks (Redis cut for one of
// them, or for all) does not take them from it. While this instance cannot reach the others, what it publishes
// reaches only its own sockets and a moment it claims is spent, so it leaves the rest for CUT_OFF_GRACE_MS (no socket
// of theirs is here to hear them), and it skips the checks that ask every instance for its sockets.
import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { SingleFlightInterval } from '../common/single-flight-interval.js';
import { UUID_PATTERN } from '../common/uuid-param.js';
import { AppConfig } from '../config/app-config.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { ChannelService } from '../realtime/channel.service.js';
import { principalRoom } from '../realtime/principal-rooms.js';
import { KioskEvents, workstationRoom } from './kiosk-events.js';
import { type ClaimScope, KioskSessionsRepository } from './kiosk-sessions.repository.js';
import { toTimeUpdate } from './kiosk.mapper.js';
import { TERMINATION_MESSAGES } from './session-state.js';
import { WorkstationsRepository } from './workstations.repository.js';
import { WorkstationsService } from './workstations.service.js';

const INTERVAL_NAME = 'kiosk:scheduler';
/** How often each instance looks for due work; events leave at most this late. */
export const SCHEDULER_PERIOD_MS = 250;
/** Every this many passes, an instance also looks for silent workstations (see `silent`). */
const SILENT_EVERY_PASSES = 20;
/**
 * How late an instance claims a moment of a workstation whose socket it does not hold (a whole pass after the
 * holder's); a session whose kiosk is on no instance has its moments announced (to admins) this late.
 */
export const HOLDER_GRACE_MS = 2 * SCHEDULER_PERIOD_MS;
/** The same while the instance is cut off from the others (see the top). */
export const CUT_OFF_GRACE_MS = 8 * SCHEDULER_PERIOD_MS;
const WORKSTATION_ROOM_PREFIX = principalRoom('kiosk', '');

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
    private readonly uow: UnitOfWork,
    private readonly sessions: KioskSessionsRepository,
    private readonly workstationRows: WorkstationsRepository,
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

  /**
   * Expiry first, so that a session ending now gets neither a warning nor a tick at its end. Most passes find nothing
   * due (no session running, or between the ticks of those that are): one read tells, instead of the claims and
   * expiry's transaction (six statements); an idle instance spent about 5 % of a core on them, on the embedded
   * database.
   */
  async runOnce(): Promise<void> {
    const due = await this.sessions.due(this.dataSource.manager);
    if (due.sessions) {
      const scope = this.claimScope();
      await this.expire(scope);
      await this.warn(scope);
      await this.tickSessions(scope);
    }
    this.passes += 1;
    // Both ask every instance for its sockets; cut off from them, they wait (what they would claim stays due).
    if (!this.rooms.reachesOtherInstances) return;
    if (this.passes % SILENT_EVERY_PASSES === 0) await this.silent();
    // A workstation that `silent` just found gone is taken offline by the next pass.
    if (due.offline) await this.offline();
  }

  /** What this pass may claim: everything when this instance runs alone, else as said at the top. */
  private claimScope(): ClaimScope | undefined {
    if (!this.rooms.clustered) return undefined;
    const workstationIds: string[] = [];
    for (const room of this.rooms.localRooms(WORKSTATION_ROOM_PREFIX)) {
      const id = room.slice(WORKSTATION_ROOM_PREFIX.length);
      if (UUID_PATTERN.test(id)) workstationIds.push(id);
    }
    const graceMs = this.rooms.reachesOtherInstances ? HOLDER_GRACE_MS : CUT_OFF_GRACE_MS;
    return { workstationIds, overdueSeconds: graceMs / 1000 };
  }

  /** Ends the sessions whose time is over and frees their workstations, in one transaction; publishes after it. */
  async expire(scope?: ClaimScope): Promise<void> {
    await this.uow.run(async ({ manager, afterCommit }) => {
      const ended = await this.sessions.expireDue(manager, scope);
      const ids = [...new Set(ended.map((r) => r.workstation_id).filter((id): id is string => id !== null))];
      const workstations = await this.workstationRows.followSessions(manager, ids);
      afterCommit(() => {
        for (const row of ended) {
          this.events.sessionChanged(row, true);
          this.events.sessionEvent(row, 'session_terminated', {
            sessionId: row.id,
            reason: 'expired',
            message: TERMINATION_MESSAGES.expired,
          });
        }
        this.events.workstationsChanged(workstations);
      });
    });
  }

  async warn(scope?: ClaimScope): Promise<void> {
    for (const row of await this.sessions.warnDue(this.dataSource.manager, scope)) {
      this.events.sessionEvent(row, 'session_warning', {
        sessionId: row.id,
        remainingSeconds: toTimeUpdate(row).remainingSeconds,
      });
    }
  }

  async tickSessions(scope?: ClaimScope): Promise<void> {
    for (const row of await this.sessions.tickDue(this.dataSource.manager, this.config.kiosk.tickSeconds, scope)) {
      this.events.sessionEvent(row, 'time_update', toTimeUpdate(row));
    }
  }

  /** Workstations whose last socket left KIOSK_OFFLINE_SECONDS ago go offline, unless a socket came back. */
  async offline(): Promise<void> {
    for (const claim of await this.workstations.claimOfflineDue()) {
      try {
        const sockets = await this.rooms.principalsIn(workstationRoom(claim.id));
        // A socket that connects after this look is told apart by goOffline (it was heard from since the claim).
        if (sockets.length === 0) await this.workstations.goOffline(claim);
      } catch (err) {
        this.logger.warn({ err, workstationId: claim.id }, 'Could not check the sockets of a workstation; retrying');
        await this.workstations.retryOffline(claim.id);
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
