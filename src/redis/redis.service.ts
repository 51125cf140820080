// Redis connections of this instance (when REDIS_URL is set), and the instance's identity.
import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { ChainableCommander, RedisOptions } from 'ioredis';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { AppConfig } from '../config/app-config.js';
import { KEPT_SUBSCRIPTION_OPTIONS, keepSubscriptions, type SubscriptionFailure } from './subscriptions.js';

const RECONNECT_MAX_DELAY_MS = 1000;
/**
 * A command on a connection that sends commands (not a subscriber's) fails with "Command timed out" when Redis has
 * not answered it within this long: a Redis that accepts connections but does not answer (stalled, swapping, a
 * half-open link) would hold every request that needs it. The request then answers 503 SERVICE_UNAVAILABLE.
 */
export const REDIS_COMMAND_TIMEOUT_MS = 3000;

/** A Lua script, sent to Redis once per connection and then run by its SHA (ioredis `defineCommand`). */
export interface RedisScript {
  readonly name: string;
  readonly numberOfKeys: number;
  readonly lua: string;
}

const declaredScripts = new Map<string, string>();

/** Declares a script once, at module load; a second text under the same name is a programming error. */
export function redisScript(name: string, numberOfKeys: number, lua: string): RedisScript {
  const known = declaredScripts.get(name);
  if (known !== undefined && known !== lua) throw new Error(`Redis script "${name}" declared twice`);
  declaredScripts.set(name, lua);
  return { name, numberOfKeys, lua };
}

type ScriptArg = string | number;
type ScriptCommand = (...args: ScriptArg[]) => Promise<unknown>;

@Injectable()
export class RedisService implements OnApplicationShutdown {
  private readonly logger = new Logger('Redis');
  /** This process's id among the instances sharing the database and Redis. */
  readonly instanceId = randomUUID();
  readonly prefix: string;
  private readonly url?: string;
  private readonly connections: Redis[] = [];
  private readonly roles = new Map<Redis, string>();
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

  /**
   * A new connection for Pub/Sub (which cannot issue other commands), whose subscriptions are subscribed again each
   * time it gets its link back (subscriptions.ts). A failed (un)subscribe is logged (at most every 5 s per
   * connection), then given to `onFailure`.
   */
  subscriber(role: string, onFailure?: (channels: number) => void): Redis {
    const connection = this.connect(role, KEPT_SUBSCRIPTION_OPTIONS);
    let lastLog = 0;
    const failed: SubscriptionFailure = (command, channels, err) => {
      onFailure?.(channels.length);
      if (Date.now() - lastLog < 5000) return;
      lastLog = Date.now();
      this.logger.warn(
        { role, command, err: err.message },
        'A subscription failed with the link to Redis; subscribed again once it is back',
      );
    };
    keepSubscriptions(connection, failed);
    return connection;
  }

  /** A new connection. */
  connect(role: string, options: RedisOptions = {}): Redis {
    if (!this.url) throw new Error('Redis is not configured');
    // Auto-pipelining only on the command connection: on pub/sub ones it would reorder (un)subscribes after QUIT.
    // While Redis is unreachable, reconnection is tried at least every second and a command waiting for it gives up
    // when the next attempt fails (maxRetriesPerRequest 0; with 1 it waited for two, about 2 s), so a request that
    // needs Redis answers 503 within about a second instead of waiting; a blip that the next attempt heals loses
    // nothing.
    const connection = new Redis(this.url, {
      maxRetriesPerRequest: 0,
      retryStrategy: (attempt) => Math.min(attempt * 100, RECONNECT_MAX_DELAY_MS),
      enableAutoPipelining: role === 'command',
      commandTimeout: role === 'command' || role === 'io-pub' ? REDIS_COMMAND_TIMEOUT_MS : undefined,
      // Its own array: define() adds the scripts to it (the default is one array shared by every connection).
      autoPipeliningIgnoredCommands: [],
      ...options,
    });
    connection.on('error', (err: Error) => this.logger.warn({ role, err: err.message }, 'Redis connection error'));
    this.connections.push(connection);
    this.roles.set(connection, role);
    return connection;
  }

  /** Calls `listener` each time a connection opened so far for one of `roles` gets connected or loses its link. */
  watch(roles: readonly string[], listener: () => void): void {
    for (const connection of this.connections) {
      if (!roles.includes(this.roles.get(connection) ?? '')) continue;
      connection.on('ready', listener);
      connection.on('close', listener);
    }
  }

  /** Whether every connection opened for `role` is connected now (false when there is none). */
  connected(role: string): boolean {
    const ofRole = this.connections.filter((c) => this.roles.get(c) === role);
    return ofRole.length > 0 && ofRole.every((c) => c.status === 'ready');
  }

  /** Runs a script on the command connection (defined there on first use: EVALSHA, EVAL only when Redis lost it). */
  runScript(script: RedisScript, keys: string[], args: ScriptArg[] = []): Promise<unknown> {
    const client = this.client;
    this.define(client, script);
    return (client as unknown as Record<string, ScriptCommand>)[script.name](...keys, ...args);
  }

  /** A pipeline of the command connection on which `scripts` can be queued (a pipeline knows the scripts defined before it). */
  pipeline(...scripts: RedisScript[]): ChainableCommander {
    const client = this.client;
    for (const script of scripts) this.define(client, script);
    return client.pipeline();
  }

  /** Queues a script on a pipeline made by `pipeline(script)`. */
  queueScript(pipeline: ChainableCommander, script: RedisScript, keys: string[], args: ScriptArg[] = []): void {
    (pipeline as unknown as Record<string, ScriptCommand>)[script.name](...keys, ...args);
  }

  private define(client: Redis, script: RedisScript): void {
    if (typeof (client as unknown as Record<string, unknown>)[script.name] === 'function') return;
    client.defineCommand(script.name, { numberOfKeys: script.numberOfKeys, lua: script.lua });
    // ioredis 5's auto-pipeline mishandles a defined script's replies ("results[i] is not iterable" once the
    // script must be loaded): scripts go out as commands of their own, explicit pipelines (above) still batch them.
    client.options.autoPipeliningIgnoredCommands?.push(script.name);
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
    this.roles.clear();
    this.commandClient = undefined;
  }
}
