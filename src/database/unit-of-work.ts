// One transaction and the events it makes: work runs in a transaction and queues what to publish; the queue runs,
// in order, once the transaction has committed, and is dropped when it rolls back. So no event announces a write
// that did not happen, and no caller hands a publish() callback back to its own caller.
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';

/** A transaction in progress: its manager (use it for every query inside), and the after-commit queue. */
export interface Transaction {
  readonly manager: EntityManager;
  /**
   * Runs `effect` after the commit (events, cache notices), never after a rollback. Effects run in the order they
   * were queued; one that answers a promise (an eviction the next effect depends on) is awaited before the next,
   * and `run` answers once every effect has run.
   */
  afterCommit(effect: (() => void) | (() => Promise<void>)): void;
}

@Injectable()
export class UnitOfWork {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async run<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    const effects: Array<(() => void) | (() => Promise<void>)> = [];
    const result = await this.dataSource.transaction((manager) =>
      work({ manager, afterCommit: (effect) => effects.push(effect) }),
    );
    for (const effect of effects) {
      // Synchronous effects (most: publishing) run back to back, with no turn of the event loop between them.
      const pending = effect();
      if (pending instanceof Promise) await pending;
    }
    return result;
  }
}
