// Small messages between the instances of one deployment (cache invalidation and the like).
// Delivered to this instance synchronously, and to the others over Redis pub/sub when configured. `publish`
// resolves once every other instance has run its handlers (each answers on its sender's ack channel), so a
// revocation is in force everywhere when the request that made it answers.
import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { RedisService } from './redis.service.js';

type Handler = (payload: unknown) => void;

interface Envelope {
  from: string;
  id?: string;
  topic: string;
  payload: unknown;
}

interface PendingAck {
  acks: number;
  expected: number;
  timer?: NodeJS.Timeout;
  done: () => void;
  /** Set while Redis has not answered PUBLISH: fails the publish (at the deadline, or at shutdown). */
  abandon?: (err: Error) => void;
}

/**
 * How long `publish` waits for Redis and the other instances (one that died mid-way never answers), one deadline for
 * both. A Redis that accepts connections but does not answer holds PUBLISH until the command connection's own
 * timeout (REDIS_COMMAND_TIMEOUT_MS, 3 s, redis.service.ts); an announcement gives up sooner: past this, `publish`
 * fails, so that a request announcing a change answers within it.
 */
export const ACK_TIMEOUT_MS = 2000;

/** `publish` failed because Redis did not answer PUBLISH within ACK_TIMEOUT_MS. */
export class BusTimeoutError extends Error {
  constructor(topic: string) {
    super(`Redis did not answer the bus message "${topic}" within ${ACK_TIMEOUT_MS} ms`);
    this.name = 'BusTimeoutError';
  }
}

@Injectable()
export class ClusterBus implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('ClusterBus');
  private readonly handlers = new Map<string, Handler[]>();
  private readonly pending = new Map<string, PendingAck>();
  private readonly channel: string;
  private subscriber?: Redis;
  /** Whether the subscription is up: what the other instances publish while it is not is never heard here. */
  private subscribed = false;
  private readonly resubscribed: Array<() => void> = [];

  constructor(private readonly redis: RedisService) {
    this.channel = redis.key('bus');
  }

  private ackChannel(instanceId: string): string {
    return `${this.channel}:ack:${instanceId}`;
  }

  async onModuleInit(): Promise<void> {
    if (!this.redis.enabled) return;
    const ackChannel = this.ackChannel(this.redis.instanceId);
    this.subscriber = this.redis.subscriber('bus-subscriber');
    this.subscriber.on('message', (channel: string, message: string) =>
      channel === ackChannel ? this.acked(message) : this.receive(message),
    );
    await this.subscriber.subscribe(this.channel, ackChannel);
    this.subscribed = true;
    const subscriber = this.subscriber;
    subscriber.on('close', () => (this.subscribed = false));
    // The connection subscribes again by itself once back (keepSubscriptions); this subscribe, sent after that one,
    // answers once both are in place. It answers 0 when the link failed again meanwhile.
    subscriber.on('ready', () => {
      if (this.subscribed) return;
      void subscriber.subscribe(this.channel, ackChannel).then((count) => {
        if (this.subscribed || !count || subscriber.status !== 'ready') return;
        this.subscribed = true;
        for (const handler of this.resubscribed) handler();
      });
    });
  }

  /**
   * Runs `handler` each time the bus is subscribed again after its link to Redis was lost: what the other instances
   * published meanwhile never came, so state kept on the strength of their messages is to be read afresh.
   */
  onResubscribed(handler: () => void): void {
    this.resubscribed.push(handler);
  }

  onModuleDestroy(): void {
    for (const pending of [...this.pending.values()]) {
      if (pending.abandon) pending.abandon(new Error('The bus is shutting down'));
      else pending.done();
    }
  }

  on(topic: string, handler: Handler): void {
    this.handlers.set(topic, [...(this.handlers.get(topic) ?? []), handler]);
  }

  /**
   * Runs the topic's handlers here and on every other instance; resolves when they all have, or when ACK_TIMEOUT_MS
   * has passed since the call with Redis having taken the message (logged). Fails when Redis refused the message or
   * did not answer within ACK_TIMEOUT_MS (BusTimeoutError): the other instances may not have it.
   */
  async publish(topic: string, payload: unknown): Promise<void> {
    this.dispatch(topic, payload);
    if (!this.redis.enabled) return;
    const id = randomUUID();
    let entry!: PendingAck;
    const handled = new Promise<void>((resolve) => {
      entry = {
        acks: 0,
        // Acks may come back before PUBLISH answers how many instances received the message.
        expected: Number.POSITIVE_INFINITY,
        done: () => {
          clearTimeout(entry.timer);
          this.pending.delete(id);
          resolve();
        },
      };
    });
    this.pending.set(id, entry);
    // One deadline for the whole: Redis's answer to PUBLISH, then the other instances' acks.
    entry.timer = setTimeout(() => {
      if (entry.abandon) return entry.abandon(new BusTimeoutError(topic));
      this.logger.warn({ topic, expected: entry.expected, acks: entry.acks }, 'Bus message not acknowledged');
      entry.done();
    }, ACK_TIMEOUT_MS);
    const envelope: Envelope = { from: this.redis.instanceId, id, topic, payload };
    const published = this.redis.client.publish(this.channel, JSON.stringify(envelope));
    let receivers: number;
    try {
      receivers = await new Promise<number>((resolve, reject) => {
        entry.abandon = reject;
        published.then(resolve, reject);
      });
    } catch (err) {
      // An answer coming after the deadline changes nothing (and a late failure is not left unhandled).
      published.catch(() => undefined);
      entry.done();
      throw err;
    } finally {
      entry.abandon = undefined;
    }
    if (!this.pending.has(id)) return handled;
    // Every instance's subscriber received it, this one's included (which ignores its own messages).
    entry.expected = receivers - 1;
    if (entry.acks >= entry.expected) entry.done();
    return handled;
  }

  private receive(message: string): void {
    let envelope: Envelope;
    try {
      envelope = JSON.parse(message) as Envelope;
    } catch (err) {
      this.logger.warn({ err }, 'Dropped a malformed bus message');
      return;
    }
    if (envelope.from === this.redis.instanceId) return;
    this.dispatch(envelope.topic, envelope.payload);
    if (typeof envelope.id === 'string') {
      this.redis.client
        .publish(this.ackChannel(envelope.from), envelope.id)
        .catch((err: Error) => this.logger.warn({ err: err.message }, 'Could not acknowledge a bus message'));
    }
  }

  private acked(id: string): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    pending.acks += 1;
    if (pending.acks >= pending.expected) pending.done();
  }

  private dispatch(topic: string, payload: unknown): void {
    for (const handler of this.handlers.get(topic) ?? []) {
      try {
        handler(payload);
      } catch (err) {
        this.logger.error({ err, topic }, 'Bus handler failed');
      }
    }
  }
}
