// Runs before every client event on a socket: counts it, applies the rate limit, refuses unknown events, and
// times the acknowledgement.
import type { Event, Socket } from 'socket.io';
import { ErrorCode } from '../common/error-codes.js';
import type { MetricsService } from '../metrics/metrics.service.js';
import type { Ack, ServerEvents } from './client-events.js';
import { hasEventHandler } from './redis-io.adapter.js';
import { SocketRateLimiter } from './socket-rate-limiter.js';

export function refuse(socket: Socket, event: string, ack: unknown, code: ErrorCode, message: string): void {
  if (typeof ack === 'function') (ack as (a: Ack) => void)({ ok: false, error: { code, message } });
  socket.emit('error', { code, message, event } satisfies ServerEvents['error']);
}

export function installPacketMiddleware(socket: Socket, metrics: MetricsService, rate: number, burst: number): void {
  const limiter = new SocketRateLimiter(rate, burst);
  socket.use((packet: Event, next: (err?: Error) => void) => {
    const event = typeof packet[0] === 'string' ? packet[0] : '';
    const last = packet.length - 1;
    const ack: unknown = last > 0 ? packet[last] : undefined;
    const known = hasEventHandler(socket, event);
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
    next();
  });
}
