import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from '../auth/auth.module.js';
import { JobEvent } from './job-event.entity.js';
import { JobEventsRepository } from './job-events.repository.js';
import { JobEventsService } from './job-events.service.js';
import { Job } from './job.entity.js';
import { JobsController } from './jobs.controller.js';
import { JobsGateway } from './jobs.gateway.js';
import { JobsScheduler } from './jobs.scheduler.js';
import { JobsService } from './jobs.service.js';
import { WorkerAccessCache } from './worker-access.cache.js';

/** Background jobs reporting progress: worker tokens, the event write path (group commit), stall sweep. */
@Module({
  imports: [AuthModule, TypeOrmModule.forFeature([Job, JobEvent])],
  controllers: [JobsController],
  providers: [JobsService, JobEventsRepository, JobEventsService, WorkerAccessCache, JobsScheduler, JobsGateway],
})
export class JobsModule {}
