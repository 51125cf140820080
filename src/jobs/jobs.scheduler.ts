// The stall sweep: every instance runs it; the claim in Postgres makes each stalled job fail exactly once.
import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { SingleFlightInterval } from '../common/single-flight-interval.js';
import { AppConfig } from '../config/app-config.js';
import { JobEventsService } from './job-events.service.js';

const INTERVAL_NAME = 'jobs:stall-sweep';

/** A quarter of the stall time, between 250 ms and 5 s: a stalled job fails within stall + period. */
export function sweepPeriodMs(stallSeconds: number): number {
  return Math.min(5000, Math.max(250, Math.floor((stallSeconds * 1000) / 4)));
}

@Injectable()
export class JobsScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('JobsScheduler');
  private readonly loop = new SingleFlightInterval({
    name: INTERVAL_NAME,
    run: () => this.events.failStalled(this.config.jobs.stallSeconds).then(() => undefined),
    failure: 'Stall sweep failed',
    logger: this.logger,
  });

  constructor(
    private readonly config: AppConfig,
    private readonly events: JobEventsService,
    private readonly scheduler: SchedulerRegistry,
  ) {}

  onApplicationBootstrap(): void {
    this.loop.start(this.scheduler, sweepPeriodMs(this.config.jobs.stallSeconds));
  }

  /** One sweep, unless the previous one is still running. */
  tick(): Promise<void> {
    return this.loop.tick();
  }

  onModuleDestroy(): Promise<void> {
    return this.loop.stop(this.scheduler);
  }
}
