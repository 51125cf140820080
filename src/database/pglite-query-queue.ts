// The query queue of the embedded engine's socket server, replacing pglite-socket 0.2.17's own. PGlite has one
// session, shared by every pooled connection, and the stock queue keeps one connection's messages together only
// inside a transaction. An extended-protocol exchange (Parse/Bind/Describe/Execute ... Sync) is not a transaction,
// so when a connection's messages arrive in more than one socket read (large parameters, a busy server), another
// connection's Parse or Sync lands in between: "bind message supplies 2 parameters, but prepared statement ""
// requires 1", "portal "" does not exist", or, when the shapes match, another query's rows answered to the wrong
// caller. Upstream: electric-sql/pglite issue #1046 and pull request #977 (open when this was written).
// This queue keeps a connection pinned from its first extended-protocol message to its Sync, and for the length
// of its transaction; and a failed message no longer stalls the queue for good (the stock one stops processing).
import type { PGlite } from '@electric-sql/pglite';

interface Queued {
  handlerId: number;
  message: Uint8Array;
  onData: (data: Uint8Array) => void;
  resolve: (resultSize: number) => void;
  reject: (error: Error) => void;
}

/** Messages of the extended query protocol that leave the exchange open until a Sync. */
const EXTENDED = new Set(['P', 'B', 'D', 'E', 'C', 'H'].map((c) => c.charCodeAt(0)));
const SYNC = 'S'.charCodeAt(0);
const QUERY = 'Q'.charCodeAt(0);
const TERMINATE = 'X'.charCodeAt(0);

/** The part of PGlite this queue uses. */
export type QueueEngine = Pick<PGlite, 'runExclusive' | 'execProtocolRawStream' | 'isInTransaction' | 'exec'>;

export class ProtocolAwareQueryQueue {
  private queue: Queued[] = [];
  private processing = false;
  /** The connection whose exchange or transaction is open: only its messages run until it closes. */
  private pinned: number | null = null;
  /** Connections between an extended-protocol message and their Sync. */
  private readonly openExchanges = new Set<number>();

  constructor(private readonly db: QueueEngine) {}

  enqueue(handlerId: number, message: Uint8Array, onData: (data: Uint8Array) => void): Promise<number> {
    return new Promise((resolve, reject) => {
      this.queue.push({ handlerId, message, onData, resolve, reject });
      void this.processQueue();
    });
  }

  getQueueLength(): number {
    return this.queue.length;
  }

  /** The connection went away: drop its queued messages. */
  clearQueueForHandler(handlerId: number): void {
    this.queue = this.queue.filter((q) => {
      if (q.handlerId !== handlerId) return true;
      q.reject(new Error('Handler disconnected'));
      return false;
    });
  }

  /** The connection went away: roll back what it left open and let the others run. */
  async clearTransactionIfNeeded(handlerId: number): Promise<void> {
    this.openExchanges.delete(handlerId);
    if (this.pinned !== handlerId) return;
    if (this.db.isInTransaction()) await this.db.exec('ROLLBACK');
    this.pinned = null;
    await this.processQueue();
  }

  private next(): Queued | undefined {
    if (this.pinned === null) return this.queue.shift();
    const i = this.queue.findIndex((q) => q.handlerId === this.pinned);
    // The pinned connection has not sent its next message yet: wait for it (enqueue resumes processing).
    return i === -1 ? undefined : this.queue.splice(i, 1)[0];
  }

  private async processQueue(): Promise<void> {
    if (this.processing) return;
    this.processing = true;
    try {
      for (let query = this.next(); query; query = this.next()) {
        let size = 0;
        try {
          await this.db.runExclusive(() =>
            this.db.execProtocolRawStream(query.message, {
              onRawData: (data) => {
                size += data.length;
                query.onData(data);
              },
            }),
          );
        } catch (error) {
          query.reject(error instanceof Error ? error : new Error(String(error)));
          this.release(query);
          continue;
        }
        this.release(query);
        query.resolve(size);
      }
    } finally {
      this.processing = false;
    }
  }

  /** After a message ran: keep its connection pinned while its exchange or transaction is open. */
  private release(query: Queued): void {
    const type = query.message[0];
    if (EXTENDED.has(type)) this.openExchanges.add(query.handlerId);
    else if (type === SYNC || type === QUERY || type === TERMINATE) this.openExchanges.delete(query.handlerId);
    const open = this.openExchanges.has(query.handlerId) || this.db.isInTransaction();
    this.pinned = open ? query.handlerId : null;
  }
}
