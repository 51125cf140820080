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
}

/** How long `publish` waits for the other instances (one that died mid-way never answers). */
const ACK_TIMEOUT_MS = 2000;

@Injectable()
export class ClusterBus implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('ClusterBus');
  private readonly handlers = new Map<string, Handler[]>();
  private readonly pending = new Map<string, PendingAck>();
  private readonly channel: string;
  private subscriber?: Redis;

  constructor(private readonly redis: RedisService) {
    this.channel = redis.key('bus');
  }

  private ackChannel(instanceId: string): string {
    return `${this.channel}:ack:${instanceId}`;
  }

  async onModuleInit(): Promise<void> {
    if (!this.redis.enabled) return;
    const ackChannel = this.ackChannel(this.redis.instanceId);
    this.subscriber = this.redis.connect('bus-subscriber');
    this.subscriber.on('message', (channel: string, message: string) =>
      channel === ackChannel ? this.acked(message) : this.receive(message),
    );
    await this.subscriber.subscribe(this.channel, ackChannel);
  }

  onModuleDestroy(): void {
    for (const pending of this.pending.values()) pending.done();
  }

  on(topic: string, handler: Handler): void {
    this.handlers.set(topic, [...(this.handlers.get(topic) ?? []), handler]);
  }

  /** Runs the topic's handlers here and on every other instance; resolves when they all have (or timed out). */
  async publish(topic: string, payload: unknown): Promise<void> {
    this.dispatch(topic, payload);
    if (!this.redis.enabled) return;
    const id = randomUUID();
    const handled = new Promise<void>((resolve) => {
      const entry: PendingAck = {
        acks: 0,
        // Acks may come back before PUBLISH answers how many instances received the message.
        expected: Number.POSITIVE_INFINITY,
        done: () => {
          if (entry.timer) clearTimeout(entry.timer);
          this.pending.delete(id);
          resolve();
        },
      };
      this.pending.set(id, entry);
    });
    const envelope: Envelope = { from: this.redis.instanceId, id, topic, payload };
    let receivers: number;
    try {
      receivers = await this.redis.client.publish(this.channel, JSON.stringify(envelope));
    } catch (err) {
      this.pending.get(id)?.done();
      throw err;
    }
    const pending = this.pending.get(id);
    if (!pending) return handled;
    // Every instance's subscriber received it, this one's included (which ignores its own messages).
    pending.expected = receivers - 1;
    if (pending.acks >= pending.expected) {
      pending.done();
      return handled;
    }
    pending.timer = setTimeout(() => {
      this.logger.warn({ topic, expected: pending.expected, acks: pending.acks }, 'Bus message not acknowledged');
      pending.done();
    }, ACK_TIMEOUT_MS);
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
