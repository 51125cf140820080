import type { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { services } from '../../test/helpers/mode.js';
import type { AppConfig } from '../config/app-config.js';
import { RedisService } from '../redis/redis.service.js';
import { LUA_NOW, type PresenceHost, RedisPresenceStore } from './presence.store.js';

// ESM specs have no global `jest` object; Jest exposes it here.
const { jest } = import.meta;

/** A Redis stand-in that records the instances zset's writes and the scripts run. */
function fakeRedis(zaddAnswers: number[]) {
  const scripts: unknown[] = [];
  const client = {
    status: 'ready',
    on: jest.fn(),
    zadd: jest.fn(async () => zaddAnswers.shift() ?? 0),
    zrangebyscore: jest.fn(async () => [] as string[]),
  };
  const redis = {
    client,
    instanceId: 'me',
    key: (...parts: string[]) => parts.join(':'),
    runScript: jest.fn(async (script: unknown) => {
      scripts.push(script);
      return [[], []];
    }),
  };
  return { redis: redis as unknown as RedisService, client, scripts };
}

const host: PresenceHost = {
  localSockets: () => 1,
  localCounts: () => new Map([['u1', 1]]),
  retired: () => false,
  announce: jest.fn(async () => undefined),
  changed: jest.fn(),
};
const logger = { log: jest.fn(), warn: jest.fn() } as unknown as Logger;
const config = (ttlSeconds: number) => ({ presence: { ttlSeconds } }) as AppConfig;

describe(RedisPresenceStore.name, () => {
  afterEach(() => jest.useRealTimers());

  it('should beat every TTL/6 and count an instance dead once its beat is older than TTL − TTL/6', async () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const { redis, client } = fakeRedis([1]);
    const store = new RedisPresenceStore(redis, config(30), host, logger);
    await store.start();
    expect(client.zrangebyscore).toHaveBeenLastCalledWith('presence:instances', '-inf', `(${1_000_000 - 25_000}`);
    client.zadd.mockClear();
    await jest.advanceTimersByTimeAsync(5_000);
    expect(client.zadd).toHaveBeenCalledTimes(1);
    store.stop();
  });

  it('should take no other instance for dead within a TTL of its own reconnection to Redis', async () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const { redis, client } = fakeRedis([1]);
    const store = new RedisPresenceStore(redis, config(6), host, logger);
    await store.start();
    const onReady = client.on.mock.calls.find(([event]) => event === 'ready')![1] as () => void;
    client.zrangebyscore.mockClear();
    // Back after a cut: the others' beats could not be seen meanwhile.
    onReady();
    await jest.advanceTimersByTimeAsync(4_000);
    expect(client.zadd).toHaveBeenCalledTimes(1 + 4 + 1);
    expect(client.zrangebyscore).not.toHaveBeenCalled();
    // TTL − period (5 s) after the reconnection, the look for the dead is back.
    await jest.advanceTimersByTimeAsync(1_000);
    expect(client.zrangebyscore).toHaveBeenLastCalledWith('presence:instances', '-inf', `(${1_005_000 - 5_000}`);
    store.stop();
  });

  it('should rebuild its part of presence when a beat finds it was swept while alive', async () => {
    // First beat registers (1 added); the next finds it present (0); the third adds it again (1): it was swept.
    const { redis, scripts } = fakeRedis([1, 0, 1, 0]);
    const store = new RedisPresenceStore(redis, config(3), host, logger);
    await store.start();
    await (store as unknown as { beat(): Promise<void> }).beat();
    await new Promise((resolve) => setImmediate(resolve));
    expect(scripts).toEqual([]);
    await (store as unknown as { beat(): Promise<void> }).beat();
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(scripts).toHaveLength(1);
    store.stop();
  });
});

// The stamps of presence changes, on a real Redis: its clock, in the form `toISOString` writes.
const redisSpec = services.redisUrl ? describe : describe.skip;
redisSpec(`${RedisPresenceStore.name} on Redis${services.redisUrl ? '' : ' [skipped: set TEST_REDIS_URL]'}`, () => {
  let redis: RedisService;
  const prefix = `spec-${randomUUID()}`;

  beforeAll(() => {
    redis = new RedisService({ redis: { url: services.redisUrl, prefix } } as AppConfig);
  });
  afterAll(async () => {
    const keys = await redis.client.keys(`${prefix}*`);
    if (keys.length > 0) await redis.client.del(...keys);
    await redis.onApplicationShutdown();
  });
  afterEach(() => jest.useRealTimers());

  it("should write Redis's time as toISOString does, on any day", async () => {
    const days = [0, 951_782_400, 951_868_799, 1_735_689_599, 1_735_689_600, 4_107_542_400, 253_402_300_799];
    for (let i = 0; i < 300; i += 1) days.push(Math.floor(Math.random() * 8_000_000_000));
    const written = (await redis.client.eval(
      `${LUA_NOW}
local out = {}
for i, seconds in ipairs(ARGV) do out[i] = iso(tonumber(seconds), 654321) end
return out`,
      0,
      ...days.map(String),
    )) as string[];
    expect(written).toEqual(days.map((seconds) => new Date(seconds * 1000 + 654).toISOString()));
  });

  it("should stamp a user's changes with Redis's clock, whatever this instance's clock says", async () => {
    // This instance's clock a quarter of a century off; timers stay real for the Redis client.
    jest.useFakeTimers({
      now: new Date('2001-01-01T00:00:00.000Z'),
      doNotFake: [
        'hrtime',
        'nextTick',
        'performance',
        'queueMicrotask',
        'setImmediate',
        'clearImmediate',
        'setInterval',
        'clearInterval',
        'setTimeout',
        'clearTimeout',
      ],
    });
    const store = new RedisPresenceStore(redis, config(30), host, logger);
    const redisNow = async () => {
      const [seconds, micros] = await redis.client.time();
      return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    };
    const before = await redisNow();
    const cameOnline = await store.connected('u-stamp');
    expect(cameOnline).toBeDefined();
    expect(Date.parse(cameOnline!)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(cameOnline!)).toBeLessThanOrEqual(await redisNow());
    expect(await store.connected('u-stamp')).toBeUndefined();
    expect(await store.lookup(['u-stamp'])).toEqual({ online: [true], lastSeen: [cameOnline] });

    await store.disconnected('u-stamp');
    expect(await store.disconnected('u-stamp')).toBe(true);
    const wentOffline = await store.graceOver('u-stamp');
    expect(wentOffline! >= cameOnline!).toBe(true);
    expect(await store.graceOver('u-stamp')).toBeUndefined();
    expect(await store.lookup(['u-stamp'])).toEqual({ online: [false], lastSeen: [wentOffline] });
    expect(new Date().getUTCFullYear()).toBe(2001);
  });
});
