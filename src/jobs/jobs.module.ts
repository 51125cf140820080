import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { JobEventsService } from './job-events.service.js';
import { JobsController } from './jobs.controller.js';
import { JobsGateway } from './jobs.gateway.js';
import { JobsRepository } from './jobs.repository.js';
import { JobsScheduler } from './jobs.scheduler.js';
import { JobsService } from './jobs.service.js';
import { WorkerAccessCache } from './worker-access.cache.js';

/** Background jobs reporting progress: worker tokens, the event write path (group commit), stall sweep. */
@Module({
  imports: [AuthModule],
  controllers: [JobsController],
  providers: [JobsRepository, JobsService, JobEventsService, WorkerAccessCache, JobsScheduler, JobsGateway],
})
export class JobsModule {}
