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
  last: number;
  pending: Pending[];
  timer?: NodeJS.Timeout;
  touched: number;
}

/** How long an event waits for a missing predecessor before it is sent anyway. */
const REORDER_WAIT_MS = 250;
const IDLE_KEY_MS = 5 * 60_000;

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
    const state = this.orders.get(key);
    if (!state) {
      this.orders.set(key, { last: seq, pending: [], touched: Date.now() });
      emit();
      return;
    }
    state.touched = Date.now();
    if (seq <= state.last + 1) {
      // The next one (or a late one whose successors already left: send it rather than lose it).
      if (seq > state.last) state.last = seq;
      emit();
      this.drain(key, state);
      return;
    }
    state.pending.push({ seq, emit });
    state.pending.sort((a, b) => a.seq - b.seq);
    state.timer ??= setTimeout(() => this.flushGap(key), REORDER_WAIT_MS);
  }

  private drain(key: string, state: OrderState): void {
    while (state.pending.length > 0 && state.pending[0].seq <= state.last + 1) {
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
    this.drain(key, state);
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
