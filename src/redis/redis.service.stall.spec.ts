// RedisService against a Redis that accepts connections and never answers (stalled): a command fails within
// REDIS_COMMAND_TIMEOUT_MS with an error the app answers 503 SERVICE_UNAVAILABLE, instead of holding its request.
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { isDependencyUnavailable } from '../common/unavailable.js';
import type { AppConfig } from '../config/app-config.js';
import { REDIS_COMMAND_TIMEOUT_MS, RedisService } from './redis.service.js';

describe(`${RedisService.name} with a stalled Redis`, () => {
  let stalled: Server;
  const held: Socket[] = [];
  let sut: RedisService;

  beforeAll(async () => {
    // Takes every connection and reads what comes, answering nothing.
    stalled = createServer((socket) => {
      held.push(socket);
      socket.resume();
    });
    await new Promise<void>((resolve) => stalled.listen(0, '127.0.0.1', resolve));
    const { port } = stalled.address() as AddressInfo;
    sut = new RedisService({ redis: { url: `redis://127.0.0.1:${port}`, prefix: 'stall' } } as AppConfig);
  });
  afterAll(async () => {
    for (const socket of held) socket.destroy();
    await new Promise((resolve) => stalled.close(resolve));
    await sut.onApplicationShutdown().catch(() => undefined);
  });

  it('should fail a command after REDIS_COMMAND_TIMEOUT_MS, as a dependency unavailable', async () => {
    const started = Date.now();
    const error = await sut.client.get('k').then(
      () => undefined,
      (err: unknown) => err,
    );
    const waited = Date.now() - started;
    expect(error).toBeInstanceOf(Error);
    expect(isDependencyUnavailable(error)).toBe(true);
    expect(waited).toBeGreaterThanOrEqual(REDIS_COMMAND_TIMEOUT_MS - 50);
    expect(waited).toBeLessThan(REDIS_COMMAND_TIMEOUT_MS + 2000);
  });
});
