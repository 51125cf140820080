// Requests and socket events being handled right now, so that a shutdown lets them finish before it closes anything.
import { Injectable } from '@nestjs/common';

@Injectable()
export class InFlight {
  private count = 0;
  private waiters: Array<() => void> = [];
  /** Set once the instance is shutting down: new socket events are refused, HTTP connections are not kept alive. */
  draining = false;

  enter(): void {
    this.count += 1;
  }

  leave(): void {
    this.count -= 1;
    if (this.count <= 0) {
      this.count = 0;
      for (const wake of this.waiters.splice(0)) wake();
    }
  }

  get size(): number {
    return this.count;
  }

  /** Resolves true once nothing is in flight, or false after `timeoutMs`. */
  idle(timeoutMs: number): Promise<boolean> {
    if (this.count === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== wake);
        resolve(false);
      }, timeoutMs);
      const wake = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      this.waiters.push(wake);
    });
  }
}
