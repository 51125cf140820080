import { EventEmitter } from 'node:events';
import type { Socket } from 'socket.io';
import { InFlight } from '../common/in-flight.js';
import type { AppConfig } from '../config/app-config.js';
import type { MetricsService } from '../metrics/metrics.service.js';
import type { RedisService } from '../redis/redis.service.js';
import { hasEventHandler, RedisIoAdapter } from './redis-io.adapter.js';

/** What Nest hands the adapter for one gateway and one socket: each handler bound to that socket. */
function handlersFor(socket: FakeSocket, calls: string[], events: string[]) {
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

type FakeSocket = EventEmitter & {
  name: string;
  connected: boolean;
  middlewares: Array<(packet: unknown[], next: (err?: Error) => void) => void>;
  use(fn: (packet: unknown[], next: (err?: Error) => void) => void): FakeSocket;
  /** A client event arriving: through the socket's middlewares in order, then to its listeners, as Socket.IO does. */
  receive(...packet: unknown[]): void;
};

function fakeSocket(name: string): FakeSocket {
  const socket = Object.assign(new EventEmitter(), {
    name,
    connected: true,
    middlewares: [] as FakeSocket['middlewares'],
    use(fn: FakeSocket['middlewares'][number]) {
      socket.middlewares.push(fn);
      return socket;
    },
    receive(...packet: unknown[]) {
      const run = (i: number): void => {
        const middleware = socket.middlewares[i];
        if (middleware) middleware(packet, (err) => err === undefined && run(i + 1));
        else socket.emit(packet[0] as string, ...packet.slice(1));
      };
      run(0);
    },
  });
  return socket as FakeSocket;
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
    socket.receive('slow', {}, (answer: unknown) => acks.push(answer));
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
    socket.receive('ping', 1, (answer: unknown) => acks.push(answer));
    await flush();
    expect(calls).toEqual([]);
    expect(acks).toEqual([
      { ok: false, error: { code: 'SERVICE_UNAVAILABLE', message: 'This instance is shutting down; retry' } },
    ]);
    expect(inFlight.size).toBe(0);
  });

  it('should run each socket’s own handler from one middleware per socket, with no listener per event', async () => {
    const calls: string[] = [];
    const [a, b] = [fakeSocket('a'), fakeSocket('b')];
    sut.bindMessageHandlers(a as unknown as Socket, handlersFor(a, calls, ['ping']));
    sut.bindMessageHandlers(a as unknown as Socket, handlersFor(a, calls, ['other']));
    sut.bindMessageHandlers(b as unknown as Socket, handlersFor(b, calls, ['ping', 'other']));
    expect([a.middlewares.length, a.eventNames().length]).toEqual([1, 0]);

    const acks: unknown[] = [];
    a.receive('ping', { n: 1 }, (answer: unknown) => acks.push(answer));
    b.receive('ping', { n: 2 }, (answer: unknown) => acks.push(answer));
    b.receive('other');
    a.receive('other', 'x', 'y');
    await flush();
    expect(calls).toEqual(['a:ping:{"n":1}', 'b:ping:{"n":2}', 'b:other:undefined', 'a:other:["x","y"]']);
    expect(acks).toEqual([{ echoed: { n: 1 } }, { echoed: { n: 2 } }]);
  });

  it('should run nothing for a packet that arrives once the socket is disconnected', async () => {
    const calls: string[] = [];
    const socket = fakeSocket('s');
    sut.bindMessageHandlers(socket as unknown as Socket, handlersFor(socket, calls, ['ping']));
    socket.connected = false;
    socket.receive('ping', 1);
    await flush();
    expect([calls, inFlight.size]).toEqual([[], 0]);
  });

  it('should know which events a socket handles, and pass any other on to the next middleware', () => {
    const socket = fakeSocket('s');
    sut.bindMessageHandlers(socket as unknown as Socket, handlersFor(socket, [], ['ping']));
    expect(hasEventHandler(socket as unknown as Socket, 'ping')).toBe(true);
    expect(hasEventHandler(socket as unknown as Socket, 'pong')).toBe(false);
    expect(hasEventHandler(fakeSocket('other') as unknown as Socket, 'ping')).toBe(false);
    const passed: unknown[] = [];
    socket.on('pong', (...args) => passed.push(args));
    socket.receive('pong', 1);
    expect(passed).toEqual([[1]]);
  });

  it('should run both handlers when two gateways handle the same event', async () => {
    const calls: string[] = [];
    const socket = fakeSocket('s');
    sut.bindMessageHandlers(socket as unknown as Socket, handlersFor(socket, calls, ['shared']));
    sut.bindMessageHandlers(socket as unknown as Socket, handlersFor(socket, calls, ['shared']));
    socket.receive('shared', 7);
    await flush();
    expect(calls).toEqual(['s:shared:7', 's:shared:7']);
  });

  it('should leave the acknowledgement to a handler that answers it itself, beside one that does not', async () => {
    const socket = fakeSocket('s');
    const plain = handlersFor(socket, [], ['both']);
    const manual = {
      message: 'both',
      methodName: 'both',
      isAckHandledManually: true,
      callback: (_data: unknown, ack?: (a: unknown) => void) => {
        ack?.({ answeredBy: 'handler' });
        return Promise.resolve({ ignored: true });
      },
    };
    sut.bindMessageHandlers(socket as unknown as Socket, [...plain, manual]);
    const acks: unknown[] = [];
    socket.receive('both', 1, (answer: unknown) => acks.push(answer));
    await flush();
    expect(acks).toEqual([{ answeredBy: 'handler' }, { echoed: 1 }]);
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
