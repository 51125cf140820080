// The sharded adapter's room (un)subscribes while Redis is down: caught, counted, and tried again once it is back.
import { Logger } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import type { AppConfig } from '../config/app-config.js';
import type { MetricsService } from '../metrics/metrics.service.js';
import type { RedisService } from '../redis/redis.service.js';
import { RedisIoAdapter } from './redis-io.adapter.js';

const { jest } = import.meta;

type Call = [command: string, channel: string];

/** A subscriber connection whose commands fail while `down`, recording every command that reached it. */
function subscriber() {
  const calls: Call[] = [];
  const sub = Object.assign(new EventEmitter(), {
    down: true,
    calls,
    ssubscribe(channel: string) {
      calls.push(['ssubscribe', channel]);
      return sub.down ? Promise.reject(new Error('Reached the max retries per request limit')) : Promise.resolve(1);
    },
    sunsubscribe(channel: string) {
      calls.push(['sunsubscribe', channel]);
      return sub.down ? Promise.reject(new Error('Reached the max retries per request limit')) : Promise.resolve(0);
    },
  });
  return sub;
}

function guarded() {
  let failures = 0;
  const metrics = { adapterSubscriptionFailures: { inc: (n = 1) => (failures += n) } } as unknown as MetricsService;
  const sut = new RedisIoAdapter({} as never, {} as AppConfig, { enabled: true } as RedisService, metrics);
  const sub = subscriber();
  (sut as unknown as { catchSubscriptionFailures(client: typeof sub): void }).catchSubscriptionFailures(sub);
  return { sub, failures: () => failures };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('RedisIoAdapter room subscription failures (sharded adapter)', () => {
  let warn: ReturnType<typeof jest.spyOn>;
  let unhandled: jest.Mock;

  beforeEach(() => {
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    unhandled = jest.fn();
    process.on('unhandledRejection', unhandled);
  });
  afterEach(() => {
    process.off('unhandledRejection', unhandled);
    warn.mockRestore();
  });

  it('should count and log a failed SSUBSCRIBE or SUNSUBSCRIBE instead of leaving an unhandled rejection', async () => {
    const { sub, failures } = guarded();
    // As @socket.io/redis-adapter calls them: without awaiting or catching.
    void sub.ssubscribe('io#/#conversation:1#');
    void sub.sunsubscribe('io#/#conversation:2#');
    await tick();
    await tick();
    expect(unhandled).not.toHaveBeenCalled();
    expect(failures()).toBe(2);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn).toHaveBeenCalledWith(expect.objectContaining({ command: 'ssubscribe' }), expect.any(String));
  });

  it('should send again, once the connection is back, the last (un)subscribe of each channel that failed', async () => {
    const { sub } = guarded();
    void sub.ssubscribe('room-appeared');
    void sub.sunsubscribe('room-emptied');
    void sub.ssubscribe('room-came-and-went');
    await tick();
    // Called again later (while still down): its latest wish is what is tried again.
    void sub.sunsubscribe('room-came-and-went');
    await tick();
    sub.down = false;
    sub.calls.length = 0;
    sub.emit('ready');
    await tick();
    expect(sub.calls.sort()).toEqual([
      ['ssubscribe', 'room-appeared'],
      ['sunsubscribe', 'room-came-and-went'],
      ['sunsubscribe', 'room-emptied'],
    ]);
    await tick();
    // Confirmed now: a later reconnect has nothing to try again.
    sub.calls.length = 0;
    sub.emit('ready');
    await tick();
    expect(sub.calls).toEqual([]);
    expect(unhandled).not.toHaveBeenCalled();
  });

  it('should not try again a channel whose later (un)subscribe went through', async () => {
    const { sub } = guarded();
    void sub.ssubscribe('room');
    await tick();
    sub.down = false;
    void sub.sunsubscribe('room');
    await tick();
    sub.calls.length = 0;
    sub.emit('ready');
    await tick();
    expect(sub.calls).toEqual([]);
  });
});
