// The stall sweep: every instance runs it; the claim in Postgres makes each stalled job fail exactly once.
import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
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
  private running?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly config: AppConfig,
    private readonly events: JobEventsService,
    private readonly scheduler: SchedulerRegistry,
  ) {}

  onApplicationBootstrap(): void {
    const timer = setInterval(() => void this.tick(), sweepPeriodMs(this.config.jobs.stallSeconds));
    timer.unref();
    this.scheduler.addInterval(INTERVAL_NAME, timer);
  }

  /** One sweep, unless the previous one is still running. */
  tick(): Promise<void> {
    if (this.stopped || this.running) return this.running ?? Promise.resolve();
    this.running = this.events
      .failStalled(this.config.jobs.stallSeconds)
      .then(
        () => undefined,
        (err: unknown) => this.logger.warn({ err }, 'Stall sweep failed'),
      )
      .finally(() => (this.running = undefined));
    return this.running;
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.scheduler.doesExist('interval', INTERVAL_NAME)) this.scheduler.deleteInterval(INTERVAL_NAME);
    await this.running;
  }
}
