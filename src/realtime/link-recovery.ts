// After a cut between the instances (this instance's Redis adapter connections down, then up again), what any
// instance published meanwhile reached only its own sockets. A client learns of a missed event from the next one on
// that stream (a seq or version gap, then a refetch), but a stream whose last event it missed (a job that ended, a
// conversation gone quiet, an unread count) would never tell it. So each instance whose link comes back says so on
// the cluster bus, and every instance closes the transport of each socket it held through the cut, spread over time:
// the clients reconnect by themselves (a transport close, not a server disconnect) and catch up every stream from its
// snapshot or over REST, as after any reconnect (the SDK does it; the contract's clients resubscribe).
import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { MetricsService } from '../metrics/metrics.service.js';
import { ClusterBus } from '../redis/cluster-bus.js';
import { RedisService } from '../redis/redis.service.js';
import { ChannelService } from './channel.service.js';
import { RealtimeServer } from './realtime.server.js';
import { ADAPTER_CONNECTIONS } from './redis-io.adapter.js';

const TOPIC = 'realtime:link-restored';
/** Sockets closed per second at most, so that their reconnections and catch-up reads do not all land at once. */
export const CLOSES_PER_SECOND = 1000;
/** Every closing is spread over at least this long. */
export const MIN_SPREAD_MS = 1000;
/**
 * Another instance's restore time is read on its clock: a socket that connected here up to this long after it still
 * counts as held through the cut (a harmless extra reconnect), so that clock skew spares none that missed events.
 */
export const SKEW_MARGIN_MS = 1000;
/**
 * The closing starts this long after the first word of a restored link, taking in every other that comes meanwhile:
 * when Redis itself comes back, every instance's link returns within about a second, and one closing then covers them
 * all instead of making a client reconnect once per instance.
 */
export const SETTLE_MS = 1000;
const STEP_MS = 50;
const PUBLISH_RETRY_MS = 500;
const PUBLISH_ATTEMPTS = 20;

interface Restored {
  from: string;
  /** When that instance's link came back (its clock, epoch ms). */
  restoredAt: number;
}

@Injectable()
export class LinkRecovery implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('LinkRecovery');
  /** Since when this instance's link has been cut (epoch ms); undefined while it is up. */
  private cutSince?: number;
  /** Sockets already due to close: a second notice does not count them twice. */
  private readonly closing = new Set<string>();
  /** The closing waiting for SETTLE_MS: sockets connected before `before`, and the instances whose cut it covers. */
  private pending?: { before: number; cutInstances: Set<string> };
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly redis: RedisService,
    private readonly bus: ClusterBus,
    private readonly realtime: RealtimeServer,
    private readonly rooms: ChannelService,
    private readonly metrics: MetricsService,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.redis.enabled) return;
    this.bus.on(TOPIC, (payload) => {
      const notice = payload as Restored;
      if (notice.from !== this.redis.instanceId) this.settleThenClose(notice.restoredAt + SKEW_MARGIN_MS, notice.from);
    });
    this.redis.watch(ADAPTER_CONNECTIONS, () => this.linkChanged());
  }

  onModuleDestroy(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
  }

  /** A connection of the adapter connected or lost its link. */
  linkChanged(): void {
    if (!this.rooms.reachesOtherInstances) {
      this.cutSince ??= Date.now();
      return;
    }
    if (this.cutSince === undefined) return;
    const restoredAt = Date.now();
    this.logger.warn({ cutForMs: restoredAt - this.cutSince }, 'The link to the other instances is back');
    this.cutSince = undefined;
    this.settleThenClose(restoredAt, this.redis.instanceId);
    this.announce({ from: this.redis.instanceId, restoredAt }, PUBLISH_ATTEMPTS);
  }

  /** Tells the other instances (retrying while the command connection comes back too). */
  private announce(notice: Restored, attemptsLeft: number): void {
    this.bus.publish(TOPIC, notice).catch((err: Error) => {
      if (attemptsLeft <= 1 || this.stopped) {
        this.logger.warn({ err: err.message }, 'Could not tell the other instances that the link is back');
        return;
      }
      this.later(() => this.announce(notice, attemptsLeft - 1), PUBLISH_RETRY_MS);
    });
  }

  /** Closes the sockets connected before `before` once SETTLE_MS have passed, with whatever else comes meanwhile. */
  private settleThenClose(before: number, cutInstance: string): void {
    if (this.pending) {
      this.pending.before = Math.max(this.pending.before, before);
      this.pending.cutInstances.add(cutInstance);
      return;
    }
    this.pending = { before, cutInstances: new Set([cutInstance]) };
    this.later(() => {
      const { before: until, cutInstances } = this.pending!;
      this.pending = undefined;
      this.closeHeldBefore(until, [...cutInstances]);
    }, SETTLE_MS);
  }

  /**
   * Closes the transport of every socket of this instance that connected before `before` (epoch ms), spread over
   * time. Answers how many it will close.
   */
  closeHeldBefore(before: number, cutInstances: string[]): number {
    if (!this.realtime.ready) return 0;
    const held = [...this.realtime.server.sockets.sockets.values()].filter(
      (socket) => socket.connected && socket.handshake.issued < before && !this.closing.has(socket.id),
    );
    if (held.length === 0) return 0;
    for (const socket of held) this.closing.add(socket.id);
    const spreadMs = Math.max(MIN_SPREAD_MS, (held.length / CLOSES_PER_SECOND) * 1000);
    const perStep = Math.ceil(held.length / Math.max(1, Math.floor(spreadMs / STEP_MS)));
    this.logger.warn(
      { sockets: held.length, spreadMs, cutInstances },
      'Closing the sockets held through a cut between instances, so that their clients catch up',
    );
    let next = 0;
    const step = () => {
      for (const socket of held.slice(next, next + perStep)) {
        this.closing.delete(socket.id);
        if (!socket.connected) continue;
        socket.conn.close();
        this.metrics.linkRecoveryCloses.inc();
      }
      next += perStep;
      if (next < held.length) this.later(step, STEP_MS);
    };
    step();
    return held.length;
  }

  private later(run: () => void, ms: number): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      run();
    }, ms);
    timer.unref();
    this.timers.add(timer);
  }
}
