// ClusterBus.publish against a Redis that accepts the connection but never answers (stalled): the wait is bounded.
import { Logger } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import { ACK_TIMEOUT_MS, BusTimeoutError, ClusterBus } from './cluster-bus.js';
import type { RedisService } from './redis.service.js';

const { jest } = import.meta;

function stalledRedis(publish: (channel: string, message: string) => Promise<number>): RedisService {
  const subscriber = Object.assign(new EventEmitter(), { subscribe: async () => undefined });
  return {
    enabled: true,
    instanceId: 'instance-a',
    key: (...parts: string[]) => ['test', ...parts].join(':'),
    client: { publish },
    subscriber: () => subscriber,
  } as unknown as RedisService;
}

describe(`${ClusterBus.name} with a stalled Redis`, () => {
  let warn: ReturnType<typeof jest.spyOn>;

  beforeEach(() => {
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
    warn.mockRestore();
  });

  it('should fail after the timeout when PUBLISH never answers, having run the handlers here', async () => {
    const sut = new ClusterBus(stalledRedis(() => new Promise<number>(() => undefined)));
    await sut.onModuleInit();
    const here = jest.fn();
    sut.on('account:changed', here);
    let outcome: unknown;
    const published = sut.publish('account:changed', { userId: 'u1' }).then(
      () => (outcome = 'resolved'),
      (err: unknown) => (outcome = err),
    );
    expect(here).toHaveBeenCalledWith({ userId: 'u1' });
    await jest.advanceTimersByTimeAsync(ACK_TIMEOUT_MS - 1);
    expect(outcome).toBeUndefined();
    await jest.advanceTimersByTimeAsync(1);
    await published;
    expect(outcome).toBeInstanceOf(BusTimeoutError);
    sut.onModuleDestroy();
  });

  it('should end a publish still waiting for PUBLISH when the bus shuts down', async () => {
    const sut = new ClusterBus(stalledRedis(() => new Promise<number>(() => undefined)));
    await sut.onModuleInit();
    const published = sut.publish('t', 1);
    const failed = expect(published).rejects.toThrow('shutting down');
    sut.onModuleDestroy();
    await failed;
  });

  it('should leave no unhandled rejection when PUBLISH fails after the timeout', async () => {
    let fail: (err: Error) => void = () => undefined;
    const sut = new ClusterBus(stalledRedis(() => new Promise<number>((_, reject) => (fail = reject))));
    await sut.onModuleInit();
    const published = sut.publish('t', 1);
    const failed = expect(published).rejects.toBeInstanceOf(BusTimeoutError);
    await jest.advanceTimersByTimeAsync(ACK_TIMEOUT_MS);
    await failed;
    const unhandled = jest.fn();
    process.on('unhandledRejection', unhandled);
    try {
      fail(new Error('Connection is closed.'));
      await jest.runAllTimersAsync();
      await new Promise((r) => jest.requireActual<typeof import('node:timers')>('node:timers').setImmediate(r));
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.off('unhandledRejection', unhandled);
    }
  });

  it('should count the deadline from the call: a PUBLISH answered late leaves only what remains for the acks', async () => {
    let answer: (receivers: number) => void = () => undefined;
    const sut = new ClusterBus(stalledRedis(() => new Promise<number>((resolve) => (answer = resolve))));
    await sut.onModuleInit();
    let resolved = false;
    const published = sut.publish('t', 1).then(() => (resolved = true));
    await jest.advanceTimersByTimeAsync(ACK_TIMEOUT_MS - 500);
    // Another instance received it and never acknowledges.
    answer(2);
    await jest.advanceTimersByTimeAsync(499);
    expect(resolved).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    await published;
    expect(resolved).toBe(true);
    expect(warn).toHaveBeenCalledWith(
      expect.objectContaining({ topic: 't', expected: 1, acks: 0 }),
      expect.any(String),
    );
  });
});
