// The loop of every scheduler: a registered interval whose pass never overlaps the previous one, and a stop that
// waits for the pass in flight. What a pass does, and the Postgres claim that makes one instance act, is the caller's.
import type { Logger } from '@nestjs/common';
import type { SchedulerRegistry } from '@nestjs/schedule';

export interface SingleFlightOptions {
  /** The interval's name in the SchedulerRegistry. */
  name: string;
  /** One pass. A failure is logged as `failure` and the next period tries again. */
  run: () => Promise<void>;
  failure: string;
  logger: Logger;
  /** A period is skipped while this answers false (e.g. the socket server is not up to carry events). */
  ready?: () => boolean;
}

export class SingleFlightInterval {
  private running?: Promise<void>;
  private halted = false;

  constructor(private readonly options: SingleFlightOptions) {}

  /** Starts the interval (unref'd: it never keeps the process alive). */
  start(registry: SchedulerRegistry, periodMs: number): void {
    const timer = setInterval(() => void this.tick(), periodMs);
    timer.unref();
    registry.addInterval(this.options.name, timer);
  }

  get stopped(): boolean {
    return this.halted;
  }

  /** One pass, unless the previous one is still running (then its promise) or the loop is stopped or not ready. */
  tick(): Promise<void> {
    if (this.halted || this.running || !(this.options.ready?.() ?? true)) return this.running ?? Promise.resolve();
    this.running = this.options
      .run()
      .catch((err: unknown) => this.options.logger.warn({ err }, this.options.failure))
      .finally(() => (this.running = undefined));
    return this.running;
  }

  /** No pass starts after this; resolves once the pass in flight, if any, is done. */
  async stop(registry: SchedulerRegistry): Promise<void> {
    this.halted = true;
    if (registry.doesExist('interval', this.options.name)) registry.deleteInterval(this.options.name);
    await this.running;
  }
}
