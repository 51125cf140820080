// Group commit: concurrent writes for one key (a job's events; a shard of conversations' messages) queue here and are
// written together, one transaction per batch, in arrival order. While a batch is being written the next requests
// gather; when it commits they form the next batch. So a busy key costs one transaction per round trip instead of
// one per write.
import { Logger } from '@nestjs/common';
import { isPostgresDataError } from '../common/error-body.js';

/** What became of one item of a batch: its result, or the error its request should get. */
export type Outcome<R> = { ok: true; value: R } | { ok: false; error: Error };

/**
 * Writes a batch for a key; answers one outcome per item, in order. Throwing fails the whole batch, unless the queue's
 * `writeAloneWhen` says the failure may be one item's (see `outcomesOf`).
 */
export type BatchWriter<T, R> = (key: string, items: T[]) => Promise<Outcome<R>[]>;

export interface GroupCommitOptions<T> {
  /** Largest batch; a longer queue is written in several consecutive batches. */
  maxBatch?: number;
  /** Size limit of a batch, as the sum of `weigh(item)` (a batch always takes at least one item). */
  limit?: { maxWeight: number; weigh: (item: T) => number };
  /**
   * Whether a batch that failed as a whole (its transaction wrote nothing) is written again item by item, so that only
   * the items at fault fail. Default: when Postgres refused a value (a data exception, one item's data).
   */
  writeAloneWhen?: (error: Error) => boolean;
}

interface Entry<T, R> {
  item: T;
  resolve: (value: R) => void;
  reject: (error: Error) => void;
}

interface KeyQueue<T, R> {
  waiting: Entry<T, R>[];
  done: Promise<void>;
}

export class GroupCommitQueue<T, R> {
  private readonly logger = new Logger('GroupCommitQueue');
  private readonly queues = new Map<string, KeyQueue<T, R>>();

  private readonly maxBatch: number;
  private readonly limit: { maxWeight: number; weigh: (item: T) => number };
  private readonly writeAloneWhen: (error: Error) => boolean;

  constructor(
    private readonly write: BatchWriter<T, R>,
    options: GroupCommitOptions<T> = {},
  ) {
    this.maxBatch = options.maxBatch ?? 500;
    this.limit = options.limit ?? { maxWeight: Number.POSITIVE_INFINITY, weigh: () => 0 };
    this.writeAloneWhen = options.writeAloneWhen ?? isPostgresDataError;
  }

  /** Queues `item` for `key`; resolves with its result once its batch committed. */
  submit(key: string, item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const queue = this.queues.get(key);
      if (queue) {
        queue.waiting.push({ item, resolve, reject });
        return;
      }
      const created: KeyQueue<T, R> = { waiting: [{ item, resolve, reject }], done: Promise.resolve() };
      this.queues.set(key, created);
      // A microtask later, so that items submitted in the same tick share the first batch.
      created.done = Promise.resolve().then(() => this.drain(key, created));
    });
  }

  /** Items queued or being written, over every key. */
  get pending(): number {
    let count = 0;
    for (const queue of this.queues.values()) count += queue.waiting.length;
    return count;
  }

  /** Resolves when everything submitted so far has been written (for shutdown). */
  async flush(): Promise<void> {
    while (this.queues.size > 0) await Promise.all([...this.queues.values()].map((q) => q.done));
  }

  private nextBatch(waiting: Entry<T, R>[]): Entry<T, R>[] {
    let weight = 0;
    let size = 0;
    while (size < waiting.length && size < this.maxBatch) {
      weight += this.limit.weigh(waiting[size].item);
      if (size > 0 && weight > this.limit.maxWeight) break;
      size += 1;
    }
    return waiting.slice(0, size);
  }

  private async drain(key: string, queue: KeyQueue<T, R>): Promise<void> {
    while (queue.waiting.length > 0) {
      const batch = this.nextBatch(queue.waiting);
      const outcomes = await this.outcomesOf(
        key,
        batch.map((e) => e.item),
      );
      // Taken off the queue only now, so that `pending` counts the batch in flight.
      queue.waiting.splice(0, batch.length);
      batch.forEach((entry, i) => {
        const outcome = outcomes[i];
        if (outcome.ok) entry.resolve(outcome.value);
        else entry.reject(outcome.error);
      });
    }
    this.queues.delete(key);
  }

  /**
   * One outcome per item. A batch whose write failed as a whole fails each of its items with that error, unless
   * `writeAloneWhen` says the failure may be one item's: then each item is written alone, in order, so that only the
   * items at fault fail.
   */
  private async outcomesOf(key: string, items: T[]): Promise<Outcome<R>[]> {
    try {
      const outcomes = await this.write(key, items);
      if (outcomes.length !== items.length) {
        throw new Error(`The writer answered ${outcomes.length} outcomes for ${items.length} items`);
      }
      return outcomes;
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      if (items.length > 1 && this.writeAloneWhen(error)) {
        this.logger.debug({ err, key, size: items.length }, 'A batch failed: writing its items one by one');
        const outcomes: Outcome<R>[] = [];
        for (const item of items) outcomes.push(...(await this.outcomesOf(key, [item])));
        return outcomes;
      }
      if (items.length > 1) this.logger.error({ err, key, size: items.length }, 'A batch failed');
      return items.map(() => ({ ok: false, error }));
    }
  }
}
