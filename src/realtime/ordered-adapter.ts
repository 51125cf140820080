// Socket.IO adapters that deliver ordered events to this instance's sockets in seq order. An event published with
// an `order` flag is sent to the other instances at once (the Redis adapter serialises the flags with the packet);
// every copy, the local one and those arriving from other instances, passes through this instance's reorder buffer
// on its way to the sockets. So each instance sees every seq of a stream its sockets listen to, whichever
// instance's transaction made it.
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

export type OrderedBroadcastFlags = BroadcastFlags & { order?: StreamOrder };

type Apply = (opts: BroadcastOptions, callback: (socket: Socket) => void) => void;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a mixin's base constructor must take any arguments
type AdapterClass = new (...args: any[]) => Adapter;

function withOrderedDelivery<T extends AdapterClass>(Base: T) {
  class Ordered extends Base {
    /** Set by the factory right after construction. */
    ordering!: ReorderBuffer;

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
      const order = (opts.flags as OrderedBroadcastFlags | undefined)?.order;
      if (!order || opts.rooms.size !== 1) {
        inner.call(this, opts, callback);
        return;
      }
      const [room] = opts.rooms;
      this.ordering.offer(room, order.key, order.seq, () => inner.call(this, opts, callback));
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
  ordering: ReorderBufferOptions,
  redis?: RedisAdapterArgs,
): (nsp: Namespace) => Adapter {
  return function createOrderedAdapter(nsp: Namespace): Adapter {
    const adapter = redis
      ? new OrderedRedisAdapter(nsp, redis.pub, redis.sub, redis.options)
      : new OrderedMemoryAdapter(nsp);
    adapter.ordering = new ReorderBuffer(ordering);
    return adapter;
  };
}
