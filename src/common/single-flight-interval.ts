// The loop of every scheduler: a registered interval whose pass never overlaps the previous one, and a stop that
// waits for the pass in flight. What a pass does, and the Postgres claim that makes one instance act, is the caller's.
import type { Logger } from '@nestjs/common';
import type { SchedulerRegistry } from '@nestjs/schedule';

/** While passes keep failing (a dependency down), the failure is logged again at most this often. */
export const REPEATED_FAILURE_LOG_MS = 30_000;

export interface SingleFlightOptions {
  /** The interval's name in the SchedulerRegistry. */
  name: string;
  /**
   * One pass. A failure is logged as `failure` and the next period tries again; while passes keep failing, once
   * every REPEATED_FAILURE_LOG_MS with how many failed (not four lines a second through a database outage), and the
   * first pass that succeeds after them says so.
   */
  run: () => Promise<void>;
  failure: string;
  logger: Logger;
  /** A period is skipped while this answers false (e.g. the socket server is not up to carry events). */
  ready?: () => boolean;
}

export class SingleFlightInterval {
  private running?: Promise<void>;
  private halted = false;
  /** The failures since the last pass that succeeded, and when one was last logged. */
  private failing?: { since: number; count: number; loggedAt: number };

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
      .then(
        () => this.succeeded(),
        (err: unknown) => this.failed(err),
      )
      .finally(() => (this.running = undefined));
    return this.running;
  }

  private failed(err: unknown): void {
    const now = Date.now();
    const { logger, failure } = this.options;
    if (!this.failing) {
      this.failing = { since: now, count: 1, loggedAt: now };
      logger.warn({ err }, failure);
      return;
    }
    this.failing.count += 1;
    if (now - this.failing.loggedAt < REPEATED_FAILURE_LOG_MS) return;
    this.failing.loggedAt = now;
    logger.warn({ err, failedPasses: this.failing.count, failingForMs: now - this.failing.since }, failure);
  }

  private succeeded(): void {
    if (!this.failing) return;
    const { count, since } = this.failing;
    this.failing = undefined;
    this.options.logger.log(
      { failedPasses: count, failingForMs: Date.now() - since },
      `${this.options.name}: passing again`,
    );
  }

  /** No pass starts after this; resolves once the pass in flight, if any, is done. */
  async stop(registry: SchedulerRegistry): Promise<void> {
    this.halted = true;
    if (registry.doesExist('interval', this.options.name)) registry.deleteInterval(this.options.name);
    await this.running;
  }
}
