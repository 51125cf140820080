import { ErrorCode } from './error-codes.js';

export interface FieldError {
  field: string;
  errors: string[];
}

/** An error the client may see: a contract code, a message, and optional details. Transport-agnostic. */
export class DomainException extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'DomainException';
  }

  static validation(message: string, details: FieldError[] = []): DomainException {
    return new DomainException(ErrorCode.VALIDATION_FAILED, message, details);
  }
  static notFound(what: string): DomainException {
    return new DomainException(ErrorCode.NOT_FOUND, `${what} not found`);
  }
  static forbidden(message = 'Not allowed'): DomainException {
    return new DomainException(ErrorCode.FORBIDDEN, message);
  }
  static conflict(message: string, details?: unknown): DomainException {
    return new DomainException(ErrorCode.CONFLICT, message, details);
  }
  static limitExceeded(message: string, details: { limit: number }): DomainException {
    return new DomainException(ErrorCode.LIMIT_EXCEEDED, message, details);
  }
  static unauthorized(message = 'Authentication failed'): DomainException {
    return new DomainException(ErrorCode.UNAUTHORIZED, message);
  }
}
