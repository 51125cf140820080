// The only way services emit. An ordered event (keyed, with a seq or version) carries its place in its stream, and
// every instance's adapter delivers the stream to its own sockets in that order (ordered-adapter.ts). Every event
// carries when it was published, so each instance measures its delivery lag.
import { Injectable, Logger } from '@nestjs/common';
import { MetricsService } from '../metrics/metrics.service.js';
import type { ServerEventName, ServerEvents } from './client-events.js';
import type { PublishFlags, StateVersion } from './ordered-adapter.js';
import type { StreamOrder } from './reorder-buffer.js';
import { RealtimeServer } from './realtime.server.js';

export interface PublishOptions {
  /** Orders events of one entity: `key` names it (e.g. `conversation:{id}`), `seq` grows by one per event. */
  order?: StreamOrder;
  /**
   * The event states `key` as of `version` (which grows with each change): a copy older than one already delivered
   * is dropped rather than shown (LatestFilter).
   */
  latest?: StateVersion;
  /** Rooms whose sockets must not receive the event (e.g. the typist's own `user:` room). */
  exceptRooms?: string[];
  /** The channel's last event (its entity is gone): every instance empties the room once it has delivered it. */
  closesRoom?: boolean;
}

/** socket.io-parser's PacketType.EVENT. */
const EVENT_PACKET = 2;

@Injectable()
export class RealtimePublisher {
  private readonly logger = new Logger('RealtimePublisher');

  constructor(
    private readonly realtime: RealtimeServer,
    private readonly metrics: MetricsService,
  ) {}

  publish<E extends ServerEventName>(
    channel: string,
    event: E,
    payload: ServerEvents[E],
    options: PublishOptions = {},
  ): void {
    if (!this.realtime.ready) {
      this.logger.warn({ channel, event }, 'Dropped an event published before the socket server started');
      return;
    }
    // Socket.IO's `to().emit()` cannot carry flags of ours: the broadcast it would make, with them added.
    const flags: PublishFlags = { publishedAt: Date.now() };
    if (options.order) flags.order = options.order;
    if (options.latest) flags.latest = options.latest;
    if (options.closesRoom) flags.closesRoom = true;
    this.realtime.server.sockets.adapter.broadcast(
      { type: EVENT_PACKET, data: [event, payload] },
      { rooms: new Set([channel]), except: new Set(options.exceptRooms), flags },
    );
    this.metrics.eventsOut.inc({ event });
  }

  /**
   * Disconnects every socket in a room, on every instance (after a revocation). This instance's own first: the Redis
   * adapter disconnects them only once its request comes back through Redis, which never happens while Redis is out.
   */
  disconnectRoom(room: string): void {
    if (!this.realtime.ready) return;
    this.realtime.server.local.in(room).disconnectSockets(true);
    this.realtime.server.in(room).disconnectSockets(true);
  }
}
