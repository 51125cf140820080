// Puts the events of each ordered stream back in seq order before they reach this instance's sockets. It sits
// where every copy of an event arrives (the one published here and the ones other instances published), so a
// gap closes the moment its event passes by; only an event that never comes (its instance died between commit
// and publish) makes its successors wait, each at most once for its own deadline.

/** How long an event waits for a missing predecessor before it goes out anyway. */
export const REORDER_WAIT_MS = 250;
/**
 * A stream first seen here with a seq above 1 (after a start, or after its room emptied here) may have
 * predecessors still on their way from another instance: wait this long for them, then start from the lowest. 40 ms
 * was too short for the Redis hop on a loaded two-core machine (CI saw seq 1 arrive after seq 2).
 */
export const FIRST_WAIT_MS = 100;
/** A stream with nothing held and no event for this long is forgotten (it starts again as first seen). */
export const IDLE_STREAM_MS = 30 * 60_000;

/** Names an ordered stream (e.g. `conversation:{id}`) and the event's place in it. */
export interface StreamOrder {
  key: string;
  seq: number;
}

interface Held {
  seq: number;
  arrived: number;
  due: number;
  deliver: () => void;
}

interface Stream {
  /** The highest seq delivered; undefined until known. */
  last: number | undefined;
  /** Sorted by seq. */
  held: Held[];
  timer?: NodeJS.Timeout;
  touched: number;
}

export interface ReorderBufferOptions {
  waitMs?: number;
  firstWaitMs?: number;
  idleMs?: number;
  /** Told when events went out past a gap that never filled: `missing` seqs were skipped. */
  onGap?: (missing: number) => void;
  /** Told when an event that had to wait goes out: how long it was held (ms). */
  onHeld?: (ms: number) => void;
}

export class ReorderBuffer {
  /** room → stream key → state: a room's streams are dropped together when its last local socket leaves. */
  private readonly rooms = new Map<string, Map<string, Stream>>();
  private readonly waitMs: number;
  private readonly firstWaitMs: number;
  private readonly idleMs: number;
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly options: ReorderBufferOptions = {}) {
    this.waitMs = options.waitMs ?? REORDER_WAIT_MS;
    this.firstWaitMs = options.firstWaitMs ?? FIRST_WAIT_MS;
    this.idleMs = options.idleMs ?? IDLE_STREAM_MS;
    this.sweeper = setInterval(() => this.sweep(), this.idleMs).unref();
  }

  /** Delivers now if `seq` is the stream's next (or late: its successors already left); else holds it. */
  offer(room: string, key: string, seq: number, deliver: () => void): void {
    let streams = this.rooms.get(room);
    if (!streams) {
      streams = new Map();
      this.rooms.set(room, streams);
    }
    const now = Date.now();
    let stream = streams.get(key);
    if (!stream) {
      // Nothing comes before seq 1; any other first sight waits briefly for earlier seqs.
      stream = { last: undefined, held: [], touched: now };
      streams.set(key, stream);
    }
    stream.touched = now;
    if (seq === 1 && stream.last === undefined) stream.last = 0;
    if (stream.last !== undefined && seq <= stream.last + 1) {
      if (seq > stream.last) stream.last = seq;
      deliver();
      this.drain(stream);
      return;
    }
    const due = now + (stream.last === undefined ? this.firstWaitMs : this.waitMs);
    const held: Held = { seq, arrived: now, due, deliver };
    let at = stream.held.length;
    while (at > 0 && stream.held[at - 1].seq > seq) at -= 1;
    stream.held.splice(at, 0, held);
    this.schedule(stream);
  }

  /**
   * The stream goes on from `seq` (the snapshot of the room's only socket here holds it up to there) unless it is
   * known already: its next seq is delivered at once rather than held while earlier seqs, which nobody here needs,
   * could still come.
   */
  startAt(room: string, key: string, seq: number): void {
    let streams = this.rooms.get(room);
    if (!streams) this.rooms.set(room, (streams = new Map()));
    if (!streams.has(key)) streams.set(key, { last: seq, held: [], touched: Date.now() });
  }

  /** The room has no socket here any more: what it held has nobody to reach, and its positions go stale. */
  forgetRoom(room: string): void {
    const streams = this.rooms.get(room);
    if (!streams) return;
    for (const stream of streams.values()) if (stream.timer) clearTimeout(stream.timer);
    this.rooms.delete(room);
  }

  /** Sends everything still held, in order (shutdown). */
  close(): void {
    clearInterval(this.sweeper);
    for (const streams of this.rooms.values()) {
      for (const stream of streams.values()) {
        if (stream.timer) clearTimeout(stream.timer);
        for (const held of stream.held) held.deliver();
      }
    }
    this.rooms.clear();
  }

  /** Events held in all streams (for tests and metrics). */
  get heldCount(): number {
    let count = 0;
    for (const streams of this.rooms.values()) for (const stream of streams.values()) count += stream.held.length;
    return count;
  }

  private drain(stream: Stream): void {
    while (stream.held.length > 0 && stream.last !== undefined && stream.held[0].seq <= stream.last + 1) {
      const next = stream.held.shift()!;
      stream.last = Math.max(stream.last, next.seq);
      this.release(next);
    }
    this.schedule(stream);
  }

  private release(held: Held): void {
    this.options.onHeld?.(Date.now() - held.arrived);
    held.deliver();
  }

  /** One timer per stream, for the earliest deadline among what it holds. */
  private schedule(stream: Stream): void {
    if (stream.timer) {
      clearTimeout(stream.timer);
      stream.timer = undefined;
    }
    if (stream.held.length === 0) return;
    let due = Infinity;
    for (const held of stream.held) due = Math.min(due, held.due);
    // The deadline is acted on one turn of the event loop later. When the loop stalled past it (a long task, a
    // loaded machine), the missing event may already be waiting to be read, and each turn runs its timers before
    // it reads the network: the gap would be skipped, then its event delivered out of order right after.
    stream.timer = setTimeout(() => setImmediate(() => this.expire(stream)), Math.max(0, due - Date.now()));
  }

  /** Every event whose deadline passed goes out, with everything below it, skipping the gaps before it. */
  private expire(stream: Stream): void {
    stream.timer = undefined;
    const now = Date.now();
    let upTo = -1;
    for (const held of stream.held) if (held.due <= now) upTo = Math.max(upTo, held.seq);
    if (upTo < 0) {
      this.schedule(stream);
      return;
    }
    let missing = 0;
    let expected = stream.last === undefined ? undefined : stream.last + 1;
    while (stream.held.length > 0 && stream.held[0].seq <= upTo) {
      const next = stream.held.shift()!;
      if (expected !== undefined && next.seq > expected) missing += next.seq - expected;
      expected = Math.max(expected ?? 0, next.seq + 1);
      stream.last = Math.max(stream.last ?? 0, next.seq);
      this.release(next);
    }
    if (missing > 0) this.options.onGap?.(missing);
    this.drain(stream);
  }

  private sweep(): void {
    const cutoff = Date.now() - this.idleMs;
    for (const [room, streams] of this.rooms) {
      for (const [key, stream] of streams) {
        if (stream.touched < cutoff && stream.held.length === 0) streams.delete(key);
      }
      if (streams.size === 0) this.rooms.delete(room);
    }
  }
}
