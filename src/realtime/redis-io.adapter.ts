// The Socket.IO server: the Redis adapter when REDIS_URL is set (events and room operations cross instances, over
// classic or sharded Pub/Sub: REDIS_ADAPTER), Socket.IO's in-memory adapter otherwise; either delivers ordered events
// in seq order (ordered-adapter.ts).
import { type INestApplicationContext, Logger } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { Redis } from 'ioredis';
import type { Server, ServerOptions, Socket } from 'socket.io';
import { corsOptions } from '../common/cors.js';
import type { AppConfig } from '../config/app-config.js';
import type { MetricsService } from '../metrics/metrics.service.js';
import type { RedisService } from '../redis/redis.service.js';
import { channelKind } from './channel-kind.js';
import { orderedAdapterFactory, type RedisAdapterArgs } from './ordered-adapter.js';

export const MAX_FRAME_BYTES = 64 * 1024;
/** The roles (RedisService.connect) of the adapter's two connections, which carry events between instances. */
export const ADAPTER_CONNECTIONS = ['io-pub', 'io-sub'] as const;

export class RedisIoAdapter extends IoAdapter {
  private readonly log = new Logger('RedisIoAdapter');
  private redisAdapterArgs?: RedisAdapterArgs;

  constructor(
    app: INestApplicationContext,
    private readonly config: AppConfig,
    private readonly redis: RedisService,
    private readonly metrics: MetricsService,
  ) {
    super(app);
  }

  /** Opens the adapter's pub/sub connections; call before the app listens. */
  async connectToRedis(): Promise<void> {
    if (!this.redis.enabled) return;
    const [pubRole, subRole] = ADAPTER_CONNECTIONS;
    const pub = this.redis.connect(pubRole);
    // The sharded adapter (un)subscribes a room's channel as the room appears or empties here, without awaiting:
    // while Redis is down those fail (counted here), and the rooms it has by then are subscribed once it is back.
    const sub = this.redis.subscriber(subRole, (channels) => this.metrics.adapterSubscriptionFailures.inc(channels));
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
   * Nest calls this for each socket and each Nest gateway, with the gateway's handlers bound to the socket. The app's
   * one Nest gateway (SocketGateways) declares none: it wires every handler once for all sockets and dispatches from
   * the socket's packet middleware. Nest's IoAdapter would build an rxjs pipeline here even for none.
   */
  override bindMessageHandlers(): void {}

  /** Nest's disconnect callback, one per socket: one listener, without IoAdapter's `once` wrapper. */
  override bindClientDisconnect(client: Socket, callback: (reason: unknown) => void): void {
    client.on('disconnect', callback);
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

function waitReady(connection: Redis): Promise<void> {
  if (connection.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    connection.once('ready', () => resolve());
    connection.once('error', reject);
  });
}
