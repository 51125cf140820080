// The only way services emit. Events of one ordered entity (keyed, with a seq or version) leave in that order
// on this instance even when the transactions that made them finish out of order.
import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { MetricsService } from '../metrics/metrics.service.js';
import type { ServerEventName, ServerEvents } from './client-events.js';
import { RealtimeServer } from './realtime.server.js';

export interface PublishOptions {
  /** Orders events of one entity: `key` names it (e.g. `conversation:{id}`), `seq` grows by one per event. */
  order?: { key: string; seq: number };
  /** Rooms whose sockets must not receive the event (e.g. the typist's own `user:` room). */
  exceptRooms?: string[];
}

interface Pending {
  seq: number;
  emit: () => void;
}

interface OrderState {
  /** The last seq sent; undefined until known (a key first seen with a seq above 1 waits FIRST_WAIT_MS to learn it). */
  last: number | undefined;
  pending: Pending[];
  timer?: NodeJS.Timeout;
  touched: number;
}

/** How long an event waits for a missing predecessor before it is sent anyway. */
const REORDER_WAIT_MS = 250;
/**
 * A key seen for the first time with a seq above 1 (after a start, or after it was forgotten) may have
 * predecessors still on their way out of their transactions: wait this long for them, then start from the lowest.
 */
const FIRST_WAIT_MS = 40;
const IDLE_KEY_MS = 30 * 60_000;

@Injectable()
export class RealtimePublisher implements OnModuleDestroy {
  private readonly logger = new Logger('RealtimePublisher');
  private readonly orders = new Map<string, OrderState>();
  private readonly sweeper = setInterval(() => this.sweep(), IDLE_KEY_MS).unref();

  constructor(
    private readonly realtime: RealtimeServer,
    private readonly metrics: MetricsService,
  ) {}

  publish<E extends ServerEventName>(
    channel: string,
    event: E,
    payload: ServerEvents[E],
    options: PublishOptions = {},
  ): void {
    const emit = (): void => {
      let target = this.realtime.server.to(channel);
      if (options.exceptRooms?.length) target = target.except(options.exceptRooms);
      target.emit(event, payload);
      this.metrics.eventsOut.inc({ event });
    };
    if (!this.realtime.ready) {
      this.logger.warn({ channel, event }, 'Dropped an event published before the socket server started');
      return;
    }
    if (!options.order) emit();
    else this.emitInOrder(options.order.key, options.order.seq, emit);
  }

  /** Disconnects every socket in a room, on every instance (after a revocation). */
  disconnectRoom(room: string): void {
    if (this.realtime.ready) this.realtime.server.in(room).disconnectSockets(true);
  }

  private emitInOrder(key: string, seq: number, emit: () => void): void {
    let state = this.orders.get(key);
    if (!state) {
      // Nothing can come before seq 1; any other first sight waits briefly for earlier seqs.
      state = { last: seq === 1 ? 0 : undefined, pending: [], touched: Date.now() };
      this.orders.set(key, state);
    }
    state.touched = Date.now();
    if (state.last === undefined) {
      if (seq !== 1) {
        this.hold(key, state, seq, emit, FIRST_WAIT_MS);
        return;
      }
      state.last = 0;
    }
    if (seq <= state.last + 1) {
      // The next one (or a late one whose successors already left: send it rather than lose it).
      if (seq > state.last) state.last = seq;
      emit();
      this.drain(state);
      return;
    }
    this.hold(key, state, seq, emit, REORDER_WAIT_MS);
  }

  private hold(key: string, state: OrderState, seq: number, emit: () => void, waitMs: number): void {
    state.pending.push({ seq, emit });
    state.pending.sort((a, b) => a.seq - b.seq);
    state.timer ??= setTimeout(() => this.flushGap(key), waitMs);
  }

  private drain(state: OrderState): void {
    while (state.pending.length > 0 && state.last !== undefined && state.pending[0].seq <= state.last + 1) {
      const next = state.pending.shift()!;
      state.last = Math.max(state.last, next.seq);
      next.emit();
    }
    if (state.pending.length === 0 && state.timer) {
      clearTimeout(state.timer);
      state.timer = undefined;
    }
  }

  /** The predecessor never came (its transaction failed, or it was published elsewhere): skip the gap. */
  private flushGap(key: string): void {
    const state = this.orders.get(key);
    if (!state) return;
    state.timer = undefined;
    if (state.pending.length === 0) return;
    state.last = state.pending[0].seq - 1;
    this.drain(state);
    if (state.pending.length > 0) state.timer = setTimeout(() => this.flushGap(key), REORDER_WAIT_MS);
  }

  private sweep(): void {
    const cutoff = Date.now() - IDLE_KEY_MS;
    for (const [key, state] of this.orders) {
      if (state.touched < cutoff && state.pending.length === 0) this.orders.delete(key);
    }
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
    for (const state of this.orders.values()) {
      if (state.timer) clearTimeout(state.timer);
      for (const pending of state.pending) pending.emit();
    }
    this.orders.clear();
  }
}
