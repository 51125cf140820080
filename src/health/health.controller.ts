import { Controller, Get, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckService,
  type HealthIndicatorFunction,
  type HealthCheckResult,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import type { Response } from 'express';
import { Public } from '../auth/decorators.js';
import { RedisService } from '../redis/redis.service.js';

const TIMEOUT_MS = 2000;

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    private readonly redis: RedisService,
  ) {}

  @Get()
  @HealthCheck()
  @ApiOkResponse({ description: '`{status: "ok", info: {database, redis?}}`' })
  @ApiServiceUnavailableResponse({ description: "A configured dependency is down (terminus's shape)" })
  async check(@Res({ passthrough: true }) res: Response): Promise<HealthCheckResult> {
    const checks: HealthIndicatorFunction[] = [() => this.database.pingCheck('database', { timeout: TIMEOUT_MS })];
    if (this.redis.enabled) checks.push(() => this.pingRedis());
    try {
      return await this.health.check(checks);
    } catch (err) {
      // Keep terminus's body for 503 rather than the error envelope: monitoring tools expect it.
      if (err instanceof ServiceUnavailableException) {
        res.status(503);
        return err.getResponse() as HealthCheckResult;
      }
      throw err;
    }
  }

  private async pingRedis() {
    const indicator = this.indicators.check('redis');
    try {
      const ping = this.redis.client.ping();
      // When the timeout wins, the ping still fails later: that rejection has nobody else to catch it.
      ping.catch(() => undefined);
      const answer = await Promise.race([
        ping,
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), TIMEOUT_MS).unref()),
      ]);
      return answer === 'PONG' ? indicator.up() : indicator.down({ message: `unexpected answer ${answer}` });
    } catch (err) {
      return indicator.down({ message: (err as Error).message });
    }
  }
}
