// Redis connections of this instance (when REDIS_URL is set), and the instance's identity.
import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { AppConfig } from '../config/app-config.js';

const RECONNECT_MAX_DELAY_MS = 1000;

@Injectable()
export class RedisService implements OnApplicationShutdown {
  private readonly logger = new Logger('Redis');
  /** This process's id among the instances sharing the database and Redis. */
  readonly instanceId = randomUUID();
  readonly prefix: string;
  private readonly url?: string;
  private readonly connections: Redis[] = [];
  private commandClient?: Redis;

  constructor(config: AppConfig) {
    this.url = config.redis.url;
    this.prefix = config.redis.prefix;
  }

  get enabled(): boolean {
    return this.url !== undefined;
  }

  /** The shared command connection; only when Redis is configured. */
  get client(): Redis {
    if (!this.commandClient) this.commandClient = this.connect('command');
    return this.commandClient;
  }

  /** A new connection (for a subscriber, which cannot issue other commands). */
  connect(role: string): Redis {
    if (!this.url) throw new Error('Redis is not configured');
    // Auto-pipelining only on the command connection: on pub/sub ones it would reorder (un)subscribes after QUIT.
    // While Redis is unreachable, reconnection is tried at least every second and a command gives up after one
    // failed attempt, so a request that needs Redis answers 503 within about a second instead of waiting.
    const connection = new Redis(this.url, {
      maxRetriesPerRequest: 1,
      retryStrategy: (attempt) => Math.min(attempt * 100, RECONNECT_MAX_DELAY_MS),
      enableAutoPipelining: role === 'command',
    });
    connection.on('error', (err: Error) => this.logger.warn({ role, err: err.message }, 'Redis connection error'));
    this.connections.push(connection);
    return connection;
  }

  key(...parts: string[]): string {
    return [this.prefix, ...parts].join(':');
  }

  async onApplicationShutdown(): Promise<void> {
    // Let commands queued in this tick (pipelines, the adapter's unsubscribes) leave before QUIT.
    await new Promise((resolve) => setImmediate(resolve));
    await Promise.all(
      this.connections.map((c) => (c.status === 'end' ? undefined : c.quit().catch(() => c.disconnect()))),
    );
    this.connections.length = 0;
    this.commandClient = undefined;
  }
}
