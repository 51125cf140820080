// Socket.IO adapters that deliver ordered events to this instance's sockets in seq order. An event published with
// an `order` flag is sent to the other instances at once (the Redis adapter serialises the flags with the packet);
// every copy, the local one and those arriving from other instances, passes through this instance's reorder buffer
// on its way to the sockets. So each instance sees every seq of a stream its sockets listen to, whichever
// instance's transaction made it. A `publishedAt` flag lets each instance measure the lag from publish to delivery.
import { RedisAdapter } from '@socket.io/redis-adapter';
import type { Redis } from 'ioredis';
import type { Namespace, Socket } from 'socket.io';
import { Adapter, type BroadcastFlags, type BroadcastOptions } from 'socket.io-adapter';
import { ReorderBuffer, type ReorderBufferOptions } from './reorder-buffer.js';

/** Names an ordered stream (e.g. `conversation:{id}`) and the event's place in it. */
export interface StreamOrder {
  key: string;
  seq: number;
}

export type PublishFlags = BroadcastFlags & {
  order?: StreamOrder;
  /** When the publisher published it (epoch ms); across hosts the lag includes their clock difference. */
  publishedAt?: number;
};

export interface DeliveryOptions {
  ordering: ReorderBufferOptions;
  /** Told when a published event reaches this instance's sockets: its room, and the ms since it was published. */
  onDelivered?: (room: string, lagMs: number) => void;
}

type Apply = (opts: BroadcastOptions, callback: (socket: Socket) => void) => void;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a mixin's base constructor must take any arguments
type AdapterClass = new (...args: any[]) => Adapter;

function withOrderedDelivery<T extends AdapterClass>(Base: T) {
  class Ordered extends Base {
    /** Set by the factory right after construction. */
    ordering!: ReorderBuffer;
    onDelivered?: (room: string, lagMs: number) => void;

    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see AdapterClass
    constructor(...args: any[]) {
      super(...args);
      this.on('delete-room', (room: string) => this.ordering.forgetRoom(room));
    }

    override close(): Promise<void> | void {
      this.ordering.close();
      return super.close();
    }
  }
  // `apply` (private in the typings) is where every broadcast, local or from another instance, meets this
  // instance's sockets: the one place that sees all copies of an event.
  const inner = (Base.prototype as unknown as { apply: Apply }).apply;
  Object.defineProperty(Ordered.prototype, 'apply', {
    value: function apply(this: Ordered, opts: BroadcastOptions, callback: (socket: Socket) => void): void {
      const flags = opts.flags as PublishFlags | undefined;
      if (opts.rooms.size !== 1 || flags?.publishedAt === undefined) {
        inner.call(this, opts, callback);
        return;
      }
      const [room] = opts.rooms;
      // No socket of this instance is in the room: nothing to order, and a stream position kept for it would go stale
      // (copies from other instances skip an instance without the room), delaying the first event once one joins.
      if (!this.rooms.has(room)) {
        inner.call(this, opts, callback);
        return;
      }
      const publishedAt = flags.publishedAt;
      const deliver = (): void => {
        this.onDelivered?.(room, Date.now() - publishedAt);
        inner.call(this, opts, callback);
      };
      if (flags.order) this.ordering.offer(room, flags.order.key, flags.order.seq, deliver);
      else deliver();
    },
  });
  return Ordered;
}

const OrderedMemoryAdapter = withOrderedDelivery(Adapter);
const OrderedRedisAdapter = withOrderedDelivery(RedisAdapter);

export interface RedisAdapterArgs {
  pub: Redis;
  sub: Redis;
  options: { key: string; requestsTimeout: number };
}

/**
 * The adapter of every namespace: `@socket.io/redis-adapter` when `redis` is given (several instances), Socket.IO's
 * in-memory adapter otherwise; both ordered. A plain function: Socket.IO calls it with `new`.
 */
export function orderedAdapterFactory(
  delivery: DeliveryOptions,
  redis?: RedisAdapterArgs,
): (nsp: Namespace) => Adapter {
  return function createOrderedAdapter(nsp: Namespace): Adapter {
    const adapter = redis
      ? new OrderedRedisAdapter(nsp, redis.pub, redis.sub, redis.options)
      : new OrderedMemoryAdapter(nsp);
    adapter.ordering = new ReorderBuffer(delivery.ordering);
    adapter.onDelivered = delivery.onDelivered;
    return adapter;
  };
}
