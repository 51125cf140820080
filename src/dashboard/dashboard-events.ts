// The dashboard's inbox: modules whose writes move a count (kiosk sessions and workstations) call `changed()`
// after their commit. Synchronous and database-free; the dashboard coalesces what it hears.
import { Injectable } from '@nestjs/common';

@Injectable()
export class DashboardEvents {
  private readonly listeners: Array<() => void> = [];

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Something that the Stats count has changed (call after the transaction committed). */
  changed(): void {
    for (const listener of this.listeners) listener();
  }
}
