// Gapless delivery of a stream numbered by `seq` (a user's notifications, a conversation's messages, a job's
// events): live items arrive over the socket, possibly out of order or not at all while disconnected; the gap is
// fetched over REST (`afterSeq`) and every item is delivered once, in seq order.

export interface SeqItem {
  seq: number;
}

export interface SeqSource<T extends SeqItem> {
  /** Items after `afterSeq`, ascending, at most `limit`. */
  fetchAfter(afterSeq: number, limit: number): Promise<T[]>;
  /** The seq of the newest item now (0 when there is none): the start of a stream that begins "from now". */
  latestSeq(): Promise<number>;
}

export interface SeqStreamOptions {
  /**
   * Deliver items after this seq; undefined: "from now", the items newer than the newest when the stream starts
   * (`start()`, called as it is subscribed), and any item that arrives live before that start is known.
   */
  afterSeq?: number;
  /** How long an out-of-order item waits for its predecessor to arrive live before the gap is fetched. */
  gapWaitMs?: number;
  /** Page size of REST catch-up. */
  pageSize?: number;
  /** Retry delay of a failed catch-up; it doubles with each failure in a row, up to 30 s. */
  retryMs?: number;
  /** How many catch-ups a hole that REST does not fill survives before it is skipped. */
  holePatience?: number;
}

const PAGE = 100;
const MAX_RETRY_MS = 30_000;

export class SeqSequencer<T extends SeqItem> {
  #last: number | undefined;
  readonly #pending = new Map<number, T>();
  /** The read under way (#fill), which a read asked meanwhile answers with. */
  #filling: Promise<{ error: unknown } | undefined> | undefined;
  #again = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #holeRounds = 0;
  #stopped = false;
  /** Failed reads in a row (the retry delay doubles with each). */
  #failures = 0;
  readonly #source: SeqSource<T>;
  readonly #deliver: (item: T) => void;
  readonly #options: SeqStreamOptions;
  readonly #onError: (error: unknown) => void;
  /** False while its client is closed: nothing is fetched or retried then (a later resubscription catches up). */
  readonly #isActive: () => boolean;

  constructor(
    source: SeqSource<T>,
    deliver: (item: T) => void,
    options: SeqStreamOptions = {},
    onError: (error: unknown) => void = () => undefined,
    isActive: () => boolean = () => true,
  ) {
    this.#source = source;
    this.#deliver = deliver;
    this.#options = options;
    this.#onError = onError;
    this.#isActive = isActive;
    this.#last = options.afterSeq;
  }

  /** The seq of the last item delivered (undefined before the start position is known). */
  get lastSeq(): number | undefined {
    return this.#last;
  }

  /** A live item. */
  push(item: T): void {
    if (this.#stopped) return;
    if (this.#last !== undefined && item.seq <= this.#last) return;
    if (this.#last !== undefined && item.seq === this.#last + 1) {
      this.#emit(item);
      this.#drain();
      return;
    }
    this.#pending.set(item.seq, item);
    this.#schedule(this.#options.gapWaitMs ?? 100);
  }

  /**
   * Reads the start position of a stream that begins "from now", without fetching anything after it: called when the
   * stream is subscribed, so an item committed after the call is delivered even if the socket's subscription is only
   * acknowledged after it (the catch-up that follows the acknowledgement fetches it).
   */
  async start(): Promise<void> {
    await this.#fill(true);
  }

  /** Fetches whatever is missing now (after a (re)subscribe, on a poll tick, or to find the start position). */
  async catchUp(): Promise<void> {
    await this.#fill();
  }

  /**
   * A catch-up that rejects with what failed (after reporting it and scheduling its retry), for the HTTP fallback's
   * poll: a refused token or an unreachable server must reach the connection state, not only `onError`.
   */
  async poll(): Promise<void> {
    const failure = await this.#fill();
    if (failure) throw failure.error;
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pending.clear();
  }

  #emit(item: T): void {
    this.#last = item.seq;
    this.#deliver(item);
  }

  #drain(): void {
    if (this.#last === undefined) return;
    for (const seq of [...this.#pending.keys()]) if (seq <= this.#last) this.#pending.delete(seq);
    let next = this.#pending.get(this.#last + 1);
    while (next) {
      this.#pending.delete(next.seq);
      this.#emit(next);
      next = this.#pending.get(this.#last + 1);
    }
    if (this.#pending.size === 0) this.#holeRounds = 0;
  }

  #schedule(ms: number): void {
    if (this.#timer || this.#stopped || !this.#isActive()) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#fill();
    }, ms);
    // Unreferenced: close() does not reach it (a closed client's fill does nothing), and in Node a retry of up to 30 s
    // must not keep a process alive after close(); while the client is open its socket or poll timer does that.
    (this.#timer as { unref?(): void }).unref?.();
  }

  /**
   * Reads what is missing; never rejects: a failure is reported, retried later, and answered as `{error}`. Asked while
   * a read is under way, it asks that read for another round (unless it only wants the position) and answers with its
   * outcome: a poll that meets a stream's own retry in flight waits for it rather than counting it as an answer.
   */
  async #fill(positionOnly = false): Promise<{ error: unknown } | undefined> {
    if (this.#stopped || !this.#isActive()) return undefined;
    if (this.#filling) {
      if (!positionOnly) this.#again = true;
      return this.#filling;
    }
    let settle!: (outcome?: { error: unknown }) => void;
    let outcome: { error: unknown } | undefined;
    this.#filling = new Promise((resolve) => (settle = resolve));
    try {
      do {
        this.#again = false;
        if (this.#last === undefined) {
          const latest = await this.#source.latestSeq();
          // An item that came live meanwhile came on the subscription, so it is news even when the newest-item read
          // already counts it (its transaction committed between the subscription and the read): start before it.
          this.#last = this.#pending.size > 0 ? Math.min(latest, Math.min(...this.#pending.keys()) - 1) : latest;
          this.#drain();
        }
        if (positionOnly) {
          positionOnly = false;
          // Nothing more, unless a catch-up was asked for while the position was read.
          if (!this.#again) break;
          this.#again = false;
        }
        const size = this.#options.pageSize ?? PAGE;
        for (;;) {
          const items = await this.#source.fetchAfter(this.#last, size);
          if (this.#stopped) return;
          for (const item of items) {
            // REST is the record: an item it lists after `last` is the next one, even across a hole.
            if (item.seq > this.#last) this.#emit(item);
          }
          this.#drain();
          if (items.length < size) break;
        }
        if (this.#pending.size > 0) {
          // Live items above a gap REST did not fill yet: their predecessors' transactions may still be committing.
          this.#holeRounds += 1;
          if (this.#holeRounds > (this.#options.holePatience ?? 3)) {
            this.#last = Math.min(...this.#pending.keys()) - 1;
            this.#drain();
          } else {
            this.#schedule(this.#options.gapWaitMs ?? 100);
          }
        }
      } while (this.#again && !this.#stopped);
      this.#failures = 0;
    } catch (error) {
      this.#onError(error);
      this.#failures += 1;
      this.#schedule(Math.min(MAX_RETRY_MS, (this.#options.retryMs ?? 1000) * 2 ** (this.#failures - 1)));
      outcome = { error };
    } finally {
      this.#filling = undefined;
      settle(outcome);
    }
    return outcome;
  }
}
