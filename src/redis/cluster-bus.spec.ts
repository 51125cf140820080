import { Logger } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import { ClusterBus } from './cluster-bus.js';
import type { RedisService } from './redis.service.js';

const { jest } = import.meta;

/** Redis pub/sub in memory: messages reach subscribers asynchronously, PUBLISH answers how many got one. */
class FakeBroker {
  private readonly subscribers = new Map<string, Set<EventEmitter>>();

  subscriber(): EventEmitter & { subscribe(...channels: string[]): Promise<void> } {
    const connection = new EventEmitter() as EventEmitter & { subscribe(...channels: string[]): Promise<void> };
    connection.subscribe = async (...channels: string[]) => {
      for (const channel of channels) {
        if (!this.subscribers.has(channel)) this.subscribers.set(channel, new Set());
        this.subscribers.get(channel)!.add(connection);
      }
    };
    return connection;
  }

  async publish(channel: string, message: string): Promise<number> {
    const receivers = [...(this.subscribers.get(channel) ?? [])];
    for (const receiver of receivers) setImmediate(() => receiver.emit('message', channel, message));
    return receivers.length;
  }
}

function redisOn(broker: FakeBroker, instanceId: string): RedisService {
  return {
    enabled: true,
    instanceId,
    key: (...parts: string[]) => ['test', ...parts].join(':'),
    client: { publish: (channel: string, message: string) => broker.publish(channel, message) },
    subscriber: () => broker.subscriber(),
  } as unknown as RedisService;
}

describe(ClusterBus.name, () => {
  it('should run the handlers of this instance at once without Redis', async () => {
    const sut = new ClusterBus({ enabled: false, key: (...p: string[]) => p.join(':') } as unknown as RedisService);
    await sut.onModuleInit();
    const handler = jest.fn();
    sut.on('topic', handler);
    await sut.publish('topic', { n: 1 });
    expect(handler).toHaveBeenCalledWith({ n: 1 });
  });

  describe('with Redis', () => {
    let broker: FakeBroker;
    let sut: ClusterBus;
    let other: ClusterBus;

    beforeEach(async () => {
      broker = new FakeBroker();
      sut = new ClusterBus(redisOn(broker, 'instance-a'));
      other = new ClusterBus(redisOn(broker, 'instance-b'));
      await sut.onModuleInit();
      await other.onModuleInit();
    });

    afterEach(() => {
      sut.onModuleDestroy();
      other.onModuleDestroy();
    });

    it('should resolve only after the other instances ran their handlers', async () => {
      const here = jest.fn();
      const there = jest.fn();
      sut.on('account:changed', here);
      other.on('account:changed', there);
      const published = sut.publish('account:changed', { userId: 'u1' });
      expect(here).toHaveBeenCalledWith({ userId: 'u1' });
      expect(there).not.toHaveBeenCalled();
      await published;
      expect(there).toHaveBeenCalledWith({ userId: 'u1' });
      expect(here).toHaveBeenCalledTimes(1);
    });

    it('should wait for every other instance', async () => {
      const third = new ClusterBus(redisOn(broker, 'instance-c'));
      await third.onModuleInit();
      const handlers = [jest.fn(), jest.fn()];
      other.on('t', handlers[0]);
      third.on('t', handlers[1]);
      await sut.publish('t', 1);
      expect(handlers[0]).toHaveBeenCalledWith(1);
      expect(handlers[1]).toHaveBeenCalledWith(1);
      third.onModuleDestroy();
    });

    it('should give up waiting after a timeout when an instance never answers', async () => {
      const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      jest.useFakeTimers({ doNotFake: ['setImmediate'] });
      try {
        // A subscriber that receives the message but never acknowledges it (an instance dying mid-way).
        await broker.subscriber().subscribe('test:bus');
        let resolved = false;
        const published = sut.publish('t', 1).then(() => (resolved = true));
        await new Promise((r) => setImmediate(r));
        await new Promise((r) => setImmediate(r));
        expect(resolved).toBe(false);
        await jest.advanceTimersByTimeAsync(2000);
        await published;
        expect(resolved).toBe(true);
        expect(warn).toHaveBeenCalledWith(
          expect.objectContaining({ topic: 't', acks: 1, expected: 2 }),
          expect.any(String),
        );
      } finally {
        jest.useRealTimers();
        warn.mockRestore();
      }
    });

    it('should drop a malformed message and keep serving', async () => {
      const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      const handler = jest.fn();
      other.on('t', handler);
      await broker.publish('test:bus', '{not json');
      await new Promise((r) => setImmediate(r));
      expect(warn).toHaveBeenCalled();
      await sut.publish('t', 2);
      expect(handler).toHaveBeenCalledWith(2);
      warn.mockRestore();
    });
  });
});
