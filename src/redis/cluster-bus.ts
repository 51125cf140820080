// Small messages between the instances of one deployment (cache invalidation and the like).
// Delivered to this instance synchronously, and to the others over Redis pub/sub when configured.
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { RedisService } from './redis.service.js';

type Handler = (payload: unknown) => void;

@Injectable()
export class ClusterBus implements OnModuleInit {
  private readonly logger = new Logger('ClusterBus');
  private readonly handlers = new Map<string, Handler[]>();
  private readonly channel: string;
  private subscriber?: Redis;

  constructor(private readonly redis: RedisService) {
    this.channel = redis.key('bus');
  }

  async onModuleInit(): Promise<void> {
    if (!this.redis.enabled) return;
    this.subscriber = this.redis.connect('bus-subscriber');
    this.subscriber.on('message', (_channel: string, message: string) => this.receive(message));
    await this.subscriber.subscribe(this.channel);
  }

  on(topic: string, handler: Handler): void {
    this.handlers.set(topic, [...(this.handlers.get(topic) ?? []), handler]);
  }

  async publish(topic: string, payload: unknown): Promise<void> {
    this.dispatch(topic, payload);
    if (this.redis.enabled) {
      await this.redis.client.publish(this.channel, JSON.stringify({ from: this.redis.instanceId, topic, payload }));
    }
  }

  private receive(message: string): void {
    try {
      const { from, topic, payload } = JSON.parse(message) as { from: string; topic: string; payload: unknown };
      if (from !== this.redis.instanceId) this.dispatch(topic, payload);
    } catch (err) {
      this.logger.warn({ err }, 'Dropped a malformed bus message');
    }
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
