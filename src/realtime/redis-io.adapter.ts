// The Socket.IO server: the Redis adapter when REDIS_URL is set (events and room operations cross instances),
// Socket.IO's in-memory adapter otherwise.
import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import type { Redis } from 'ioredis';
import type { Server, ServerOptions } from 'socket.io';
import type { AppConfig } from '../config/app-config.js';
import type { RedisService } from '../redis/redis.service.js';

export const MAX_FRAME_BYTES = 64 * 1024;

export class RedisIoAdapter extends IoAdapter {
  private adapterFactory?: ReturnType<typeof createAdapter>;

  constructor(
    app: INestApplicationContext,
    private readonly config: AppConfig,
    private readonly redis: RedisService,
  ) {
    super(app);
  }

  /** Opens the adapter's pub/sub connections; call before the app listens. */
  async connectToRedis(): Promise<void> {
    if (!this.redis.enabled) return;
    const pub: Redis = this.redis.connect('io-pub');
    const sub: Redis = this.redis.connect('io-sub');
    await Promise.all([waitReady(pub), waitReady(sub)]);
    this.adapterFactory = createAdapter(pub, sub, { key: this.redis.key('io'), requestsTimeout: 5000 });
  }

  override createIOServer(port: number, options?: Partial<ServerOptions>): Server {
    const server = super.createIOServer(port, {
      ...(options as ServerOptions),
      transports: ['websocket', 'polling'],
      maxHttpBufferSize: MAX_FRAME_BYTES,
      perMessageDeflate: false,
      httpCompression: false,
      cors: { origin: this.config.corsOrigins === '*' ? true : this.config.corsOrigins, credentials: true },
    }) as Server;
    if (this.adapterFactory) server.adapter(this.adapterFactory);
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
