// Live statistics for admins. The counts are a handful of indexed counts read in one statement; `realtime` comes
// from presence (every instance). Changes (kiosk, presence, registrations) are coalesced: each instance that heard
// of one asks the shared StatsClock for the period, and whichever instance claims it publishes `stats_update` to
// the `dashboard` channel, which the Socket.IO adapter carries to admins on every instance. Cut off from the others
// (Redis unreachable), an instance goes on updating its own admins: the counts from Postgres, the presence figures
// as last read from every instance.
import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { channels } from '@realtime-hub/protocol';
import type { Principal } from '../auth/principal.js';
import { DomainException } from '../common/domain.exception.js';
import { SingleFlightInterval } from '../common/single-flight-interval.js';
import { AppConfig } from '../config/app-config.js';
import { ChannelRegistry } from '../realtime/channel-registry.js';
import { ChannelService } from '../realtime/channel.service.js';
import type { StatsPayload } from '../realtime/client-events.js';
import { type PresenceStats, PresenceService } from '../realtime/presence.service.js';
import { RealtimePublisher } from '../realtime/realtime.publisher.js';
import { DashboardEvents } from './dashboard-events.js';
import { DashboardRepository } from './dashboard.repository.js';
import { StatsClock } from './stats-clock.js';

export const DASHBOARD_CHANNEL = channels.dashboard();
const INTERVAL_NAME = 'dashboard:coalescer';

/**
 * How often an instance looks at its pending changes: a twentieth of the interval, between 10 and 50 ms, so that
 * an update leaves close to the moment its period allows. A look without work is a comparison, not a query.
 */
export function loopPeriodMs(intervalMs: number): number {
  return Math.min(50, Math.max(10, Math.floor(intervalMs / 20)));
}

@Injectable()
export class DashboardService implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Dashboard');
  /** Changes this instance heard of (counted once the shared clock has them), and how many an update covers. */
  private heard = 0;
  private covered = 0;
  /**
   * A change the shared clock has not heard of yet: its record failed (Redis out of reach for a moment), or an update
   * claimed for it could not read the counts. Recorded again by the next look, so that it is announced.
   */
  private owed = false;
  private nextAttemptAt = 0;
  /** Presence as last read from every instance, stood in for it while this instance cannot reach them. */
  private lastPresence?: { realtime: PresenceStats; online: string[] };
  private readonly loop = new SingleFlightInterval({
    name: INTERVAL_NAME,
    run: () => this.flush(),
    failure: 'Dashboard update failed',
    logger: this.logger,
    ready: () => this.rooms.ready,
  });

  constructor(
    private readonly repository: DashboardRepository,
    private readonly config: AppConfig,
    private readonly presence: PresenceService,
    private readonly channels: ChannelRegistry,
    private readonly publisher: RealtimePublisher,
    private readonly rooms: ChannelService,
    private readonly clock: StatsClock,
    private readonly events: DashboardEvents,
    private readonly scheduler: SchedulerRegistry,
  ) {}

  onModuleInit(): void {
    this.channels.register({
      pattern: DASHBOARD_CHANNEL,
      authorize: async (principal) => assertAdmin(principal),
      snapshot: (principal) => this.read(principal),
    });
    this.events.onChange(() => this.changed());
    this.presence.onChange(() => this.changed());
  }

  onApplicationBootstrap(): void {
    this.loop.start(this.scheduler, loopPeriodMs(this.config.dashboard.intervalMs));
  }

  /** The Stats, for an admin. */
  async read(actor: Principal): Promise<StatsPayload> {
    assertAdmin(actor);
    return this.stats();
  }

  async stats(): Promise<StatsPayload> {
    const { realtime, online } = await this.presenceFigures();
    const c = await this.repository.counts(online);
    return {
      users: { total: c.users_total, active: c.users_active, newThisMonth: c.users_new_this_month },
      sessions: {
        total: c.sessions_total,
        active: c.sessions_active,
        pending: c.sessions_pending,
        endedToday: c.sessions_ended_today,
      },
      workstations: {
        total: c.workstations_total,
        available: c.workstations_available,
        occupied: c.workstations_occupied,
        offline: c.workstations_offline,
      },
      realtime: { connections: realtime.connections, onlineUsers: realtime.onlineUsers },
      timestamp: c.db_now.toISOString(),
    };
  }

  /**
   * Presence across instances; while this instance is cut off from them (their figures unreadable: each read would
   * fail after about a second), the last ones read, rather than a drop to this instance's own sockets.
   */
  private async presenceFigures(): Promise<{ realtime: PresenceStats; online: string[] }> {
    if (this.lastPresence && !this.rooms.reachesOtherInstances) return this.lastPresence;
    const [realtime, online] = await Promise.all([this.presence.stats(), this.presence.onlineUserIds()]);
    this.lastPresence = { realtime, online };
    return this.lastPresence;
  }

  /** A count may have moved: tell the shared clock, then let the loop try for the period at once. */
  private changed(): void {
    if (this.loop.stopped) return;
    this.record().catch((err: unknown) => {
      this.owed = true;
      this.logger.warn({ err }, 'Could not record a dashboard change; trying again');
    });
  }

  /** Tells the shared clock of a change; once it has it, the loop tries for the period at once. */
  private async record(): Promise<void> {
    await this.clock.changed();
    this.heard += 1;
    this.nextAttemptAt = 0;
  }

  /** Records an owed change in the shared clock (before a claim, so that the claim sees it). */
  private async recordOwed(): Promise<void> {
    if (!this.owed) return;
    this.owed = false;
    await this.record().catch((err: unknown) => {
      this.owed = true;
      throw err;
    });
  }

  /** One look, unless the previous one is still running. */
  tick(): Promise<void> {
    return this.loop.tick();
  }

  /** Publishes when this instance has changes to announce (or subscribers owed a heartbeat) and claims the period. */
  async flush(): Promise<void> {
    await this.recordOwed();
    const subscribed = this.rooms.hasLocalMembers(DASHBOARD_CHANNEL);
    const pending = this.heard > this.covered;
    if ((!pending && !subscribed) || Date.now() < this.nextAttemptAt) return;
    const seen = this.heard;
    const decision = await this.clock.claim(subscribed);
    if (decision.claim) {
      // Every change heard so far reached the clock before the claim, so the counts read now include it.
      this.covered = seen;
      this.nextAttemptAt = Date.now() + this.config.dashboard.intervalMs;
      let stats: StatsPayload;
      try {
        stats = await this.stats();
      } catch (err) {
        // The period is claimed (here and, with Redis, for every instance) but nothing went out: what it was to
        // announce is owed again, for the next period, rather than left to the heartbeat (or to nobody).
        this.owed = true;
        throw err;
      }
      this.publisher.publish(DASHBOARD_CHANNEL, 'stats_update', stats);
    } else if (decision.retryInMs === null) {
      // Another instance's update already covered our changes.
      this.covered = seen;
      this.nextAttemptAt = 0;
    } else {
      this.nextAttemptAt = Date.now() + decision.retryInMs;
    }
  }

  onModuleDestroy(): Promise<void> {
    return this.loop.stop(this.scheduler);
  }
}

function assertAdmin(principal: Principal): void {
  if (principal.role !== 'admin') throw DomainException.forbidden();
}
