// The contract's error codes (REST `code`, ack `error.code`, `error` event) and the REST status of each.

export const ErrorCodes = {
  VALIDATION_FAILED: 'VALIDATION_FAILED',
  UNAUTHORIZED: 'UNAUTHORIZED',
  TOKEN_EXPIRED: 'TOKEN_EXPIRED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  VERSION_CONFLICT: 'VERSION_CONFLICT',
  INVALID_TRANSITION: 'INVALID_TRANSITION',
  LIMIT_EXCEEDED: 'LIMIT_EXCEEDED',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  RATE_LIMITED: 'RATE_LIMITED',
  INTERNAL: 'INTERNAL',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  INVALID_CODE: 'INVALID_CODE',
  UNKNOWN_CHANNEL: 'UNKNOWN_CHANNEL',
} as const;

export type ErrorCodeName = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** The REST status of each code; `null` for codes that only travel over the socket. */
export const ERROR_STATUS: Record<ErrorCodeName, number | null> = {
  VALIDATION_FAILED: 400,
  UNAUTHORIZED: 401,
  TOKEN_EXPIRED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  VERSION_CONFLICT: 409,
  INVALID_TRANSITION: 409,
  LIMIT_EXCEEDED: 409,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  SERVICE_UNAVAILABLE: 503,
  INVALID_CODE: null,
  UNKNOWN_CHANNEL: null,
};

/** `connect_error` messages of the handshake. */
export const ConnectErrors = {
  AUTH_REQUIRED: 'Authentication required',
  AUTH_FAILED: 'Authentication failed',
  TOO_MANY_CONNECTIONS: 'Too many connections',
  /** The instance could not check the handshake (Redis or the database unreachable); retry. */
  SERVICE_UNAVAILABLE: 'Service unavailable',
} as const;

/** The body of every REST error. */
export interface RestErrorBody {
  statusCode: number;
  code: ErrorCodeName | string;
  message: string;
  details?: unknown;
}
