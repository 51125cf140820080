import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { map, type Observable } from 'rxjs';
import type { Ack } from './client-events.js';

/** Wraps what a WS handler returns in the contract's `{ok: true, data}` acknowledgement. */
@Injectable()
export class WsAckInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(map((data: unknown): Ack => ({ ok: true, data: data ?? {} })));
  }
}
