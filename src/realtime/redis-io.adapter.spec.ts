import type { AppConfig } from '../config/app-config.js';
import type { MetricsService } from '../metrics/metrics.service.js';
import type { RedisService } from '../redis/redis.service.js';
import { RedisIoAdapter } from './redis-io.adapter.js';

describe('RedisIoAdapter publish failures', () => {
  it('should count a PUBLISH or SPUBLISH that fails (Redis down) and answer 0 instead of an unhandled rejection', async () => {
    let failures = 0;
    const metrics = { adapterPublishFailures: { inc: () => (failures += 1) } } as unknown as MetricsService;
    const sut = new RedisIoAdapter({} as never, {} as AppConfig, { enabled: true } as RedisService, metrics);
    const down = (): Promise<number> => Promise.reject(new Error('Connection is closed.'));
    // The classic adapter publishes with PUBLISH, the sharded one with SPUBLISH: both are guarded.
    const pub = { publish: down, spublish: down };
    (sut as unknown as { catchPublishFailures(client: typeof pub): void }).catchPublishFailures(pub);
    await expect(pub.publish()).resolves.toBe(0);
    await expect(pub.spublish()).resolves.toBe(0);
    expect(failures).toBe(2);
  });
});
