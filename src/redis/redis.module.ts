import { Global, Module } from '@nestjs/common';
import { ClusterBus } from './cluster-bus.js';
import { RedisService } from './redis.service.js';
import { AttemptLimiter } from './attempt-limiter.js';

@Global()
@Module({
  providers: [RedisService, ClusterBus, AttemptLimiter],
  exports: [RedisService, ClusterBus, AttemptLimiter],
})
export class RedisModule {}
