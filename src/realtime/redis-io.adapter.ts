// The Socket.IO server: the Redis adapter when REDIS_URL is set (events and room operations cross instances, over
// classic or sharded Pub/Sub: REDIS_ADAPTER), Socket.IO's in-memory adapter otherwise; either delivers ordered events
// in seq order (ordered-adapter.ts).
import { type INestApplicationContext, Logger } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { MessageMappingProperties } from '@nestjs/websockets';
import { firstValueFrom, isObservable } from 'rxjs';
import type { Redis } from 'ioredis';
import type { Server, ServerOptions, Socket } from 'socket.io';
import { corsOptions } from '../common/cors.js';
import type { AppConfig } from '../config/app-config.js';
import type { InFlight } from '../common/in-flight.js';
import type { MetricsService } from '../metrics/metrics.service.js';
import type { RedisService } from '../redis/redis.service.js';
import { channelKind } from './channel-kind.js';
import { orderedAdapterFactory, type RedisAdapterArgs } from './ordered-adapter.js';

export const MAX_FRAME_BYTES = 64 * 1024;

type Ack = (answer: unknown) => void;
type Handler = (data: unknown, ack?: Ack) => unknown;

const HANDLERS = Symbol('handlers');
const DISCONNECTS = Symbol('disconnects');

/** A handler of a socket with Nest's `@Ack()` (it answers the acknowledgement itself), or one of several. */
interface Bound {
  handler: Handler;
  manualAck: boolean;
}

/**
 * A socket's handlers, each bound to it by Nest, at the slot of their event in `eventSlots`: a handler alone, or
 * the list when it answers its acknowledgement itself or when several gateways handle the event.
 */
type HandlerSlots = Array<Handler | Bound[] | undefined>;

/** A socket with its handlers and its gateways' disconnect callbacks. */
type BoundSocket = Socket & {
  [HANDLERS]?: HandlerSlots;
  [DISCONNECTS]?: Array<(reason: unknown) => void>;
};

/** Each event name's slot in every socket's handler list, the same for every socket. */
const eventSlots = new Map<string, number>();

function slotOf(event: string): number {
  let slot = eventSlots.get(event);
  if (slot === undefined) eventSlots.set(event, (slot = eventSlots.size));
  return slot;
}

function handlersAt(socket: Socket, event: unknown): Handler | Bound[] | undefined {
  const slot = typeof event === 'string' ? eventSlots.get(event) : undefined;
  return slot === undefined ? undefined : (socket as BoundSocket)[HANDLERS]?.[slot];
}

/** Whether a gateway handles `event` for this socket (the packet middleware refuses the others). */
export function hasEventHandler(socket: Socket, event: string): boolean {
  return handlersAt(socket, event) !== undefined;
}

function runDisconnects(this: BoundSocket, reason: unknown): void {
  for (const callback of this[DISCONNECTS] ?? []) callback(reason);
}

function dispatch(
  adapter: RedisIoAdapter,
  socket: Socket,
  handler: Handler,
  manualAck: boolean,
  args: unknown[],
): void {
  const ack = typeof args[args.length - 1] === 'function' ? (args.pop() as Ack) : undefined;
  const data = args.length === 0 ? undefined : args.length === 1 ? args[0] : args;
  if (adapter.inFlight.draining) {
    // Shutting down: what is in flight finishes, nothing new starts; the client retries on another instance.
    ack?.({ ok: false, error: { code: 'SERVICE_UNAVAILABLE', message: 'This instance is shutting down; retry' } });
    return;
  }
  adapter.inFlight.enter();
  let pending: unknown;
  try {
    pending = handler(data, ack);
  } catch (err) {
    pending = Promise.reject(err);
  }
  void answer(adapter, socket, pending, manualAck ? undefined : ack).finally(() => adapter.inFlight.leave());
}

export class RedisIoAdapter extends IoAdapter {
  private readonly log = new Logger('RedisIoAdapter');
  private redisAdapterArgs?: RedisAdapterArgs;

  constructor(
    app: INestApplicationContext,
    private readonly config: AppConfig,
    private readonly redis: RedisService,
    private readonly metrics: MetricsService,
    readonly inFlight: InFlight,
  ) {
    super(app);
  }

  /** Opens the adapter's pub/sub connections; call before the app listens. */
  async connectToRedis(): Promise<void> {
    if (!this.redis.enabled) return;
    const pub: Redis = this.redis.connect('io-pub');
    const sub: Redis = this.redis.connect('io-sub');
    await Promise.all([waitReady(pub), waitReady(sub)]);
    this.catchPublishFailures(pub);
    this.redisAdapterArgs = {
      pub,
      sub,
      mode: this.config.redis.adapter,
      options: { key: this.redis.key('io'), requestsTimeout: 5000 },
    };
  }

  /**
   * The Redis adapter publishes without awaiting (broadcasts, requests to other instances). While Redis is down each
   * of those promises fails with nobody to catch it: here each failure is counted and logged (at most every 5 s).
   * Sockets of this instance still get the event; other instances miss it, and clients fill the gap over REST.
   */
  private catchPublishFailures(pub: Redis): void {
    let lastLog = 0;
    const guard =
      (publish: (channel: string, message: string | Buffer) => Promise<unknown>) =>
      (channel: string, message: string | Buffer): Promise<unknown> =>
        publish(channel, message).catch((err: Error) => {
          this.metrics.adapterPublishFailures.inc();
          if (Date.now() - lastLog > 5000) {
            lastLog = Date.now();
            this.log.warn({ err: err.message }, 'Could not publish to the other instances (counted in metrics)');
          }
          return 0;
        });
    // PUBLISH for the classic adapter, SPUBLISH for the sharded one.
    pub.publish = guard(pub.publish.bind(pub)) as unknown as Redis['publish'];
    pub.spublish = guard(pub.spublish.bind(pub)) as unknown as Redis['spublish'];
  }

  /**
   * Nest's IoAdapter builds an rxjs pipeline per handler per socket (fromEvent, mergeMap, takeUntil, share), for
   * each of the app's handlers: most of a socket's memory, and work on every event. Here a socket keeps its handlers
   * (each bound to it by Nest) in one array, and one middleware per socket, the last, runs the handler of each event
   * that passed the packet middleware (socket-packets.ts): it answers the acknowledgement with the handler's first
   * value, or emits `{event, data}`. The socket registers no listener per event (with one per event, its emitter's
   * table of 17 event names took about 0.7 KB per socket). A middleware added to a socket after it (none is) would
   * not see the events it handles; the packet middleware is installed at the handshake, before any gateway binds.
   */
  override bindMessageHandlers(socket: Socket, handlers: MessageMappingProperties[]): void {
    const bound = socket as BoundSocket;
    let slots = bound[HANDLERS];
    if (!slots) {
      slots = bound[HANDLERS] = [];
      socket.use((packet, next) => this.dispatchPacket(socket, packet, next));
    }
    for (const { message, callback, isAckHandledManually } of handlers) {
      const slot = slotOf(message as string);
      const manualAck = Boolean(isAckHandledManually);
      const present = slots[slot];
      if (present === undefined && !manualAck) {
        slots[slot] = callback as Handler;
        continue;
      }
      // Several gateways handling one event all run, in the order they were bound.
      const list: Bound[] =
        present === undefined ? [] : typeof present === 'function' ? [{ handler: present, manualAck: false }] : present;
      list.push({ handler: callback as Handler, manualAck });
      slots[slot] = list;
    }
  }

  private dispatchPacket(socket: Socket, packet: unknown[], next: (err?: Error) => void): void {
    const handlers = handlersAt(socket, packet[0]);
    if (handlers === undefined) {
      next();
      return;
    }
    // As Socket.IO's own dispatch: nothing runs for a packet that arrived after the socket was disconnected.
    if (!socket.connected) return;
    if (typeof handlers === 'function') {
      dispatch(this, socket, handlers, false, packet.slice(1));
      return;
    }
    for (const { handler, manualAck } of handlers) dispatch(this, socket, handler, manualAck, packet.slice(1));
  }

  /** Nest's disconnect callbacks (one per gateway), run by one listener per socket. */
  override bindClientDisconnect(client: Socket, callback: (reason: unknown) => void): void {
    const bound = client as BoundSocket;
    if (bound[DISCONNECTS]) {
      bound[DISCONNECTS].push(callback);
      return;
    }
    bound[DISCONNECTS] = [callback];
    client.on('disconnect', runDisconnects);
  }

  logFailure(err: unknown): void {
    this.log.error({ err }, 'A socket event handler failed outside its exception filter');
  }

  override createIOServer(port: number, options?: Partial<ServerOptions>): Server {
    const server = super.createIOServer(port, {
      ...(options as ServerOptions),
      transports: ['websocket', 'polling'],
      maxHttpBufferSize: MAX_FRAME_BYTES,
      perMessageDeflate: false,
      httpCompression: false,
      cors: corsOptions(this.config.corsOrigins),
    }) as Server;
    server.adapter(
      orderedAdapterFactory(
        {
          ordering: {
            onGap: (missing) => this.metrics.orderGapsSkipped.inc(missing),
            onHeld: (ms) => this.metrics.reorderHold.observe(ms / 1000),
          },
          onDelivered: (room, lagMs) => this.metrics.deliveryLag.observe({ kind: channelKind(room) }, lagMs / 1000),
        },
        this.redisAdapterArgs,
      ),
    );
    return server;
  }
}

async function answer(adapter: RedisIoAdapter, socket: Socket, pending: unknown, ack: Ack | undefined): Promise<void> {
  try {
    let result = await pending;
    if (isObservable(result)) result = await firstValueFrom(result, { defaultValue: undefined });
    if (result === undefined || result === null) return;
    const reply = result as { event?: unknown; data?: unknown };
    if (typeof reply.event === 'string') socket.emit(reply.event, reply.data);
    else ack?.(result);
  } catch (err) {
    // Handlers answer failures through the exception filter; this is a bug in a handler or filter.
    adapter.logFailure(err);
  }
}

function waitReady(connection: Redis): Promise<void> {
  if (connection.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    connection.once('ready', () => resolve());
    connection.once('error', reject);
  });
}
