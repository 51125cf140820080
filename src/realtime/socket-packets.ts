// Every client event on a socket passes here: counted, rate-limited, refused when no gateway handles it, its
// acknowledgement timed, then handed to its handler (socket-gateways.ts).
import type { Event, Socket } from 'socket.io';
import { ErrorCode } from '../common/error-codes.js';
import type { MetricsService } from '../metrics/metrics.service.js';
import type { Ack, ServerEvents } from './client-events.js';
import { SocketRateLimiter } from './socket-rate-limiter.js';

/**
 * Refuses a client event before any handler runs (rate limit, unknown event, draining): answers its acknowledgement,
 * if it has one, and emits `error` {code, message, event} to the socket, as the exception filter does for a failure.
 */
export function refuse(socket: Socket, event: string, ack: unknown, code: ErrorCode, message: string): void {
  if (typeof ack === 'function') (ack as (a: Ack) => void)({ ok: false, error: { code, message } });
  socket.emit('error', { code, message, event } satisfies ServerEvents['error']);
}

/** Where a socket's events go: SocketGateways. */
export interface EventDispatch {
  handles(event: string): boolean;
  dispatch(socket: Socket, packet: Event): void;
}

export function installPacketMiddleware(
  socket: Socket,
  events: EventDispatch,
  metrics: MetricsService,
  rate: number,
  burst: number,
): void {
  const limiter = new SocketRateLimiter(rate, burst);
  // The only middleware of the socket: it dispatches the event itself (no `next`), so the socket's emitter keeps no
  // listener per event.
  socket.use((packet: Event) => {
    const event = typeof packet[0] === 'string' ? packet[0] : '';
    const last = packet.length - 1;
    const ack: unknown = last > 0 ? packet[last] : undefined;
    const known = events.handles(event);
    metrics.eventsIn.inc({ event: known ? event : 'unknown' });
    const decision = limiter.take();
    if (decision !== 'allow') {
      refuse(socket, event, ack, ErrorCode.RATE_LIMITED, 'Too many events');
      if (decision === 'disconnect') socket.disconnect(true);
      return;
    }
    if (!known) {
      refuse(socket, event, ack, ErrorCode.VALIDATION_FAILED, `Unknown event: ${event.slice(0, 64)}`);
      return;
    }
    if (typeof ack === 'function') {
      const end = metrics.ackLatency.startTimer({ event });
      packet[last] = (answer: Ack) => {
        end({ ok: String(answer?.ok === true) });
        (ack as (a: Ack) => void)(answer);
      };
    }
    events.dispatch(socket, packet);
  });
}
