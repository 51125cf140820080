// The one global exception filter: REST errors leave as the error envelope; WS errors answer the event's
// acknowledgement with `{ok: false, error}` and are emitted to the socket as `error`.
import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Response } from 'express';
import type { Socket } from 'socket.io';
import type { Ack, ServerEvents } from '@realtime-hub/protocol';
import { isPostgresDataError, toErrorBody } from './error-body.js';

@Catch()
export class ExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ExceptionsFilter');

  catch(error: unknown, host: ArgumentsHost): void {
    const { body, unexpected, unavailable } = toErrorBody(error);
    if (unavailable) {
      this.logger.warn({ err: (error as Error).message, transport: host.getType() }, 'A dependency is unavailable');
    }
    if (unexpected) {
      body.correlationId = randomUUID();
      this.logger.error(
        { err: error, correlationId: body.correlationId, transport: host.getType() },
        'Unhandled error',
      );
    }
    if (isPostgresDataError(error)) {
      const driver = (error as { driverError?: { code?: string } }).driverError ?? (error as { code?: string });
      this.logger.warn(
        { code: driver.code, message: (error as Error).message, transport: host.getType() },
        'Input reached the database unvalidated',
      );
    }
    if (host.getType() === 'ws') {
      const ws = host.switchToWs();
      const socket = ws.getClient<Socket>();
      const event = ws.getPattern();
      const ack = host.getArgs().find((arg, i) => i > 0 && typeof arg === 'function') as ((a: Ack) => void) | undefined;
      const message = unexpected ? `Internal server error (${body.correlationId})` : body.message;
      const answer: Ack = { ok: false, error: { code: body.code, message } };
      if (!answer.ok && body.details !== undefined) answer.error.details = body.details;
      ack?.(answer);
      socket.emit('error', {
        code: body.code,
        message,
        event: typeof event === 'string' ? event : null,
      } satisfies ServerEvents['error']);
      return;
    }
    if (host.getType() !== 'http') return;
    const response = host.switchToHttp().getResponse<Response>();
    if (response.headersSent) return;
    // Every REST error carries `details`, as the contract's envelope does: the field errors (VALIDATION_FAILED), what
    // the error has to add (e.g. `{currentVersion}`), else an empty object. (A socket's ack error has it only when
    // there is something in it: `details?` in the contract.)
    response.status(body.statusCode).json({ ...body, details: body.details ?? {} });
  }
}
