// Subscriptions kept across lost links: on a connection whose commands fail while `down` (unit), and on real Redis
// through a link that drops the first resubscription after a cut, the moment ioredis's own resubscription forgot.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import net, { type Socket } from 'node:net';
import type { Redis } from 'ioredis';
import { services } from '../../test/helpers/mode.js';
import type { AppConfig } from '../config/app-config.js';
import { RedisService } from './redis.service.js';
import { keepSubscriptions } from './subscriptions.js';

const { jest } = import.meta;

const COMMANDS = ['subscribe', 'psubscribe', 'ssubscribe', 'unsubscribe', 'punsubscribe', 'sunsubscribe'] as const;
type Call = [command: string, ...args: unknown[]];

/** A connection whose commands fail while `down`, recording every command that reached it. */
function connection() {
  const calls: Call[] = [];
  const fake = Object.assign(new EventEmitter(), { down: false, calls }) as EventEmitter & {
    down: boolean;
    calls: Call[];
  } & Record<(typeof COMMANDS)[number], (...args: unknown[]) => Promise<unknown>>;
  for (const command of COMMANDS) {
    fake[command] = (...args: unknown[]) => {
      calls.push([command, ...args]);
      return fake.down ? Promise.reject(new Error('Reached the max retries per request limit')) : Promise.resolve(1);
    };
  }
  return fake;
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe(keepSubscriptions.name, () => {
  let unhandled: jest.Mock;

  beforeEach(() => {
    unhandled = jest.fn();
    process.on('unhandledRejection', unhandled);
  });
  afterEach(() => process.off('unhandledRejection', unhandled));

  function kept() {
    const fake = connection();
    const failures: [string, string[]][] = [];
    keepSubscriptions(fake as unknown as Redis, (command, channels) => failures.push([command, channels]));
    return { fake, failures };
  }

  it('should report a failed (un)subscribe and resolve it to 0 instead of leaving a rejection unhandled', async () => {
    const { fake, failures } = kept();
    fake.down = true;
    // As @socket.io/redis-adapter calls them: without awaiting or catching.
    const results = [fake.ssubscribe('room-1'), fake.sunsubscribe('room-2'), fake.psubscribe('io#*')];
    expect(await Promise.all(results)).toEqual([0, 0, 0]);
    await tick();
    expect(failures).toEqual([
      ['ssubscribe', ['room-1']],
      ['sunsubscribe', ['room-2']],
      ['psubscribe', ['io#*']],
    ]);
    expect(unhandled).not.toHaveBeenCalled();
  });

  it('should subscribe again, each time the connection is ready, every channel still wished for', async () => {
    const { fake } = kept();
    await fake.subscribe(['bus', 'bus:ack']);
    await fake.psubscribe('io#*');
    await fake.ssubscribe('room-1');
    await fake.ssubscribe('room-2');
    await fake.sunsubscribe('room-2');
    fake.down = true;
    // Wished while the link is down: failed now, subscribed once it is back.
    await fake.ssubscribe('room-3');
    await fake.unsubscribe('bus:ack');
    fake.down = false;
    for (let ready = 0; ready < 2; ready += 1) {
      fake.calls.length = 0;
      fake.emit('ready');
      await tick();
      expect(fake.calls).toEqual([
        ['subscribe', ['bus']],
        ['psubscribe', ['io#*']],
        ['ssubscribe', 'room-1'],
        ['ssubscribe', 'room-3'],
      ]);
    }
  });

  it('should forget every channel of a kind on an unsubscribe without channels', async () => {
    const { fake } = kept();
    await fake.subscribe('a', 'b');
    await fake.psubscribe('p*');
    await fake.unsubscribe();
    fake.calls.length = 0;
    fake.emit('ready');
    await tick();
    expect(fake.calls).toEqual([['psubscribe', ['p*']]]);
  });
});

/**
 * A TCP link to Redis that can cut every open connection, and can cut the next connection that sends a
 * (P)SUBSCRIBE: its resubscription after the cut never reaches Redis, and the link drops again at that moment.
 */
async function startDroppingLink(target: URL) {
  const open = new Set<Socket>();
  let dropNextSubscribe = false;
  const server = net.createServer((downstream) => {
    const upstream = net.connect(Number(target.port || 6379), target.hostname);
    for (const socket of [downstream, upstream]) {
      open.add(socket);
      socket.on('close', () => open.delete(socket));
      socket.on('error', () => socket.destroy());
    }
    downstream.on('data', (data: Buffer) => {
      if (dropNextSubscribe && /subscribe/i.test(data.toString())) {
        dropNextSubscribe = false;
        downstream.resetAndDestroy();
        upstream.destroy();
        return;
      }
      upstream.write(data);
    });
    upstream.pipe(downstream);
    downstream.on('close', () => upstream.destroy());
    upstream.on('close', () => downstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    cutDroppingTheResubscription(): void {
      dropNextSubscribe = true;
      for (const socket of open) socket.resetAndDestroy();
    },
    get dropped(): boolean {
      return !dropNextSubscribe;
    },
    close: async () => {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const redisSpec = services.redisUrl ? describe : describe.skip;
redisSpec(`RedisService.subscriber on Redis${services.redisUrl ? '' : ' [skipped: set TEST_REDIS_URL]'}`, () => {
  let link: Awaited<ReturnType<typeof startDroppingLink>>;
  let direct: RedisService;
  let viaLink: RedisService;
  let unhandled: jest.Mock;
  const prefix = `spec-${randomUUID()}`;

  beforeAll(async () => {
    link = await startDroppingLink(new URL(services.redisUrl!));
    direct = new RedisService({ redis: { url: services.redisUrl, prefix } } as AppConfig);
    viaLink = new RedisService({ redis: { url: `redis://127.0.0.1:${link.port}`, prefix } } as AppConfig);
  });
  beforeEach(() => {
    unhandled = jest.fn();
    process.on('unhandledRejection', unhandled);
  });
  afterEach(() => process.off('unhandledRejection', unhandled));
  afterAll(async () => {
    await Promise.all([direct.onApplicationShutdown(), viaLink.onApplicationShutdown()]);
    await link.close();
  });

  /** Publishes on `channel` every 100 ms until `heard` holds a message, for at most 5 s; answers whether it did. */
  async function hears(channel: string, heard: string[]): Promise<boolean> {
    heard.length = 0;
    for (let tries = 0; tries < 50 && heard.length === 0; tries += 1) {
      await direct.client.publish(channel, 'ping');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return heard.length > 0;
  }

  it('should hear its channels and patterns again after the link drops during their resubscription', async () => {
    const failures: number[] = [];
    const sub = viaLink.subscriber('spec-sub', (channels) => failures.push(channels));
    const [channel, patterned] = [direct.key('chan'), direct.key('pat', 'x')];
    const heard: string[] = [];
    const heardByPattern: string[] = [];
    sub.on('message', (_: string, message: string) => heard.push(message));
    sub.on('pmessage', (_: string, __: string, message: string) => heardByPattern.push(message));
    await sub.subscribe(channel);
    await sub.psubscribe(direct.key('pat', '*'));
    expect(await hears(channel, heard)).toBe(true);
    expect(await hears(patterned, heardByPattern)).toBe(true);

    link.cutDroppingTheResubscription();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(link.dropped).toBe(true);
    expect(await hears(channel, heard)).toBe(true);
    expect(await hears(patterned, heardByPattern)).toBe(true);
    expect(failures.length).toBeGreaterThan(0);
    expect(unhandled).not.toHaveBeenCalled();
  }, 20_000);
});
