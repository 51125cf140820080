import { EventEmitter } from 'node:events';
import type { Socket } from 'socket.io';
import { InFlight } from '../common/in-flight.js';
import type { AppConfig } from '../config/app-config.js';
import type { MetricsService } from '../metrics/metrics.service.js';
import type { RedisService } from '../redis/redis.service.js';
import { RedisIoAdapter } from './redis-io.adapter.js';

/** What Nest hands the adapter for one gateway and one socket: each handler bound to that socket. */
function handlersFor(socket: EventEmitter, calls: string[], events: string[]) {
  return events.map((message) => ({
    message,
    methodName: message,
    isAckHandledManually: false,
    callback: (data: unknown) => {
      calls.push(`${(socket as EventEmitter & { name: string }).name}:${message}:${JSON.stringify(data)}`);
      return Promise.resolve({ echoed: data });
    },
  }));
}

function fakeSocket(name: string): EventEmitter & { name: string } {
  return Object.assign(new EventEmitter(), { name });
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('RedisIoAdapter handler binding', () => {
  let sut: RedisIoAdapter;
  let inFlight: InFlight;

  beforeEach(() => {
    inFlight = new InFlight();
    sut = new RedisIoAdapter(
      {} as never,
      {} as AppConfig,
      { enabled: false } as RedisService,
      {} as MetricsService,
      inFlight,
    );
  });

  it('should count an event in flight until its ack is answered', async () => {
    const socket = fakeSocket('s');
    let finish!: (value: unknown) => void;
    sut.bindMessageHandlers(socket as unknown as Socket, [
      {
        message: 'slow',
        methodName: 'slow',
        isAckHandledManually: false,
        callback: () => new Promise((r) => (finish = r)),
      },
    ]);
    const acks: unknown[] = [];
    socket.emit('slow', {}, (answer: unknown) => acks.push(answer));
    expect(inFlight.size).toBe(1);
    const idle = inFlight.idle(1000);
    finish({ done: true });
    expect(await idle).toBe(true);
    expect([inFlight.size, acks]).toEqual([0, [{ done: true }]]);
  });

  it('should refuse new events with SERVICE_UNAVAILABLE while draining, without running their handler', async () => {
    const calls: string[] = [];
    const socket = fakeSocket('s');
    sut.bindMessageHandlers(socket as unknown as Socket, handlersFor(socket, calls, ['ping']));
    inFlight.draining = true;
    const acks: unknown[] = [];
    socket.emit('ping', 1, (answer: unknown) => acks.push(answer));
    await flush();
    expect(calls).toEqual([]);
    expect(acks).toEqual([
      { ok: false, error: { code: 'SERVICE_UNAVAILABLE', message: 'This instance is shutting down; retry' } },
    ]);
    expect(inFlight.size).toBe(0);
  });

  it('should run each socket’s own handler through one listener shared by every socket, and answer the ack', async () => {
    const calls: string[] = [];
    const [a, b] = [fakeSocket('a'), fakeSocket('b')];
    sut.bindMessageHandlers(a as unknown as Socket, handlersFor(a, calls, ['ping', 'other']));
    sut.bindMessageHandlers(b as unknown as Socket, handlersFor(b, calls, ['ping', 'other']));
    expect(a.listeners('ping')).toHaveLength(1);
    expect(a.listeners('ping')[0]).toBe(b.listeners('ping')[0]);

    const acks: unknown[] = [];
    a.emit('ping', { n: 1 }, (answer: unknown) => acks.push(answer));
    b.emit('ping', { n: 2 }, (answer: unknown) => acks.push(answer));
    b.emit('other');
    await flush();
    expect(calls).toEqual(['a:ping:{"n":1}', 'b:ping:{"n":2}', 'b:other:undefined']);
    expect(acks).toEqual([{ echoed: { n: 1 } }, { echoed: { n: 2 } }]);
  });

  it('should run both handlers when two gateways handle the same event', async () => {
    const calls: string[] = [];
    const socket = fakeSocket('s');
    sut.bindMessageHandlers(socket as unknown as Socket, handlersFor(socket, calls, ['shared']));
    sut.bindMessageHandlers(socket as unknown as Socket, handlersFor(socket, calls, ['shared']));
    socket.emit('shared', 7);
    await flush();
    expect(calls).toEqual(['s:shared:7', 's:shared:7']);
  });

  it('should run every gateway’s disconnect callback once, through one listener', () => {
    const socket = fakeSocket('s');
    const reasons: string[] = [];
    sut.bindClientDisconnect(socket as unknown as Socket, (reason) => reasons.push(`first:${String(reason)}`));
    sut.bindClientDisconnect(socket as unknown as Socket, (reason) => reasons.push(`second:${String(reason)}`));
    expect(socket.listeners('disconnect')).toHaveLength(1);
    socket.emit('disconnect', 'transport close');
    expect(reasons).toEqual(['first:transport close', 'second:transport close']);
  });
});

describe('RedisIoAdapter publish failures', () => {
  it('should count a PUBLISH or SPUBLISH that fails (Redis down) and answer 0 instead of an unhandled rejection', async () => {
    let failures = 0;
    const metrics = { adapterPublishFailures: { inc: () => (failures += 1) } } as unknown as MetricsService;
    const sut = new RedisIoAdapter(
      {} as never,
      {} as AppConfig,
      { enabled: true } as RedisService,
      metrics,
      new InFlight(),
    );
    const down = (): Promise<number> => Promise.reject(new Error('Connection is closed.'));
    // The classic adapter publishes with PUBLISH, the sharded one with SPUBLISH: both are guarded.
    const pub = { publish: down, spublish: down };
    (sut as unknown as { catchPublishFailures(client: typeof pub): void }).catchPublishFailures(pub);
    await expect(pub.publish()).resolves.toBe(0);
    await expect(pub.spublish()).resolves.toBe(0);
    expect(failures).toBe(2);
  });
});
