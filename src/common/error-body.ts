// Maps anything thrown to the contract's error envelope; unknown errors become INTERNAL.
import { HttpException } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { DomainException } from './domain.exception.js';
import { codeForStatus, ErrorCode, HTTP_STATUS_BY_CODE } from './error-codes.js';
import { isDependencyUnavailable } from './unavailable.js';

export interface ErrorBody {
  statusCode: number;
  code: ErrorCode;
  message: string;
  details?: unknown;
  correlationId?: string;
}

/**
 * Postgres's class 22 ("data exception": invalid text representation, a bad cast, a value out of range, U+0000 in
 * text) means the input was wrong, not the server: answered 400 as a net under the validation that should have
 * caught it, and logged at warn so that the gap gets closed.
 */
export function isPostgresDataError(error: unknown): boolean {
  const candidate = (error instanceof QueryFailedError ? error.driverError : error) as {
    code?: unknown;
    severity?: unknown;
  } | null;
  return (
    (error instanceof QueryFailedError || typeof candidate?.severity === 'string') &&
    typeof candidate?.code === 'string' &&
    /^22[0-9A-Z]{3}$/.test(candidate.code)
  );
}

/**
 * The status to answer `code` with: the contract's, for a client error whose status the contract has no code for
 * (415 for an unsupported charset or content encoding, 405...: VALIDATION_FAILED, so 400); a server error keeps its own.
 */
function statusOf(code: ErrorCode, status: number): number {
  return status >= 500 ? status : HTTP_STATUS_BY_CODE[code];
}

/** Maps any thrown value to the envelope; pure so that tests and the WS filter share the rules. */
export function toErrorBody(error: unknown): { body: ErrorBody; unexpected: boolean; unavailable?: boolean } {
  // Nest's body parser wraps body-parser's errors: answered as those raised by the parser before it (json-body.ts).
  if (error instanceof HttpException && isBodyParserError(error.cause)) error = error.cause;
  if (error instanceof DomainException) {
    const statusCode = HTTP_STATUS_BY_CODE[error.code];
    const body: ErrorBody = { statusCode, code: error.code, message: error.message };
    if (error.details !== undefined) body.details = error.details;
    else if (error.code === ErrorCode.VALIDATION_FAILED) body.details = [];
    return { body, unexpected: false };
  }
  if (isPostgresDataError(error)) {
    return {
      body: {
        statusCode: 400,
        code: ErrorCode.VALIDATION_FAILED,
        message: 'A value is not valid for its field',
        details: [],
      },
      unexpected: false,
    };
  }
  if (error instanceof HttpException) {
    const response = error.getResponse();
    const raw = typeof response === 'string' ? response : (response as { message?: unknown }).message;
    const message = Array.isArray(raw) ? raw.join('; ') : typeof raw === 'string' ? raw : error.message;
    const code = codeForStatus(error.getStatus());
    const statusCode = statusOf(code, error.getStatus());
    return {
      body: { statusCode, code, message, ...(code === ErrorCode.VALIDATION_FAILED ? { details: [] } : {}) },
      unexpected: statusCode >= 500,
    };
  }
  if (isBodyParserError(error)) {
    const candidate = error;
    const message =
      candidate.type === 'entity.too.large'
        ? 'Request body too large'
        : candidate.type === 'entity.parse.failed'
          ? 'Malformed JSON body'
          : candidate.type === 'charset.unsupported'
            ? 'Unsupported charset: send UTF-8'
            : candidate.type === 'encoding.unsupported'
              ? 'Unsupported content encoding'
              : 'Bad request';
    const code = codeForStatus(candidate.status);
    const statusCode = statusOf(code, candidate.status);
    const body: ErrorBody = { statusCode, code, message };
    if (code === ErrorCode.VALIDATION_FAILED) body.details = [];
    // A body over the REST limit, as a resource's data over its own: the limit and the body's size.
    if (candidate.type === 'entity.too.large') body.details = tooLargeDetails(candidate);
    return { body, unexpected: false };
  }
  if (isDependencyUnavailable(error)) {
    return {
      body: {
        statusCode: 503,
        code: ErrorCode.SERVICE_UNAVAILABLE,
        message: 'A service this request needs is unavailable',
      },
      unexpected: false,
      unavailable: true,
    };
  }
  return { body: { statusCode: 500, code: ErrorCode.INTERNAL, message: 'Internal server error' }, unexpected: true };
}

/** An error of body-parser (or raised like one, json-body.ts): a client error's status and a type. */
interface BodyParserError {
  status: number;
  type?: unknown;
  limit?: unknown;
  length?: unknown;
  received?: unknown;
}

function isBodyParserError(error: unknown): error is BodyParserError {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' && status >= 400 && status < 500;
}

/** The limit, and the body's size: its Content-Length, or what was read of a chunked body before it passed the limit. */
function tooLargeDetails(error: { limit?: unknown; length?: unknown; received?: unknown }): Record<string, number> {
  const details: Record<string, number> = {};
  if (typeof error.limit === 'number') details.maxBytes = error.limit;
  const size = typeof error.length === 'number' ? error.length : error.received;
  if (typeof size === 'number') details.bytes = size;
  return details;
}
