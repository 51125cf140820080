// Socket.IO adapters that deliver ordered events to this instance's sockets in seq order. An event published with
// an `order` flag is sent to the other instances at once (the Redis adapter serialises the flags with the packet);
// every copy, the local one and those arriving from other instances, passes through this instance's reorder buffer
// on its way to the sockets. So each instance sees every seq of a stream its sockets listen to, whichever
// instance's transaction made it. An event flagged `latest` carries a state at a version: each instance delivers
// only versions above the last it delivered (latest-filter.ts). A `publishedAt` flag lets each instance measure the
// lag from publish to delivery.
import { createShardedAdapter, RedisAdapter } from '@socket.io/redis-adapter';
import type { Redis } from 'ioredis';
import type { Namespace, Socket } from 'socket.io';
import { Adapter, type BroadcastFlags, type BroadcastOptions } from 'socket.io-adapter';
import { LatestFilter } from './latest-filter.js';
import { ReorderBuffer, type ReorderBufferOptions, type StreamOrder } from './reorder-buffer.js';
import { SubscriptionHolds } from './subscription-holds.js';

/** Names a state (e.g. a member's inbox line) and the version of it an event carries. */
export interface StateVersion {
  key: string;
  version: number;
}

export type PublishFlags = BroadcastFlags & {
  order?: StreamOrder;
  /** The event carries the whole state of `key`: an instance delivers only a version above the last it delivered. */
  latest?: StateVersion;
  /** When the publisher published it (epoch ms); across hosts the lag includes their clock difference. */
  publishedAt?: number;
  /**
   * The stream's last event (its entity was deleted): once it is delivered, this instance's sockets leave the room.
   * After its ordered predecessors, so none of them is dropped by the room emptying first.
   */
  closesRoom?: boolean;
};

export interface DeliveryOptions {
  ordering: ReorderBufferOptions;
  /** Told when a published event reaches this instance's sockets: its room, and the ms since it was published. */
  onDelivered?: (room: string, lagMs: number) => void;
}

type Apply = (opts: BroadcastOptions, callback: (socket: Socket) => void) => void;

const holdsOf = new WeakMap<Adapter, { holds: SubscriptionHolds; startAt: (room: string, at: StreamOrder) => void }>();

/**
 * A socket subscribes to `room` and its snapshot is on its way: until `releaseAfterAnswer`, the events published to
 * the room wait for that socket (subscription-holds.ts). Called before the socket joins.
 */
export function holdUntilAnswered(adapter: Adapter, room: string, socketId: string): void {
  holdsOf.get(adapter)?.holds.hold(room, socketId);
}

/**
 * Says that the socket's snapshot of `room` holds the stream `position.key` up to `position.seq` (a job's state counts
 * its events): the stream's events up to that seq, waiting for the answer, held for order or on their way from
 * another instance, are not sent to that socket, which gets the stream from the next seq on. The room's only socket
 * here also starts the stream there: its next event leaves at once, not held for earlier seqs (so a worker that
 * follows its own job gets the final event before its sockets are disconnected).
 */
export function holdBackUpTo(adapter: Adapter, room: string, socketId: string, position: StreamOrder): void {
  const delivery = holdsOf.get(adapter);
  if (!delivery) return;
  delivery.holds.holdBackUpTo(room, socketId, position);
  // A later socket's snapshot would start it out of order for the others.
  if (adapter.rooms.get(room)?.size === 1) delivery.startAt(room, position);
}

/**
 * The subscription's answer is sent (`answered`) or it was refused: what waited goes to the socket (past its
 * position), or is dropped.
 */
export function releaseAfterAnswer(adapter: Adapter, room: string, socketId: string, answered: boolean): void {
  holdsOf.get(adapter)?.holds.release(room, socketId, answered);
}

/** The adapter's private `apply` (where every broadcast, local or from another instance, meets its sockets). */
interface ApplyHolder {
  apply: Apply;
}

/**
 * Routes the adapter's deliveries through a reorder buffer. Done on the instance, not by subclassing, because the
 * sharded Redis adapter's class is not exported (only its factory is).
 */
function addOrderedDelivery(adapter: Adapter, delivery: DeliveryOptions): Adapter {
  const holder = adapter as unknown as ApplyHolder;
  const ordering = new ReorderBuffer(delivery.ordering);
  const latest = new LatestFilter();
  const onDelivered = delivery.onDelivered;
  const holds = new SubscriptionHolds();
  holdsOf.set(adapter, { holds, startAt: (room, at) => ordering.startAt(room, at.key, at.seq) });
  const inner = holder.apply.bind(adapter);
  holder.apply = function apply(opts: BroadcastOptions, callback: (socket: Socket) => void): void {
    const flags = opts.flags as PublishFlags | undefined;
    if (opts.rooms.size !== 1 || flags?.publishedAt === undefined) {
      inner(opts, callback);
      return;
    }
    const [room] = opts.rooms;
    // No socket of this instance is in the room: nothing to order, and a stream position kept for it would go stale
    // (copies from other instances skip an instance without the room), delaying the first event once one joins.
    if (!adapter.rooms.has(room)) {
      inner(opts, callback);
      return;
    }
    if (flags.latest && !latest.admit(room, flags.latest.key, flags.latest.version)) return;
    const publishedAt = flags.publishedAt;
    const closesRoom = flags.closesRoom === true;
    const deliver = (): void => {
      onDelivered?.(room, Date.now() - publishedAt);
      if (!holds.holdsIn(room)) inner(opts, callback);
      else inner(opts, (socket) => holds.send(room, socket.id, flags.order, () => callback(socket)));
      if (closesRoom) inner({ rooms: opts.rooms, except: new Set() }, (socket) => void socket.leave(room));
    };
    if (flags.order) ordering.offer(room, flags.order.key, flags.order.seq, deliver);
    else deliver();
  };
  adapter.on('delete-room', (room: string) => {
    ordering.forgetRoom(room);
    latest.forgetRoom(room);
  });
  adapter.on('leave-room', (room: string, socketId: string) => holds.leave(room, socketId));
  const close = adapter.close.bind(adapter);
  adapter.close = (): Promise<void> | void => {
    ordering.close();
    return close();
  };
  return adapter;
}

export interface RedisAdapterArgs {
  pub: Redis;
  sub: Redis;
  /** `classic`: Redis Pub/Sub, one channel for all; `sharded`: sharded Pub/Sub (Redis 7+), a channel per room. */
  mode: 'classic' | 'sharded';
  /** `key` prefixes the adapter's channels; `requestsTimeout` bounds a request to the other instances (classic). */
  options: { key: string; requestsTimeout: number };
}

type OnMessage = (pattern: string | null, channel: string | Buffer, message: Buffer | string) => void;
const ClassicRedisAdapter = RedisAdapter as unknown as new (
  nsp: Namespace,
  pub: Redis,
  sub: Redis,
  options: RedisAdapterArgs['options'],
) => Adapter & {
  readonly uid: string;
  readonly parser: { encode(message: unknown): Uint8Array };
  onmessage(...args: Parameters<OnMessage>): void;
};

/**
 * The classic Redis adapter, minus the decoding of its own broadcasts: every instance subscribes to every broadcast,
 * its own included, and the adapter decoded each one (MessagePack: the whole packet) before seeing that it was its
 * own and dropping it. A chat message is published three times (the conversation's event and each member's inbox
 * line), so the app decoded three packets of its own per message. Here a message that starts with this adapter's id
 * is dropped unread: the adapter encodes `[uid, packet, options]`, so its own messages start with a three-element
 * array's marker followed by the uid as encoded alone.
 */
export class OwnEchoFreeRedisAdapter extends ClassicRedisAdapter {
  private ownPrefix?: Buffer;

  override onmessage(pattern: string | null, channel: string | Buffer, message: Buffer | string): void {
    if (Buffer.isBuffer(message) && this.isOwn(message)) return;
    super.onmessage(pattern, channel, message);
  }

  private isOwn(message: Buffer): boolean {
    // [uid] encodes as a one-element array's marker and the uid; [uid, packet, options] as a three-element one's.
    this.ownPrefix ??= Buffer.from(this.parser.encode([this.uid])).subarray(1);
    const prefix = this.ownPrefix;
    return (
      message[0] === 0x93 && message.length > prefix.length && prefix.equals(message.subarray(1, 1 + prefix.length))
    );
  }
}

/** The factory of `@socket.io/redis-adapter` for `redis.mode`. */
function redisAdapterFactory(redis: RedisAdapterArgs): (nsp: Namespace) => Adapter {
  if (redis.mode === 'sharded') {
    // "dynamic": besides the namespace's own channel, one channel per public room (a socket id's room excluded),
    // which an instance subscribes to while one of its sockets is in the room.
    return createShardedAdapter(redis.pub, redis.sub, {
      channelPrefix: redis.options.key,
      subscriptionMode: 'dynamic',
    }) as (nsp: Namespace) => Adapter;
  }
  return (nsp: Namespace) => new OwnEchoFreeRedisAdapter(nsp, redis.pub, redis.sub, redis.options);
}

/**
 * The adapter of every namespace: `@socket.io/redis-adapter` when `redis` is given (several instances), Socket.IO's
 * in-memory adapter otherwise; each ordered. A plain function: Socket.IO calls it with `new`, and the object it
 * answers is the adapter.
 */
export function orderedAdapterFactory(
  delivery: DeliveryOptions,
  redis?: RedisAdapterArgs,
): (nsp: Namespace) => Adapter {
  const create = redis ? redisAdapterFactory(redis) : (nsp: Namespace): Adapter => new Adapter(nsp);
  return function createOrderedAdapter(nsp: Namespace): Adapter {
    return addOrderedDelivery(create(nsp), delivery);
  };
}
