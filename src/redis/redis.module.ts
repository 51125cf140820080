import { Global, Module } from '@nestjs/common';
import { ClusterBus } from './cluster-bus.js';
import { RedisService } from './redis.service.js';
import { SlidingWindowLimiter } from './sliding-window.limiter.js';

@Global()
@Module({
  providers: [RedisService, ClusterBus, SlidingWindowLimiter],
  exports: [RedisService, ClusterBus, SlidingWindowLimiter],
})
export class RedisModule {}
